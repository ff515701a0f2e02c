"""The platform registry: each adapter declares what the settings need to know of its
platform, and a new platform's descriptor is all the settings need to accept it."""

from __future__ import annotations

import re
from typing import Any

import pytest

import adapters.console.gateway
import adapters.slack.translate
import adapters.telegram.translate
from adapters.platforms import ADAPTERS, PLATFORMS
from bot.domain import Identity
from bot.errors import ConfigError
from bot.settings import Platform, Settings, parse_settings, summarize
from tests.factories import ROOT, example_raw

MATRIX = Platform(
    name="matrix",
    credentials=("homeserver", "access_token"),
    channel_id=re.compile(r"![A-Za-z0-9]+:[a-z0-9.-]+"),
    channel_shape="a Matrix room id like !abc123:example.org",
)


def parse(raw: dict[str, Any], platforms: tuple[Platform, ...] = (*PLATFORMS, MATRIX)) -> Settings:
    return parse_settings(raw, {}, platforms=platforms, base_dir=ROOT)


def error_of(raw: dict[str, Any], platforms: tuple[Platform, ...] = (*PLATFORMS, MATRIX)) -> str:
    with pytest.raises(ConfigError) as caught:
        parse(raw, platforms)
    return str(caught.value)


def with_matrix(**adapter: Any) -> dict[str, Any]:
    """The example config with a Matrix agent, room, on-call member and adapter section."""
    raw = example_raw()
    raw["tiers"][0]["agents"].append("matrix:@dana:example.org")
    raw["tiers"][0]["channels"]["matrix"] = "!helpdesk:example.org"
    raw["tiers"][0]["rotations"][0]["members"].append("matrix:@erik:example.org")
    raw["adapters"]["matrix"] = adapter
    return raw


def test_registry_maps_each_package_to_its_own_descriptor() -> None:
    assert list(ADAPTERS) == ["console", "slack", "telegram"]
    assert tuple(package.DESCRIPTOR for package in ADAPTERS.values()) == PLATFORMS
    for name, package in ADAPTERS.items():
        assert package.DESCRIPTOR.name == name
        assert callable(package.parse_options) and callable(package.start)
    # the name the events and gateways carry is the declared one
    assert ADAPTERS["console"].DESCRIPTOR.name == adapters.console.gateway.PLATFORM
    assert ADAPTERS["slack"].DESCRIPTOR.name == adapters.slack.translate.PLATFORM
    assert ADAPTERS["telegram"].DESCRIPTOR.name == adapters.telegram.translate.PLATFORM


def test_a_new_platforms_descriptor_is_all_settings_need() -> None:
    raw = with_matrix(homeserver="https://matrix.example.org", access_token="syt_1")
    settings = parse(raw)
    l1 = settings.tier("L1")
    assert l1.channels["matrix"] == "!helpdesk:example.org"
    assert settings.agent_ids("matrix") == {"@dana:example.org"}
    assert l1.staffed_by(Identity("matrix", "@erik:example.org"))  # on call, not an agent
    assert settings.enabled_platforms == ("console", "matrix")  # "auto": credentials given
    assert "adapter matrix: enabled" in list(summarize(settings))


def test_a_new_platforms_credentials_and_channel_shape_are_checked() -> None:
    assert not parse(with_matrix(homeserver="https://m.example.org")).adapters["matrix"].enabled
    assert (
        error_of(with_matrix(enabled=True, homeserver="https://m.example.org"))
        == "adapters.matrix.access_token: required when matrix is enabled"
    )
    raw = with_matrix()
    raw["tiers"][0]["channels"]["matrix"] = "#helpdesk"
    assert error_of(raw) == (
        'tiers[0].channels.matrix: "#helpdesk" is not a Matrix room id like !abc123:example.org'
    )


def test_without_its_descriptor_a_platform_is_unknown_everywhere() -> None:
    raw = example_raw()
    raw["tiers"][0]["agents"].append("matrix:@dana:example.org")
    assert error_of(raw, PLATFORMS) == (
        'tiers[0].agents[2]: unknown platform "matrix" in "matrix:@dana:example.org" '
        "(known: console, slack, telegram)"
    )
    raw = example_raw()
    raw["tiers"][0]["rotations"][0]["members"].append("matrix:@erik:example.org")
    assert error_of(raw, PLATFORMS).startswith(
        'tiers[0].rotations[0].members[2]: unknown platform "matrix"'
    )
    raw = example_raw()
    raw["tiers"][0]["channels"]["matrix"] = "!helpdesk:example.org"
    assert error_of(raw, PLATFORMS).startswith(
        "tiers[0].channels.matrix: unknown key (expected one of: console, slack, telegram)"
    )
    raw = example_raw()
    raw["adapters"]["matrix"] = {}
    assert error_of(raw, PLATFORMS) == (
        "adapters.matrix: unknown adapter (known: console, slack, telegram)"
    )


def test_every_known_adapter_is_listed_and_a_missing_section_means_auto() -> None:
    raw = example_raw()
    del raw["adapters"]
    settings = parse(raw, PLATFORMS)
    assert list(settings.adapters) == ["console", "slack", "telegram"]
    assert settings.enabled_platforms == ("console",)  # needs no credentials


@pytest.mark.parametrize(
    ("options", "missing"),
    [
        ({}, ("bot_token", "signing_secret")),
        ({"bot_token": "xoxb-1", "signing_secret": "  "}, ("signing_secret",)),
        ({"bot_token": "xoxb-1", "app_token": "xapp-1"}, ()),  # Socket Mode: no secret needed
        ({"app_token": "xapp-1"}, ("bot_token",)),
        ({"bot_token": "xoxb-1", "signing_secret": "s"}, ()),
    ],
)
def test_slack_socket_mode_app_token_stands_in_for_the_signing_secret(
    options: dict[str, str], missing: tuple[str, ...]
) -> None:
    assert ADAPTERS["slack"].DESCRIPTOR.missing_credentials(options) == missing


def test_slack_in_socket_mode_is_turned_on_by_auto() -> None:
    raw = example_raw()
    settings = parse_settings(
        raw,
        {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"},
        platforms=PLATFORMS,
        base_dir=ROOT,
    )
    assert settings.enabled_platforms == ("console", "slack")
