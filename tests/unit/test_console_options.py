"""``[adapters.console]`` options: checked like every adapter's, a typo refused with its key."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.console.options import parse_options
from bot.errors import ConfigError
from bot.settings import AdapterSettings


def options(**values: Any) -> AdapterSettings:
    return AdapterSettings("console", True, values)


def test_defaults_and_values() -> None:
    assert parse_options(options()) == parse_options(options(requester="sam"))
    chosen = parse_options(options(requester="kim", timezone="Asia/Tokyo"))
    assert (chosen.requester, chosen.timezone) == ("kim", "Asia/Tokyo")
    assert parse_options(options()).timezone == ""  # the desk's


@pytest.mark.parametrize(
    ("values", "key", "reason"),
    [
        ({"requestor": "kim"}, "requestor", "unknown key (expected one of: requester, timezone)"),
        ({"requester": " "}, "requester", "name who you are at the start, like sam"),
        ({"requester": 7}, "requester", "expected a string, got an integer"),
        ({"timezone": "Mars/Olympus"}, "timezone", 'unknown time zone "Mars/Olympus"'),
    ],
)
def test_bad_options_name_their_key(values: dict[str, Any], key: str, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_options(options(**values))
    assert (caught.value.key, caught.value.reason) == (f"adapters.console.{key}", reason)
