"""Articles from Markdown files with an optional, deliberately small front matter.

Front matter is a block of ``key: value`` lines between two ``---`` lines, not YAML: the keys
are ``id``, ``title``, ``keywords`` and ``tags``, lists are ``a, b`` or ``[a, b]``. Anything else
is refused with a message naming the line, so a typo such as ``keyword:`` fails loudly at start
instead of silently weakening search.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

from bot.knowledge.model import Article

__all__ = ["load_markdown_dir", "parse_markdown_article", "scan_markdown_dir"]

_KEYS = ("id", "title", "keywords", "tags")
_LIST_KEYS = frozenset({"keywords", "tags"})
_KEY_LINE = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$")
_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$")
_ID = re.compile(r"^[\w][\w.-]*$")


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1].strip()
    return value


def _split_list(value: str, *, key: str, line_no: int) -> tuple[str, ...]:
    value = value.strip()
    if value.startswith("["):
        if not value.endswith("]"):
            raise ValueError(f"front matter line {line_no}: {key} list is missing its ']'")
        value = value[1:-1]
    # csv honours "double, quoted" items containing commas
    items = (_unquote(item) for row in csv.reader([value], skipinitialspace=True) for item in row)
    return tuple(dict.fromkeys(item for item in items if item))


def _front_matter(lines: list[str]) -> tuple[dict[str, str | tuple[str, ...]], int]:
    """Parse the block after an opening '---'; returns the fields and the body's first line."""
    fields: dict[str, str | tuple[str, ...]] = {}
    for i, line in enumerate(lines[1:], start=1):
        line_no = i + 1
        if line.strip() == "---":
            return fields, i + 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _KEY_LINE.match(line.strip())
        if match is None:
            raise ValueError(f"front matter line {line_no}: expected 'key: value', got {line!r}")
        key, value = match.group(1).lower(), match.group(2)
        if key not in _KEYS:
            raise ValueError(
                f"front matter line {line_no}: unknown key {key!r} (allowed: {', '.join(_KEYS)})"
            )
        if key in fields:
            raise ValueError(f"front matter line {line_no}: {key!r} is given twice")
        if key in _LIST_KEYS:
            fields[key] = _split_list(value, key=key, line_no=line_no)
        else:
            fields[key] = _unquote(value)
    raise ValueError("front matter is not closed: no second '---' line")


def parse_markdown_article(text: str, *, default_id: str, source: str = "") -> Article:
    """Build an :class:`Article` from one Markdown document.

    Without a ``title:`` the first ``# Heading`` is the title (and leaves the body).
    """
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    fields: dict[str, str | tuple[str, ...]] = {}
    start = 0
    if lines and lines[0].strip() == "---":
        fields, start = _front_matter(lines)
    body_lines = lines[start:]

    title = fields.get("title", "")
    if "title" in fields and not title:
        raise ValueError("front matter: title is empty")
    if not title:
        for i, line in enumerate(body_lines):
            heading = _HEADING.match(line)
            if heading:
                title = heading.group(1)
                del body_lines[i]
                break
    if not title:
        raise ValueError("no title: add 'title:' to the front matter or a '# Heading'")

    article_id = fields.get("id", default_id)
    if not isinstance(article_id, str) or not _ID.match(article_id):
        raise ValueError(f"bad id {article_id!r}: use letters, digits, '-', '_' or '.'")
    return Article(
        id=article_id,
        title=str(title),
        body="\n".join(body_lines).strip(),
        keywords=_as_tuple(fields.get("keywords", ())),
        tags=_as_tuple(fields.get("tags", ())),
        source=source,
    )


def to_markdown(article: Article) -> str:
    """The Markdown document :func:`parse_markdown_article` reads back as ``article``
    (``kb export``: the knowledge base as files an agent can edit and ``kb import`` again)."""

    def quoted(value: str) -> str:
        return '"' + value.replace('"', "'") + '"'

    lines = ["---", f"id: {article.id}", f"title: {quoted(article.title)}"]
    for key, values in (("keywords", article.keywords), ("tags", article.tags)):
        if values:
            lines.append(f"{key}: [{', '.join(quoted(v) for v in values)}]")
    lines += ["---", "", article.body.strip(), ""]
    return "\n".join(lines)


def _as_tuple(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


def load_markdown_dir(path: Path) -> list[Article]:
    """Every ``*.md`` under ``path`` (recursively, sorted); ids must be unique.

    A bad file raises ValueError naming the file and the reason, so a broken knowledge base
    stops the start-up instead of quietly losing articles.
    """
    articles, problems = scan_markdown_dir(path)
    if problems:
        raise ValueError(problems[0])
    return articles


def scan_markdown_dir(path: Path) -> tuple[list[Article], list[str]]:
    """The good articles under ``path`` and one ``"file: reason"`` per bad file, so an import
    can take the rest and list every problem at once.

    An article without ``id:`` takes its file name; files named alike in different folders
    (``net/reset.md``, ``mail/reset.md``) take their folder path too (``net-reset``).
    """
    path = Path(path)
    if not path.is_dir():
        raise ValueError(f"knowledge base folder {path} does not exist or is not a folder")
    files = sorted(p for p in path.rglob("*.md") if p.is_file())
    stems = Counter(file.stem for file in files)
    articles: list[Article] = []
    problems: list[str] = []
    seen: dict[str, Path] = {}
    for file in files:
        default_id = file.stem
        if stems[file.stem] > 1:
            parts = file.relative_to(path).with_suffix("").parts
            default_id = re.sub(r"[^\w.-]+", "-", "-".join(parts))
        try:
            text = file.read_text(encoding="utf-8")
            article = parse_markdown_article(text, default_id=default_id, source=f"file:{file}")
        except (UnicodeDecodeError, ValueError) as exc:
            problems.append(f"{file}: {exc}")
            continue
        if article.id in seen:
            problems.append(f"{file}: id {article.id!r} is already used by {seen[article.id]}")
            continue
        seen[article.id] = file
        articles.append(article)
    return articles, problems
