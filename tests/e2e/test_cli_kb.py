"""``tierdesk kb export`` and ``kb remove``: the knowledge base as files, and pruning it."""

from __future__ import annotations

import json
from pathlib import Path

from bot.knowledge import load_markdown_dir
from tests.e2e.console_process import write_config
from tests.e2e.test_cli import tierdesk


def _import_badge(tmp_path: Path, config: str) -> None:
    folder = tmp_path / "extra"
    folder.mkdir()
    (folder / "badge.md").write_text(
        '---\ntitle: Door "badge" does not open, the garage\nkeywords: badge, "garage, door"\n'
        "tags: [facilities]\n---\nAsk reception to re-encode the badge.\n",
        encoding="utf-8",
    )
    assert tierdesk("kb", "import", str(folder), "--config", config).returncode == 0


def test_export_writes_every_article_as_markdown_that_imports_again(tmp_path: Path) -> None:
    config = str(write_config(tmp_path))
    _import_badge(tmp_path, config)
    listed = json.loads(tierdesk("kb", "list", "--json", "--config", config).stdout)
    out = tmp_path / "export"
    done = tierdesk("kb", "export", str(out), "--config", config)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"exported {len(listed)} articles to {out}"
    back = {a.id: a for a in load_markdown_dir(out)}
    assert sorted(back) == sorted(a["id"] for a in listed)
    badge = back["badge"]
    assert badge.title == "Door 'badge' does not open, the garage"  # quotes survive as '
    assert badge.keywords == ("badge", "garage, door")
    assert badge.tags == ("facilities",)
    assert badge.body == "Ask reception to re-encode the badge."
    again = tierdesk("kb", "export", str(out), "--config", config)
    assert again.returncode == 1
    assert "already exists; nothing written" in again.stderr


def test_remove_deletes_a_database_article_and_explains_the_others(tmp_path: Path) -> None:
    config = str(write_config(tmp_path))
    _import_badge(tmp_path, config)
    question = "my badge won't open the garage door"
    found = tierdesk("kb", "search", question, "--json", "--config", config)
    assert json.loads(found.stdout)[0]["id"] == "badge"
    done = tierdesk("kb", "remove", "badge", "--config", config)
    assert done.returncode == 0 and done.stdout.strip() == "removed article 'badge'"
    after = tierdesk("kb", "search", question, "--json", "--threshold", "0", "--config", config)
    assert "badge" not in [hit["id"] for hit in json.loads(after.stdout)]

    unknown = tierdesk("kb", "remove", "badge", "--config", config)
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "kb remove: no article 'badge' (see kb list)"
    from_file = tierdesk("kb", "remove", "vpn-disconnects", "--config", config)
    assert from_file.returncode == 1
    assert "'vpn-disconnects' comes from file:" in from_file.stderr


def test_stats_lists_helpful_articles_first_and_the_never_helpful(tmp_path: Path) -> None:
    config = str(write_config(tmp_path))
    listed = json.loads(tierdesk("kb", "list", "--json", "--config", config).stdout)
    stats = json.loads(tierdesk("kb", "stats", "--json", "--config", config).stdout)
    # A fresh desk: nothing has helped anybody yet, so every article is "never helpful".
    assert sorted(stats["never_helpful"]) == sorted(a["id"] for a in listed)
    assert all(row["helpful"] == 0 for row in stats["articles"])
    text = tierdesk("kb", "stats", "--config", config).stdout
    assert text.splitlines()[-1].startswith(f"never helpful ({len(listed)}): ")
