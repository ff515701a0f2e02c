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


AQUARIUM = "The aquarium pump in the lobby hums loudly, I am Asha Rao"


def _desk_at_work(config: str) -> None:
    """A requester solves one question with an article and opens a ticket about another
    that no article answers; an agent answers that ticket with an article."""
    lines = [
        "my vpn keeps disconnecting",
        "2",  # This solved it: VPN keeps disconnecting
        "2",  # yes, it did
        AQUARIUM,  # no article: the intake goes on
        *("2", "2", "4", "2", "skip", "yes"),
        "/as agent alice",
        "/answer 1 printer-offline",
        "/quit",
    ]
    run = tierdesk("run", "--console", "--config", config, stdin="\n".join(lines) + "\n")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Answered with the article “Printer offline or not printing”" in run.stdout


def test_stats_on_a_fresh_desk_has_nothing_offered_and_nothing_missing(tmp_path: Path) -> None:
    config = str(write_config(tmp_path))
    listed = json.loads(tierdesk("kb", "list", "--json", "--config", config).stdout)
    stats = json.loads(tierdesk("kb", "stats", "--json", "--config", config).stdout)
    assert stats["most_suggested"] == stats["most_helpful"] == stats["never_helpful"] == []
    assert sorted(stats["never_suggested"]) == sorted(a["id"] for a in listed)
    assert stats["unanswered"] == []


def test_stats_export_and_remove_after_the_desk_learned(tmp_path: Path) -> None:
    config = str(write_config(tmp_path))
    _desk_at_work(config)
    stats = json.loads(tierdesk("kb", "stats", "--json", "--config", config).stdout)
    suggested = {row["id"]: row for row in stats["most_suggested"]}
    assert suggested["vpn-disconnects"]["shown"] == 1
    assert suggested["vpn-disconnects"]["accepted"] == 1
    assert [row["id"] for row in stats["most_helpful"]] == ["vpn-disconnects"]
    assert stats["unanswered"] == [
        {"question": "the aquarium pump in the lobby hums loudly i am name", "count": 1}
    ]
    never = tierdesk("kb", "stats", "--json", "--min-shown", "1", "--config", config).stdout
    assert [row["id"] for row in json.loads(never)["never_helpful"]] == [
        row["id"] for row in stats["most_suggested"] if not row["accepted"]
    ]
    text = tierdesk("kb", "stats", "--config", config).stdout
    assert "1  the aquarium pump in the lobby hums loudly i am name" in text
    assert "Asha" not in text

    out = tmp_path / "export"
    assert tierdesk("kb", "export", str(out), "--json", "--config", config).returncode == 0
    exported = {a["id"]: a for a in json.loads((out / "articles.json").read_text("utf-8"))}
    learned = ["the aquarium pump in the lobby hums loudly i am name"]
    assert exported["printer-offline"]["learned"] == learned
    assert learned[0] not in exported["printer-offline"]["keywords"]
    assert tierdesk("kb", "export", str(out), "--config", config).returncode == 0
    markdown = {a.id: a for a in load_markdown_dir(out)}
    assert markdown["printer-offline"].keywords[-1] == learned[0]  # a keyword in Markdown

    found = tierdesk("kb", "search", AQUARIUM, "--json", "--config", config)
    assert json.loads(found.stdout)[0]["id"] == "printer-offline"  # learned from the agent
    removed = tierdesk("kb", "remove", "printer-offline", "--config", config)
    assert removed.returncode == 1
    assert "(what the desk learned about it is forgotten)" in removed.stderr
    found = tierdesk("kb", "search", AQUARIUM, "--json", "--config", config)
    assert json.loads(found.stdout) == []
