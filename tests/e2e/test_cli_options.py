"""``tierdesk`` options as a lead types them, wrong ones included.

In process (``adapters.cli.main``): the same parser, handlers and output as the installed
command, without a Python start-up per case.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from adapters import runtime as rt
from adapters.cli import main
from adapters.platforms import PLATFORMS
from bot.domain import Identity, Person
from bot.settings import load_settings
from tests.e2e.console_process import write_config
from tests.factories import EXAMPLE, new_ticket

Output = tuple[int, str, str]


def tierdesk(capsys: pytest.CaptureFixture[str], *args: str) -> Output:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def seed_ticket(config: Path, summary: str) -> None:
    """One open L1 ticket from sam in the database ``config`` names."""

    async def seed() -> None:
        runtime = await rt.build(load_settings(config, {}, platforms=PLATFORMS))
        try:
            async with runtime.uow_factory() as uow:
                sam = await uow.people.add(Person("sam"), Identity("console", "sam"))
                assert sam.id is not None
                await uow.tickets.add(new_ticket(requester_id=sam.id, summary=summary))
                await uow.commit()
        finally:
            await runtime.close()

    asyncio.run(seed())


# -- 16: --config before the command, missing files, which file is used ------------------


def test_config_before_the_command_is_the_one_checked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    typo = tmp_path / "typo.toml"
    code, out, err = tierdesk(capsys, "--config", str(typo), "check-config")
    assert code == 2 and "OK" not in out
    assert err.strip() == f"config error: {typo}: file not found"
    config = write_config(tmp_path)
    code, out, _ = tierdesk(capsys, "--config", str(config), "check-config")
    assert code == 0 and out.startswith(f"{config}: OK")


def test_config_before_the_command_picks_the_database(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path)
    seed_ticket(config, "the plotter prints everything twice")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # no config.toml here: the example would be the fallback
    code, out, err = tierdesk(capsys, "--config", str(config), "tickets", "--json")
    assert code == 0, err
    assert [t["summary"] for t in json.loads(out)] == ["the plotter prints everything twice"]
    assert err == ""  # the file was named: nothing to explain
    code, out, err = tierdesk(capsys, "--config", str(elsewhere / "typo.toml"), "oncall")
    assert (code, out) == (2, "")
    assert "typo.toml: file not found" in err
    assert list(elsewhere.iterdir()) == []  # no stray tierdesk.db from the example's URL


def test_without_a_config_toml_stderr_names_the_file_used(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = tierdesk(capsys, "sla", "due", "--priority", "S1", "--at", "2026-12-24T17:30")
    assert code == 0 and "S1 under policy default" in out
    assert err.strip() == f"tierdesk: no config.toml in {tmp_path}; using {EXAMPLE}"
    write_config(tmp_path)  # now ./config.toml is there: the usual case says nothing
    code, _, err = tierdesk(capsys, "sla", "due", "--priority", "S1", "--at", "2026-12-24T17:30")
    assert (code, err) == (0, "")


# -- 17: sla due -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--zone", "Mars/X", 'unknown time zone "Mars/X" (an IANA name like Europe/Berlin)'),
        ("--at", "christmas eve", '"christmas eve" is not a time like 2026-12-24T17:30'),
        ("--at", "2026-12-24T17:30 Mars/X", 'unknown time zone "Mars/X"'),
        ("--priority", "S9", 'unknown priority "S9" (known: S1, S2, S3, S4)'),
        ("--category", "plumbing", 'unknown category "plumbing" (known: access, hardware'),
    ],
)
def test_sla_due_bad_input_is_one_line_naming_the_option(
    capsys: pytest.CaptureFixture[str], option: str, value: str, message: str
) -> None:
    args = {"--priority": "S4", "--at": "2026-12-24T17:30", "--zone": "America/New_York"}
    args[option] = value
    flat = [part for pair in args.items() for part in pair]
    code, out, err = tierdesk(capsys, "sla", "due", *flat, "--config", str(EXAMPLE))
    assert code == 2
    assert out == ""  # nothing half-printed before the error
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"tierdesk sla due: {option}: {message}")


def test_sla_due_keeps_the_case_of_a_priority_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = write_config(tmp_path)
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('"S1"', '"p1"').replace(".S1]", ".p1]"), encoding="utf-8")
    for typed in ("p1", "P1"):
        code, out, err = tierdesk(
            capsys, "sla", "due", "--priority", typed, "--at", "2026-12-24T17:30+01:00",
            "--json", "--config", str(config),
        )  # fmt: skip
        assert code == 0, err
        assert json.loads(out)["priority"] == "p1"


def test_sla_due_at_takes_a_zone_name_and_json_shows_zone_and_targets(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for at in ("2026-12-24T17:30 America/New_York", "2026-12-24T17:30[America/New_York]"):
        code, out, err = tierdesk(
            capsys, "sla", "due", "--priority", "S1", "--at", at, "--json",
            "--config", str(EXAMPLE),
        )  # fmt: skip
        assert code == 0, err
        due = json.loads(out)
        assert due["opened_at"] == "2026-12-24T22:30:00+00:00"  # 17:30 in New York
        assert due["calendar"] == "24x7" and due["zone"] == "Europe/Berlin"
        assert due["targets"] == {"response_seconds": 900, "resolution_seconds": 3600}
        assert due["response_due_at"] == "2026-12-24T22:45:00+00:00"
    code, out, _ = tierdesk(
        capsys, "sla", "due", "--priority", "S4", "--at", "2026-12-24T17:30",
        "--config", str(EXAMPLE),
    )  # fmt: skip
    assert "  targets    response 4h, resolution 1d 12h of office time" in out.splitlines()


# -- 19: tickets filters, kb import --------------------------------------------------------


def test_tickets_refuses_an_unknown_tier_or_status(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = write_config(tmp_path)
    seed_ticket(config, "monitor flickers")
    code, out, err = tierdesk(capsys, "tickets", "--tier", "L9", "--config", str(config))
    assert (code, out) == (2, "")
    assert err.strip() == 'tierdesk tickets: --tier: unknown tier "L9" (known: L1, L2, L3)'
    code, out, err = tierdesk(capsys, "tickets", "--status", "closd", "--config", str(config))
    assert (code, out) == (2, "")
    assert err.startswith('tierdesk tickets: --status: unknown status "closd" (known: open,')
    code, out, _ = tierdesk(capsys, "tickets", "--tier", "l1", "--json", "--config", str(config))
    assert code == 0 and json.loads(out)[0]["summary"] == "monitor flickers"
    code, _, err = tierdesk(capsys, "oncall", "check", "--tier", "L9", "--config", str(config))
    assert code == 2 and 'unknown tier "L9"' in err


def test_kb_import_reports_every_bad_file_and_imports_the_rest(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = str(write_config(tmp_path))
    folder = tmp_path / "articles"
    for sub in ("network", "mail"):
        (folder / sub).mkdir(parents=True)
    (folder / "network" / "reset.md").write_text("# Reset the VPN profile\nbody", encoding="utf-8")
    (folder / "mail" / "reset.md").write_text("# Reset the mail profile\nbody", encoding="utf-8")
    (folder / "a-broken.md").write_text("---\ntitel: typo\n---\n", encoding="utf-8")
    (folder / "badge.md").write_text(
        "# Door badge does not open the garage\nbody", encoding="utf-8"
    )
    (folder / "z-latin1.md").write_bytes(b"# Caf\xe9 machine\n")
    code, out, err = tierdesk(capsys, "kb", "import", str(folder), "--config", config)
    assert code == 1
    assert out.strip() == f"imported 3 articles from {folder}"
    problems = err.strip().splitlines()
    assert problems[0].startswith(f"kb import: {folder / 'a-broken.md'}: front matter line 2")
    assert problems[1].startswith(f"kb import: {folder / 'z-latin1.md'}: ")
    assert problems[2] == "kb import: 2 files not imported"
    code, out, _ = tierdesk(capsys, "kb", "list", "--json", "--config", config)
    titles = {a["id"]: a["title"] for a in json.loads(out)}
    assert titles["network-reset"] == "Reset the VPN profile"
    assert titles["mail-reset"] == "Reset the mail profile"
    assert titles["badge"] == "Door badge does not open the garage"


# -- 18: holidays ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (
            ('holidays = "DE"', 'holidays = "XX"'),
            'sla.calendars[0].holidays: calendar "office": no public holidays are known for '
            'country "XX" (an ISO 3166 code such as "DE" or "US")',
        ),
        (
            ('holidays = "DE"', 'holidays = "de"'),
            'sla.calendars[0].holidays: calendar "office": no public holidays are known for '
            'country "de"; codes are upper case: "DE"',
        ),
        (
            ('subdivision = "BE"', 'subdivision = "XX"'),
            'sla.calendars[0].subdivision: calendar "office": "XX" is not a subdivision of DE '
            "(known: BB, BE, BW, BY,",
        ),
        (
            ('holidays = "DE"', ""),
            'sla.calendars[0].subdivision: calendar "office": a subdivision needs holidays = ',
        ),
    ],
)
def test_check_config_names_the_wrong_holidays_key_and_the_calendar(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, change: tuple[str, str], error: str
) -> None:
    config = write_config(tmp_path)
    text = config.read_text(encoding="utf-8")
    assert change[0] in text
    config.write_text(text.replace(change[0], change[1]), encoding="utf-8")
    code, out, err = tierdesk(capsys, "check-config", str(config))
    assert (code, out) == (2, "")
    assert err.startswith(f"config error: {error}")


# -- #10: look-ups open the database read-only and never create or migrate it --------------


def test_look_ups_never_create_the_database(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = str(write_config(tmp_path))
    database = tmp_path / "desk.db"
    code, out, err = tierdesk(capsys, "tickets", "--config", config)
    assert (code, out) == (1, "")
    assert err.strip() == (
        f"tierdesk tickets: no database at {database} (`tierdesk migrate` or `tierdesk run` "
        "creates it)"
    )
    code, out, err = tierdesk(capsys, "oncall", "--at", "2026-11-23T10:00", "--config", config)
    assert code == 0 and "console:dave (office)" in out  # the rotations answer alone
    assert err.strip() == (
        f"tierdesk: no database at {database} yet: no on-call overrides are known; "
        "answering from the configured rotations"
    )
    code, out, err = tierdesk(capsys, "kb", "list", "--config", config)
    assert code == 0 and "vpn-disconnects" in out
    assert err.strip().endswith("yet: listing the Markdown sources only")
    code, out, _ = tierdesk(capsys, "kb", "search", "vpn keeps dropping", "--config", config)
    assert code == 0 and "(vpn-disconnects)" in out
    code, _, _ = tierdesk(
        capsys, "sla", "due", "--priority", "S1", "--at", "2026-12-24T17:30", "--config", config
    )
    assert code == 0 and not database.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]


def test_look_ups_refuse_a_database_that_is_not_migrated(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = write_config(tmp_path)
    (tmp_path / "desk.db").write_bytes(b"")  # an empty file: SQLite's empty database
    code, out, err = tierdesk(capsys, "tickets", "--config", str(config))
    assert (code, out) == (1, "")
    assert err.strip().endswith("has no tierdesk tables: run `tierdesk migrate`")
    assert (tmp_path / "desk.db").stat().st_size == 0  # not migrated behind the user's back
    assert tierdesk(capsys, "migrate", "--config", str(config))[0] == 0
    code, out, err = tierdesk(capsys, "tickets", "--config", str(config))
    assert (code, out.strip(), err) == (0, "No tickets.", "")
