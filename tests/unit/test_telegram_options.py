"""``[adapters.telegram]`` options and how Bot API failures reach the outbox."""

from __future__ import annotations

from typing import Any

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from adapters.telegram.gateway import gateway_error
from adapters.telegram.options import parse_options
from bot.errors import ConfigError, GatewayError, RateLimited, RecipientUnavailable
from bot.settings import AdapterSettings


def options(**values: Any) -> AdapterSettings:
    return AdapterSettings("telegram", True, {"token": "123:abc", **values})


def test_polling_is_the_default_and_webhook_needs_a_secret() -> None:
    assert not parse_options(options()).webhook
    with pytest.raises(ConfigError, match=r"adapters\.telegram\.webhook_secret: required"):
        parse_options(options(webhook_url="https://desk.example.com/telegram/webhook"))
    hooked = parse_options(options(webhook_url="https://d.example/hook", webhook_secret="a-B_9"))
    assert hooked.webhook and hooked.webhook_secret == "a-B_9"


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"webhook_secret": "has spaces"}, "webhook_secret"),
        ({"webhook_path": "telegram"}, "webhook_path"),
        ({"poll_timeout": 600}, "poll_timeout"),
        ({"tokn": "typo"}, "tokn"),
        ({"token": ""}, "token"),
    ],
)
def test_bad_options_name_their_key(values: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_options(options(**values))
    assert caught.value.key == f"adapters.telegram.{key}"


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_bot_api_errors_become_desk_gateway_errors() -> None:
    limited = gateway_error(RetryAfter(7))
    assert isinstance(limited, RateLimited) and limited.retry_after == 7
    for gone in (Forbidden("Forbidden: bot was blocked by the user"), BadRequest("Chat not found")):
        assert isinstance(gateway_error(gone), RecipientUnavailable)
    for transient in (TimedOut(), NetworkError("connection reset")):
        error = gateway_error(transient)
        assert type(error) is GatewayError  # retried with backoff, not given up
