"""Knowledge-base articles saved from tickets: drafts that an agent rewrites and publishes.

A draft starts from the requester's words and the resolution note, which are not fit for
everyone as they are, so it is never suggested until an agent of the ticket publishes it.
Its body is two Markdown sections; text put into them is escaped, so the article renders
exactly as written whatever anyone typed.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.errors import InvalidInput
from bot.knowledge import Article

PARTS = ("title", "problem", "solution")
_PROBLEM = "## Problem\n\n"
_SOLUTION = "\n\n## Solution\n\n"
_INLINE = re.compile(r"([\\`*_\[\]<>|~])")


def escape_markdown(text: str) -> str:
    """``text`` as literal Markdown: emphasis, code, links and HTML characters escaped,
    and a line that would start a heading or a quote too; paragraphs kept."""
    lines = []
    for line in text.strip().splitlines():
        line = _INLINE.sub(r"\\\1", line.strip())
        lines.append("\\" + line if line.startswith("#") else line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def body(problem: str, solution: str) -> str:
    """The article text from its (already escaped) problem and solution."""
    return f"{_PROBLEM}{problem}{_SOLUTION}{solution}\n"


def parts(article: Article) -> dict[str, str]:
    """The title, problem and solution a draft is made of."""
    problem, _, solution = article.body.removeprefix(_PROBLEM).partition(_SOLUTION)
    return {"title": article.title, "problem": problem, "solution": solution.rstrip("\n")}


def edited(article: Article, part: str, text: str) -> Article:
    """The draft with ``part`` (title, problem or solution) replaced by ``text``."""
    if part not in PARTS:
        raise InvalidInput(f'"{part}" is not a part of an article; use title, problem or solution.')
    text = " ".join(text.split()) if part == "title" else escape_markdown(text)
    if not text:
        raise InvalidInput(f"Write the new {part} after /kbedit {article.id} {part}.")
    now = {**parts(article), part: text}
    return replace(article, title=now["title"], body=body(now["problem"], now["solution"]))
