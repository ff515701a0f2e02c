"""slack_sdk errors → the desk's gateway errors (what the outbox retries, waits on or drops)."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.slack.gateway import gateway_error
from bot.errors import GatewayError, RateLimited, RecipientUnavailable


def api_error(status: int, error: str, headers: dict[str, str] | None = None) -> SlackApiError:
    response = AsyncSlackResponse(
        client=None,  # type: ignore[arg-type]
        http_verb="POST",
        api_url="http://127.0.0.1/api/chat.postMessage",
        req_args={},
        data={"ok": False, "error": error},
        headers=headers or {},
        status_code=status,
    )
    return SlackApiError("failed", response)


def test_429_becomes_rate_limited_with_retry_after() -> None:
    error = gateway_error(api_error(429, "ratelimited", {"Retry-After": "42"}))
    assert isinstance(error, RateLimited) and error.retry_after == 42


def test_429_without_header_waits_a_second() -> None:
    error = gateway_error(api_error(429, "ratelimited"))
    assert isinstance(error, RateLimited) and error.retry_after == 1


@pytest.mark.parametrize("code", ["channel_not_found", "not_in_channel", "user_not_found"])
def test_unreachable_recipients_are_not_retried(code: str) -> None:
    assert isinstance(gateway_error(api_error(200, code)), RecipientUnavailable)


@pytest.mark.parametrize("exc", [api_error(503, "service_unavailable"), OSError("reset")])
def test_server_and_network_errors_are_retried(exc: Exception) -> None:
    error = gateway_error(exc)
    assert type(error) is GatewayError
