"""Configuration: the example loads, and every mistake names its key and reason."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from adapters.platforms import PLATFORMS
from bot.errors import ConfigError
from bot.settings import load_settings, parse_settings
from tests.factories import EXAMPLE, ROOT, example_raw


def parse(raw: dict, environ: dict[str, str] | None = None):
    return parse_settings(raw, environ or {}, platforms=PLATFORMS, base_dir=ROOT)


def error_of(raw: dict, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        parse(raw, environ)
    return str(caught.value)


def test_example_config_loads_with_every_section() -> None:
    settings = load_settings(EXAMPLE, {}, platforms=PLATFORMS)
    assert [t.name for t in settings.tiers] == ["L1", "L2", "L3"]
    assert settings.priority.priority_for("group", "no") == "S1"
    assert settings.priority.priority_for("one", "limited") == "S4"
    assert settings.priority.level("S4").resolution == timedelta(hours=36)
    assert settings.category("billing").chain == ("L1", "L2")
    assert settings.category("erp").product == "acme-erp"
    assert settings.product("acme-erp").versions[0].lts
    assert settings.knowledge.sources == (ROOT / "kb",)
    assert settings.enabled_platforms == ("console",)
    assert settings.storage_url == f"sqlite+aiosqlite:///{ROOT / 'tierdesk.db'}"
    assert settings.storage_keep == timedelta(days=30)


def test_duplicate_tier_names_the_index() -> None:
    raw = example_raw()
    raw["tiers"][1]["name"] = "L1"
    assert error_of(raw) == 'tiers[1].name: duplicate tier "L1"'


def test_unknown_key_is_refused_with_the_allowed_ones() -> None:
    raw = example_raw()
    raw["intake"]["timout"] = "5m"
    assert error_of(raw).startswith("intake.timout: unknown key (expected one of: timeout")


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda r: r["intake"].update(timeout="soon"),
            'intake.timeout: "soon" is not a duration like 30m, 2h or 3d',
        ),
        (
            lambda r: r["desk"].update(timezone="Mars/Olympus"),
            'desk.timezone: unknown time zone "Mars/Olympus"',
        ),
        (
            lambda r: r["storage"].update(keep="2h"),
            "storage.keep: keep at least 1d: chat platforms redeliver events for hours",
        ),
        (
            lambda r: r["storage"].update(keep="forever"),
            'storage.keep: "forever" is not a duration like 30m, 2h or 3d',
        ),
        (
            lambda r: r["priority"]["matrix"]["group"].update(no="S9"),
            'priority.matrix.group.no: unknown priority "S9" (known: S1, S2, S3, S4)',
        ),
        (lambda r: r["priority"]["matrix"].pop("one"), "priority.matrix.one.no: required"),
        (
            lambda r: r["categories"][4].update(chain=["L1", "L9"]),
            'categories[4].chain[1]: unknown tier "L9"',
        ),
        (
            lambda r: r["categories"][3].update(product="nope"),
            'categories[3].product: unknown product "nope"',
        ),
        (
            lambda r: r["tiers"][0].update(agents=["alice"]),
            'tiers[0].agents[0]: "alice" is not of the form platform:id',
        ),
        (lambda r: r.update(tiers=[]), "tiers: at least one tier is required"),
        (
            lambda r: r["products"][0]["versions"][0].update(support_ends="someday"),
            "products[0].versions[0].support_ends: expected a date like 2027-06-30, got 'someday'",
        ),
        (lambda r: r["knowledge"].update(limit=0), "knowledge.limit: must be between 1 and 10"),
        (lambda r: r["http"].update(port="80"), "http.port: expected an integer, got a string"),
        (
            lambda r: r["adapters"]["slack"].update(enabled="yes"),
            'adapters.slack.enabled: expected true, false or "auto"',
        ),
        (
            lambda r: r["adapters"]["slack"].update(enabled=True),
            "adapters.slack.bot_token: required when slack is enabled",
        ),
    ],
)
def test_each_mistake_names_key_and_reason(mutate, expected: str) -> None:
    raw = example_raw()
    mutate(raw)
    assert error_of(raw) == expected


def test_env_substitution_fills_secrets_and_turns_adapters_on() -> None:
    raw = example_raw()
    settings = parse(raw, {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s3cret"})
    assert settings.adapters["slack"].enabled
    assert settings.adapters["slack"].get("bot_token") == "xoxb-1"
    assert not settings.adapters["telegram"].enabled


def test_missing_required_env_var_names_key_and_variable() -> None:
    raw = example_raw()
    raw["storage"]["url"] = "postgresql+psycopg://u:${DB_PASSWORD}@db/tierdesk"
    assert error_of(raw) == "storage.url: environment variable DB_PASSWORD is not set"


def test_custom_matrix_with_three_impacts() -> None:
    raw = example_raw()
    raw["priority"]["impact"].append({"key": "site", "label": "A whole site"})
    assert error_of(raw) == "priority.matrix.site.no: required"
    raw["priority"]["matrix"]["site"] = {"no": "S1", "limited": "S1"}
    settings = parse(raw)
    assert settings.priority.priority_for("site", "limited") == "S1"


def test_broken_toml_and_missing_file_are_clear(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[desk\ntimezone = 1", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(bad, {}, platforms=PLATFORMS)
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "missing.toml", {}, platforms=PLATFORMS)
