"""Configuration that cannot work is refused up front, naming the key: an unsupported
database driver (with the URL that would work), a person on a platform the desk does not
have, an empty or misshapen channel id."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from adapters.platforms import PLATFORMS
from bot.errors import ConfigError
from bot.settings import parse_settings
from tests.e2e.console_process import tierdesk_executable
from tests.factories import EXAMPLE, ROOT, example_raw


def error_of(mutate) -> str:
    raw = example_raw()
    mutate(raw)
    with pytest.raises(ConfigError) as caught:
        parse_settings(raw, {}, platforms=PLATFORMS, base_dir=ROOT)
    return str(caught.value)


def layer(*members: str) -> dict:
    return {"name": "day", "members": list(members), "handoff": "2026-11-23T09:00"}


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda r: r["storage"].update(url="sqlite:///desk.db"),
            'storage.url: driver "sqlite" is not supported; use "sqlite+aiosqlite:///desk.db"',
        ),
        (
            lambda r: r["storage"].update(url="sqlite+pysqlite:///desk.db"),
            'storage.url: driver "sqlite+pysqlite" is not supported; '
            'use "sqlite+aiosqlite:///desk.db"',
        ),
        (
            lambda r: r["storage"].update(url="postgres://u@db/desk"),
            'storage.url: driver "postgres" is not supported; use "postgresql+psycopg://u@db/desk"',
        ),
        (
            lambda r: r["storage"].update(url="postgresql+asyncpg://u@db/desk"),
            'storage.url: driver "postgresql+asyncpg" is not supported; '
            'use "postgresql+psycopg://u@db/desk"',
        ),
        (
            lambda r: r["storage"].update(url="mysql://u@db/desk"),
            'storage.url: database "mysql" is not supported; use sqlite+aiosqlite or '
            'postgresql+psycopg (e.g. "sqlite+aiosqlite:///tierdesk.db")',
        ),
        (
            lambda r: r["tiers"][0].update(agents=["console:alice", "skype:alice"]),
            'tiers[0].agents[1]: unknown platform "skype" in "skype:alice" '
            "(known: console, slack, telegram)",
        ),
        (
            lambda r: r["tiers"][1].update(rotations=[layer("console:bob", "msteams:bob")]),
            'tiers[1].rotations[0].members[1]: unknown platform "msteams" in "msteams:bob" '
            "(known: console, slack, telegram)",
        ),
        (
            lambda r: r["tiers"][0].update(channels={"slack": ""}),
            "tiers[0].channels.slack: empty channel id",
        ),
        (
            lambda r: r["tiers"][0].update(channels={"console": "  "}),
            "tiers[0].channels.console: empty channel id",
        ),
        (
            lambda r: r["tiers"][2].update(channels={"slack": "#l3-help"}),
            'tiers[2].channels.slack: "#l3-help" is not a Slack channel id like C0123456789',
        ),
        (
            lambda r: r["tiers"][0].update(channels={"telegram": "@helpdesk"}),
            'tiers[0].channels.telegram: "@helpdesk" is not a Telegram chat id '
            "(an integer like -1001234567890)",
        ),
    ],
)
def test_unworkable_values_are_refused_naming_the_key(mutate, expected: str) -> None:
    assert error_of(mutate) == expected


def test_workable_values_pass() -> None:
    raw = example_raw()
    raw["storage"]["url"] = "postgresql+psycopg://u@db/desk"
    raw["tiers"][0]["channels"] = {"slack": "C0123ABC", "telegram": "-1001234567890"}
    raw["tiers"][1]["channels"] = {"slack": "G0PRIVATE", "telegram": "42"}
    raw["tiers"][1]["agents"] = ["slack:U024BE7LH", "telegram:123456"]
    settings = parse_settings(raw, {}, platforms=PLATFORMS, base_dir=ROOT)
    assert settings.tiers[0].channels["telegram"] == "-1001234567890"


def test_check_config_refuses_a_mysql_url_instead_of_run_dying(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    text = EXAMPLE.read_text(encoding="utf-8")
    bad.write_text(
        text.replace('url = "sqlite+aiosqlite:///tierdesk.db"', 'url = "mysql://u@db/desk"'),
        encoding="utf-8",
    )
    done = subprocess.run(
        [tierdesk_executable(), "check-config", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith('config error: storage.url: database "mysql" is not supported')
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda r: r["desk"].update(leads=["irc:boss"]),
            'desk.leads[0]: unknown platform "irc" (known: console, slack, telegram)',
        ),
        (lambda r: r["desk"].update(leads="console:lead"), "desk.leads: expected a list"),
        (
            lambda r: r.setdefault("satisfaction", {}).update(close_after="0m"),
            "satisfaction.close_after: a duration must be positive",
        ),
        (
            lambda r: r.setdefault("satisfaction", {}).update(after="3d"),
            "satisfaction",
        ),
    ],
)
def test_leads_and_the_satisfaction_wait_are_checked(mutate, expected: str) -> None:
    assert error_of(mutate).startswith(expected)


@pytest.mark.parametrize(
    ("incidents", "expected"),
    [
        ({"auto_declare": ["vpn"]}, 'incidents.auto_declare[0]: unknown category "vpn"'),
        ({"window": "2d"}, "incidents.window: must be between 1m and 1d"),
        ({"requesters": 1}, "incidents.requesters: must be between 2 and 1000"),
        ({"page": ["S9"]}, 'incidents.page[0]: unknown priority "S9" (known: S1, S2, S3, S4)'),
        ({"threshold": "high"}, "incidents.threshold: expected a number, got a string"),
        ({"windows": "30m"}, "incidents.windows: unknown key"),
    ],
)
def test_incident_settings_are_refused_with_their_key(incidents: dict, expected: str) -> None:
    assert error_of(lambda r: r.update(incidents=incidents)).startswith(expected)


def test_incident_settings_default_to_the_text_engines_threshold() -> None:
    settings = parse_settings(example_raw(), {}, platforms=PLATFORMS, base_dir=ROOT)
    assert settings.incidents.threshold is None  # the engine's DEFAULT_THRESHOLD, its scale
    assert settings.incidents.requesters == 3 and settings.incidents.page == ("S1", "S2")
