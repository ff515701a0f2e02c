"""Two desks with Telegram long polling on one PostgreSQL database and one Bot API: exactly
one polls (a second poller would get 409 Conflict); when the poller's database connection
dies (its process killed, or cut off), the other takes over and no update is lost."""

from __future__ import annotations

import contextlib
import time

import pytest
from sqlalchemy import text

import adapters.singleton
import adapters.telegram
import storage.shared
from adapters.http import HttpServer
from adapters.runtime import build
from bot.clock import FrozenClock
from storage.db import make_engine
from tests.e2e.telegram.conftest import KIM, SAM, tiers, until
from tests.factories import T0, make_settings
from tests.fakes.telegram_api import TOKEN, FakeBotApi

pytestmark = pytest.mark.pg


async def test_one_replica_polls_and_another_takes_over_when_it_dies(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("replicas share one PostgreSQL database")
    monkeypatch.setattr(adapters.singleton, "RETRY", 0.1)  # the real standby tries every 5 s
    api = FakeBotApi()
    await api.start()
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(api.stop)
        desks = []
        for _ in range(2):
            settings = make_settings(
                database_url,
                adapters__console={"enabled": False},
                adapters__telegram={
                    "enabled": True,
                    "token": TOKEN,
                    "base_url": api.base_url,
                    "base_file_url": api.base_file_url,
                    "poll_timeout": 1,
                },
                tiers=tiers(),
            )
            runtime = await build(settings, clock=FrozenClock(T0), migrate=False)
            stack.push_async_callback(runtime.close)
            adapter = await adapters.telegram.start(runtime, HttpServer("127.0.0.1", 0))
            stack.push_async_callback(adapter.stop)
            desks.append((runtime, adapter))
        (_, first), (second_runtime, second) = desks
        assert first.polling is not None and second.polling is not None
        assert (first.polling.active, second.polling.active) == (True, False)

        api.push(api.text(SAM, "my vpn keeps disconnecting"))
        await until(lambda: first.processed == 1, "the poller handles it")
        assert second.processed == 0

        # The poller's lock connection dies, as when its process is killed.
        engine = make_engine(database_url)
        try:
            async with engine.connect() as admin:
                # This desk's lock only: other tests of the run hold advisory locks too.
                rows = await admin.execute(
                    text(
                        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' "
                        "AND ((classid::bigint << 32) | objid::bigint) = "
                        f"{storage.shared.LOCK_KEY}"
                    ),
                    {"name": f"telegram-polling:{TOKEN.split(':', 1)[0]}"},
                )
                [pid] = [r.pid for r in rows]
                await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        finally:
            await engine.dispose()
        died = time.monotonic()
        await until(lambda: second.polling.active and not first.polling.active, "a take-over")
        assert time.monotonic() - died < 30

        api.push(api.text(KIM, "the printer jams"))
        await until(lambda: second.processed == 1, "the new poller handles it")
        await second_runtime.dispatcher.deliver_due()
        answered = {c.chat_id for c in api.messages()}
        assert answered == {str(SAM["id"]), str(KIM["id"])}  # nothing lost
        assert api.unconfirmed in ([], [api.served[-1]])
