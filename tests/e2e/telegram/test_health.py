"""``/healthz``'s Telegram part: the real python-telegram-bot asking the fake Bot API
``getMe``; a refused token is named with Telegram's reason."""

from __future__ import annotations

from adapters.health import Health
from tests.e2e.telegram.conftest import TelegramWorld


async def test_telegram_is_healthy_while_getme_answers(world: TelegramWorld) -> None:
    health = Health({"telegram": world.adapter.check})
    mark = len(world.api.calls)
    assert await health.report() == {"telegram": "ok"}
    assert [c.method for c in world.api.calls[mark:]] == ["getMe"]
    world.api.fail_next("getMe", 401, "Unauthorized")
    (reason,) = (await health.report()).values()
    assert "Unauthorized" in reason
    assert await health.report() == {"telegram": "ok"}
