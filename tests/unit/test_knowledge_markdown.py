"""Markdown articles: front matter, headings as titles, and loading a folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge import Article, load_markdown_dir, parse_markdown_article

FULL = """---
id: vpn-connect
title: Connect to the VPN
keywords: vpn, remote access, "anyconnect, client"
tags: [network, remote]
---
# Ignored heading stays in the body

1. Open the client.
"""


def test_front_matter_fields_are_parsed() -> None:
    article = parse_markdown_article(FULL, default_id="file-stem", source="file:x.md")
    assert article == Article(
        id="vpn-connect",
        title="Connect to the VPN",
        body="# Ignored heading stays in the body\n\n1. Open the client.",
        keywords=("vpn", "remote access", "anyconnect, client"),
        tags=("network", "remote"),
        source="file:x.md",
    )


def test_bracket_lists_and_quotes() -> None:
    text = "---\ntitle: 'Reset: your password'\nkeywords: [pw, 'pass word', ]\n---\nbody"
    article = parse_markdown_article(text, default_id="pw")
    assert article.title == "Reset: your password"
    assert article.keywords == ("pw", "pass word")
    assert article.id == "pw"


def test_heading_is_the_title_without_front_matter() -> None:
    text = "\ufeffIntro line\r\n# Printer offline #\r\n\r\nSteps here.\r\n"
    article = parse_markdown_article(text, default_id="printer-offline")
    assert article.title == "Printer offline"
    assert article.id == "printer-offline"
    assert article.body == "Intro line\n\nSteps here."
    assert article.keywords == () and article.tags == ()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("---\ntitle: X\n", "not closed"),
        ("---\ntitle X\n---\n", "line 2: expected 'key: value'"),
        ("---\ntitle: X\nkeyword: vpn\n---\n", "unknown key 'keyword'"),
        ("---\ntitle: X\ntitle: Y\n---\n", "'title' is given twice"),
        ("---\ntitle:\n---\n# Heading\n", "title is empty"),
        ("---\ntags: [a, b\n---\n# T\n", "missing its ']'"),
        ("---\nid: has space\n---\n# T\n", "bad id"),
        ("just text, no heading", "no title"),
        ("", "no title"),
    ],
)
def test_bad_documents_name_the_problem(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_markdown_article(text, default_id="x")


def test_loader_reads_every_md_recursively_in_order(tmp_path: Path) -> None:
    (tmp_path / "b.md").write_text("# Bee\nbody", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.md").write_text("---\ntitle: Ay\n---\ntext", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("# not an article", encoding="utf-8")
    articles = load_markdown_dir(tmp_path)
    assert [(a.id, a.title) for a in articles] == [("b", "Bee"), ("a", "Ay")]
    assert articles[1].source == f"file:{tmp_path / 'sub' / 'a.md'}"


def test_loader_names_the_bad_file(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text("# Fine", encoding="utf-8")
    (tmp_path / "broken.md").write_text("---\ntitel: typo\n---\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken\.md: front matter line 2: unknown key"):
        load_markdown_dir(tmp_path)


def test_loader_refuses_duplicate_ids_and_bad_encoding(tmp_path: Path) -> None:
    (tmp_path / "one.md").write_text("---\nid: same\n---\n# One", encoding="utf-8")
    (tmp_path / "two.md").write_text("---\nid: same\n---\n# Two", encoding="utf-8")
    with pytest.raises(ValueError, match=r"two\.md: id 'same' is already used by .*one\.md"):
        load_markdown_dir(tmp_path)
    (tmp_path / "two.md").write_bytes(b"# \xff\xfe latin-1")
    with pytest.raises(ValueError, match=r"two\.md"):
        load_markdown_dir(tmp_path)


def test_loader_refuses_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        load_markdown_dir(tmp_path / "nope")
