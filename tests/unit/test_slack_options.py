"""``[adapters.slack]`` options: a typo or a missing secret is refused with its key."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.slack.options import parse_options
from bot.errors import ConfigError
from bot.settings import AdapterSettings


def options(**values: Any) -> AdapterSettings:
    return AdapterSettings("slack", True, {"bot_token": "xoxb-1", "signing_secret": "s", **values})


def test_defaults_and_socket_mode_needs_no_signing_secret() -> None:
    http = parse_options(options(api_base_url="http://127.0.0.1:9/api"))
    assert (http.path, http.command, http.app_token) == ("/slack/events", "/ticket", "")
    assert http.api_base_url == "http://127.0.0.1:9/api/"
    socket = parse_options(AdapterSettings("slack", True, {"bot_token": "x", "app_token": "xapp"}))
    assert socket.app_token == "xapp" and socket.signing_secret == ""


@pytest.mark.parametrize(
    ("values", "key", "reason"),
    [
        ({"sigining_secret": "typo"}, "sigining_secret", "unknown key"),
        ({"signing_secret": ""}, "signing_secret", "required unless app_token"),
        ({"bot_token": ""}, "bot_token", "required"),
        ({"path": "slack"}, "path", 'must start with "/"'),
        ({"command": "ticket"}, "command", 'must start with "/"'),
        ({"bot_token": 42}, "bot_token", "expected a string"),
    ],
)
def test_bad_options_name_their_key(values: dict[str, Any], key: str, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_options(options(**values))
    assert caught.value.key == f"adapters.slack.{key}"
    assert reason in caught.value.reason
