"""Webhook mode: ``setWebhook`` carries the secret, and only requests bearing it get in."""

from __future__ import annotations

import aiohttp
import pytest

from tests.e2e.telegram.conftest import SAM, StartWorld, TelegramWorld
from tests.fakes.database import DatabaseOutage
from tests.fakes.telegram_api import TOKEN

SECRET = "s3cret-Token_for-tests"
PUBLIC_URL = "https://desk.example.com/telegram/webhook"


@pytest.fixture
async def hooked(start_world: StartWorld) -> TelegramWorld:
    return await start_world(webhook_url=PUBLIC_URL, webhook_secret=SECRET)


async def post(world: TelegramWorld, update: dict[str, object], secret: str | None) -> int:
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    async with (
        aiohttp.ClientSession() as session,
        session.post(world.webhook_url, json=update, headers=headers) as response,
    ):
        return response.status


async def test_webhook_is_set_with_the_secret_and_no_polling_happens(hooked: TelegramWorld) -> None:
    (call,) = hooked.api.of("setWebhook")
    assert call.params["url"] == PUBLIC_URL
    assert call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == ["message", "callback_query"]
    assert hooked.api.of("getUpdates") == []


async def test_right_secret_is_served_wrong_or_missing_is_refused(hooked: TelegramWorld) -> None:
    api = hooked.api
    forged = api.text(SAM, "my vpn keeps disconnecting")
    assert await post(hooked, forged, "wrong-secret") == 403
    assert await post(hooked, forged, None) == 403
    assert await post(hooked, forged, TOKEN) == 403
    assert await hooked.deliver() == []  # nothing was handled, nothing queued

    # the same update with the right secret is the first one the desk sees, and answered
    # before the webhook request returns
    assert await post(hooked, forged, SECRET) == 200
    sent = api.messages()
    assert [c.chat_id for c in sent] == [str(SAM["id"])]
    assert "These articles might help" in sent[0].plain


async def test_webhook_redelivery_is_answered_once(hooked: TelegramWorld) -> None:
    update = hooked.api.text(SAM, "my vpn keeps disconnecting")
    assert await post(hooked, update, SECRET) == 200
    assert await post(hooked, update, SECRET) == 200  # Telegram retried: still 200
    assert await hooked.deliver() == []
    (answer,) = hooked.api.messages()
    assert answer.chat_id == str(SAM["id"]) and "These articles might help" in answer.plain


async def test_webhook_refuses_what_is_not_an_update(hooked: TelegramWorld) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            hooked.webhook_url,
            data=b"\x00\xff not json",
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        ) as response,
    ):
        assert response.status == 400
    assert hooked.api.messages() == []


async def test_an_update_that_cannot_be_saved_is_refused_and_saved_when_redelivered(
    hooked: TelegramWorld,
) -> None:
    update = hooked.api.text(SAM, "my vpn keeps disconnecting")
    DatabaseOutage(hooked.runtime.desk)
    assert await post(hooked, update, SECRET) == 500  # Telegram will deliver it again
    assert hooked.api.messages() == []
    assert await post(hooked, update, SECRET) == 200
    (answer,) = hooked.api.messages()
    assert "These articles might help" in answer.plain
