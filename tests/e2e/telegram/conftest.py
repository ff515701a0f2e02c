"""The real PTB ``Application`` against a fake Bot API server, on a real database.

``telegram_world`` starts the fake API, builds the runtime with a frozen clock, starts the
Telegram adapter (long polling unless told otherwise) and the HTTP server. ``world.feed``
pushes an update, waits (bounded) until the adapter handled it, drives the outbox and
returns every message the bot sent meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

import adapters.telegram
from adapters.http import HttpServer
from adapters.runtime import Runtime, build
from adapters.telegram.app import TelegramAdapter
from bot.clock import FrozenClock
from tests.factories import T0, make_settings
from tests.fakes.telegram_api import TOKEN, Call, FakeBotApi, group, person

SAM = person(501, "Sam", "sam_h")
KIM = person(502, "Kim")
ALICE = person(1001, "Alice")
BOB = person(1002, "Bob")
CAROL = person(1003, "Carol")
MALLORY = person(666, "Mallory")
L1 = group(-1001001, "Helpdesk L1")
L2 = group(-1001002, "2nd level")
L3 = group(-1001003, "Specialists")
WAIT = 5.0  # seconds a step may take before the test fails


def tiers() -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "label": label,
            "agents": [f"telegram:{agent['id']}"],
            "channels": {"telegram": str(chat["id"])},
        }
        for name, label, agent, chat in (
            ("L1", "1st level (helpdesk)", ALICE, L1),
            ("L2", "2nd level", BOB, L2),
            ("L3", "3rd level (specialists, vendor)", CAROL, L3),
        )
    ]


async def until(condition: Callable[[], bool], what: str) -> None:
    """Poll briefly until ``condition`` holds; fail after :data:`WAIT` seconds."""
    deadline = asyncio.get_running_loop().time() + WAIT
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


@dataclass
class TelegramWorld:
    api: FakeBotApi
    runtime: Runtime
    adapter: TelegramAdapter
    http: HttpServer
    clock: FrozenClock

    async def feed(self, update: dict[str, Any]) -> list[Call]:
        """Deliver one update by long polling; return the messages the bot sent for it."""
        mark, before = len(self.api.calls), self.adapter.processed
        self.api.push(update)
        await until(lambda: self.adapter.processed > before, f"update {update['update_id']}")
        await self.runtime.dispatcher.deliver_due()
        return self.api.messages(mark)

    async def deliver(self) -> list[Call]:
        mark = len(self.api.calls)
        await self.runtime.dispatcher.deliver_due()
        return self.api.messages(mark)

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.http.port}/telegram/webhook"


StartWorld = Callable[..., Awaitable[TelegramWorld]]


@pytest.fixture
async def start_world(database_url: str) -> AsyncIterator[StartWorld]:
    """Starts worlds with extra ``[adapters.telegram]`` options; stops them afterwards."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(**options: Any) -> TelegramWorld:
            api = FakeBotApi()
            await api.start()
            stack.push_async_callback(api.stop)
            settings = make_settings(
                database_url,
                adapters__console={"enabled": False},
                adapters__telegram={
                    "enabled": True,
                    "token": TOKEN,
                    "base_url": api.base_url,
                    "base_file_url": api.base_file_url,
                    "poll_timeout": 1,
                    **options,
                },
                tiers=tiers(),
                desk__leads=[f"telegram:{ALICE['id']}"],
            )
            clock = FrozenClock(T0)
            runtime = await build(settings, clock=clock, migrate=False)
            stack.push_async_callback(runtime.close)
            http = HttpServer("127.0.0.1", 0)
            adapter = await adapters.telegram.start(runtime, http)
            stack.push_async_callback(adapter.stop)
            await http.start()
            stack.push_async_callback(http.stop)
            return TelegramWorld(api, runtime, adapter, http, clock)

        yield start


@pytest.fixture
async def world(start_world: StartWorld) -> TelegramWorld:
    return await start_world()


async def open_ticket(world: TelegramWorld, who: dict[str, Any], text: str) -> Call:
    """Run a requester's intake to the end; returns the ticket card sent to the L1 group."""
    sent = await world.feed(world.api.text(who, text))
    question = sent[-1]
    if any(label == "I still need help" for label, _ in question.buttons):
        question = (await world.feed(world.api.press(who, question, "I still need help")))[-1]
    for label in ("A group of people", "No, I'm blocked", "Today", "Laptop, printer", "Skip"):
        full = next(text for text, _ in question.buttons if text.startswith(label))
        question = (await world.feed(world.api.press(who, question, full)))[-1]
    sent = await world.feed(world.api.press(who, question, "Open ticket"))
    return next(c for c in sent if c.chat_id == str(L1["id"]))
