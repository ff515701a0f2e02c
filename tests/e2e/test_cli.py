"""The ``tierdesk`` command line as a lead would use it.

Most cases run ``adapters.cli.main`` in process (the same parser, handlers and output as the
installed command, without a Python start-up each); what only a process shows (a reader
leaving the pipe, the environment) runs the real executable.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from adapters.cli import main
from tests.e2e.console_process import tierdesk_executable, write_config
from tests.factories import EXAMPLE


def tierdesk(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``tierdesk ARGS < stdin``, in process; exit status and output as a process gives them."""
    out, err = io.StringIO(), io.StringIO()
    saved_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse's usage errors
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        sys.stdin = saved_stdin
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def test_check_config_summarises_the_example() -> None:
    done = tierdesk("check-config", str(EXAMPLE))
    assert done.returncode == 0, done.stderr
    assert f"{EXAMPLE}: OK" in done.stdout
    assert "tiers (default chain): L1 → L2 → L3" in done.stdout
    assert "group × no → S1" in done.stdout


def test_check_config_names_the_bad_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace('name = "L2"', 'name = "L1"'), encoding="utf-8"
    )
    done = tierdesk("check-config", str(bad))
    assert done.returncode == 2
    assert done.stderr.strip() == 'config error: tiers[1].name: duplicate tier "L1"'


def test_check_config_checks_an_enabled_adapters_own_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = write_config(tmp_path)
    text = bad.read_text(encoding="utf-8")
    bad.write_text(text.replace('command = "/ticket"', 'comand = "/ticket"'), encoding="utf-8")
    tokens = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}  # Slack is enabled
    for name, value in tokens.items():
        monkeypatch.setenv(name, value)
    done = tierdesk("check-config", str(bad))
    assert done.returncode == 2
    assert done.stderr.strip().startswith("config error: adapters.slack.comand: unknown key")


def test_check_config_checks_the_consoles_options_as_any_adapters(tmp_path: Path) -> None:
    bad = write_config(tmp_path)
    text = bad.read_text(encoding="utf-8")
    bad.write_text(text.replace('requester = "sam"', 'requestor = "sam"'), encoding="utf-8")
    done = tierdesk("check-config", str(bad))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "config error: adapters.console.requestor: unknown key "
        "(expected one of: requester, timezone)"
    )


def test_kb_search_json_and_stdin_batch(tmp_path: Path) -> None:
    config = str(write_config(tmp_path))
    done = tierdesk("kb", "search", "vpn keeps disconnecting", "--json", "--config", config)
    assert done.returncode == 0, done.stderr
    hits = json.loads(done.stdout)
    assert hits[0]["id"] == "vpn-disconnects"
    assert set(hits[0]) == {"id", "title", "score"}

    batch = tierdesk(
        "kb",
        "search",
        "-",
        "--config",
        config,
        stdin="forgot my password\nwhat's the weather on mars\n",
    )
    lines = [json.loads(line) for line in batch.stdout.splitlines()]
    assert [line["query"] for line in lines] == ["forgot my password", "what's the weather on mars"]
    assert lines[0]["results"][0]["id"] == "password-reset"
    assert lines[1]["results"] == []


def test_kb_search_threshold_shows_what_the_desk_would_not(tmp_path: Path) -> None:
    config = str(write_config(tmp_path))
    question = "the tunnel to headquarters keeps falling over"
    quiet = tierdesk("kb", "search", question, "--config", config)
    assert quiet.stdout.startswith("No article matches well enough (--threshold 0")
    closest = tierdesk("kb", "search", question, "--threshold", "0", "--json", "--config", config)
    assert json.loads(closest.stdout)[0]["id"] == "vpn-disconnects"  # found by meaning alone
    wrong = tierdesk("kb", "search", "vpn", "--threshold", "lots", "--config", config)
    assert wrong.returncode == 2
    assert "argument --threshold: 'lots' is not a score from 0 to 100" in wrong.stderr


def test_kb_import_adds_searchable_articles(tmp_path: Path) -> None:
    config = str(write_config(tmp_path))
    folder = tmp_path / "extra"
    folder.mkdir()
    (folder / "badge.md").write_text(
        "---\ntitle: Door badge does not open the garage\nkeywords: badge, garage door\n---\n"
        "Ask reception to re-encode the badge.\n",
        encoding="utf-8",
    )
    done = tierdesk("kb", "import", str(folder), "--config", config)
    assert done.stdout.strip() == f"imported 1 articles from {folder}"
    found = tierdesk(
        "kb", "search", "my badge won't open the garage door", "--json", "--config", config
    )
    assert json.loads(found.stdout)[0]["id"] == "badge"


def test_tickets_table_and_json(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    lines = "\n".join(
        [
            "the big printer says error 79",
            "still need help",
            "2",
            "2",
            "4",
            "2",
            "skip",
            "yes",
            "/quit",
        ]
    )
    run = tierdesk("run", "--console", "--config", str(config), stdin=lines + "\n")
    assert run.returncode == 0, run.stdout + run.stderr
    table = tierdesk("tickets", "--config", str(config))
    assert "the big printer says error 79" in table.stdout
    tickets = json.loads(tierdesk("tickets", "--json", "--config", str(config)).stdout)
    assert tickets[0]["number"] == 1
    assert tickets[0]["priority"] == "S4"  # just me × can work, limited
    assert tickets[0]["status"] == "open" and tickets[0]["requester"] == "sam"
    assert tickets[0]["category"] == "hardware"


def test_sla_due_counts_business_hours_and_holidays() -> None:
    done = tierdesk(
        "sla",
        "due",
        "--priority",
        "S4",
        "--at",
        "2026-12-24T17:30",
        "--zone",
        "America/New_York",
        "--config",
        str(EXAMPLE),
    )
    assert done.returncode == 0, done.stderr
    # Christmas Eve is closed, 25/26 are holidays, then a weekend: 4 business hours later
    assert (
        "response   due Mon 2026-12-28 12:00 CET (Europe/Berlin)  =  "
        "Mon 2026-12-28 06:00 EST (America/New_York)" in done.stdout
    )
    as_json = json.loads(
        tierdesk(
            "sla",
            "due",
            "--priority",
            "S1",
            "--at",
            "2026-12-24T17:30+01:00",
            "--json",
            "--config",
            str(EXAMPLE),
        ).stdout
    )
    assert as_json["calendar"] == "24x7"
    assert as_json["resolution_due_at"] == "2026-12-24T17:30:00+00:00"
    bad = tierdesk(
        "sla", "due", "--priority", "S9", "--at", "2026-12-24T17:30", "--config", str(EXAMPLE)
    )
    assert bad.returncode == 2
    assert 'unknown priority "S9"' in bad.stderr


def test_oncall_now_and_gaps(tmp_path: Path) -> None:
    config = str(write_config(tmp_path))
    now = tierdesk("oncall", "--at", "2026-11-23T10:00", "--json", "--config", config)
    rows = {row["tier"]: row for row in json.loads(now.stdout)}
    assert rows["L1"]["person"] == "console:dave" and rows["L1"]["layer"] == "office"
    assert rows["L1"]["until"] == "2026-11-23T19:00:00+00:00"  # 20:00 Berlin: office closes
    assert rows["L2"]["person"] == "console:bob"
    night = tierdesk(
        "oncall", "--tier", "L1", "--at", "2026-11-23T22:00", "--json", "--config", config
    )
    assert json.loads(night.stdout)[0]["layer"] == "after-hours"
    check = tierdesk("oncall", "check", "--days", "14", "--config", config)
    assert check.returncode == 0
    assert "L1: covered for the next 14 days" in check.stdout


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path) -> None:
    # `tierdesk kb search - < month.txt | head -1`: head leaves after its first line.
    questions = "vpn keeps dropping\n" * 5_000
    config = str(write_config(tmp_path))  # not the example's ./tierdesk.db, which may be stale
    with subprocess.Popen(
        [tierdesk_executable(), "kb", "search", "-", "--config", config],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdin is not None and process.stdout is not None
        stdin = process.stdin

        def feed() -> None:
            with contextlib.suppress(BrokenPipeError):
                stdin.write(questions)
                stdin.close()

        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        first = process.stdout.readline()
        process.stdout.close()  # the reader is gone; the writer gets EPIPE on its next flush
        assert process.wait(timeout=60) == 141
        assert process.stderr is not None and process.stderr.read() == ""
        feeder.join(timeout=10)
    assert json.loads(first)["results"][0]["id"] == "vpn-disconnects"
