"""The real bolt ``AsyncApp`` on our HttpServer, a fake Slack Web API, a frozen desk clock.

Requests are signed like Slack signs them and posted over loopback HTTP; after each one
the test waits for the adapter's acknowledged work (``drain``), runs one outbox delivery
round and looks at what the fake Web API received.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest

from adapters.health import Check
from adapters.http import HttpServer
from adapters.runtime import Runtime, build
from adapters.service_pages import add_service_routes, database_check
from adapters.slack import start
from adapters.slack.app import SlackAdapter
from bot.clock import FrozenClock
from tests.e2e.slack import payloads
from tests.factories import T0, make_settings
from tests.fakes.slack_api import Call, FakeSlackApi, slack_user

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SAM, ALICE, BOB, MALLORY = "USAM", "UALICE", "UBOB", "UMALLORY"
CAROL = "UCAROL"  # an L1 agent who has not written to the desk yet
L1, L2, L3 = "C0L1HELP", "C0L2HELP", "C0L3HELP"
FORM = "application/x-www-form-urlencoded"
STATUS_TOKEN = "s3cret-status-token"


def dm(user: str) -> str:
    """The DM channel the fake's ``conversations.open`` gives for ``user``."""
    return "D" + user


@dataclass
class SlackWorld:
    runtime: Runtime
    adapter: SlackAdapter
    api: FakeSlackApi
    http: aiohttp.ClientSession
    url: str
    clock: FrozenClock
    root: str = ""  # the HTTP server's base URL: /healthz, /metrics, the status page
    checks: dict[str, Check] = field(default_factory=dict)  # what /healthz runs

    # -- sending requests ----------------------------------------------------------------

    async def post(
        self,
        body: str,
        *,
        content_type: str = "application/json",
        timestamp: int | None = None,
        secret: str = SECRET,
        retry: int | None = None,
    ) -> tuple[int, str]:
        headers = payloads.signed_headers(
            body, secret, timestamp=timestamp, content_type=content_type
        )
        if retry is not None:
            headers["X-Slack-Retry-Num"] = str(retry)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        async with self.http.post(self.url, data=body.encode(), headers=headers) as response:
            return response.status, await response.text()

    async def say(
        self, user: str, channel: str, text: str, *, thread_ts: str = "", **extra: Any
    ) -> list[Call]:
        event = payloads.message_event(user, channel, text, thread_ts=thread_ts, **extra)
        status, _ = await self.post(payloads.event_body(event))
        assert status == 200
        return await self.settle()

    async def press(self, user: str, message: Call, label: str) -> list[Call]:
        """``user`` presses the button labelled ``label`` on a message the fake received."""
        body = payloads.action_body(user, message.channel, message.ts, message.button(label))
        status, _ = await self.post(body, content_type=FORM)
        assert status == 200
        return await self.settle()

    async def submit(self, user: str, opened: Call, text: str) -> list[Call]:
        """``user`` types ``text`` into the modal opened by ``opened`` and submits it."""
        view_id = str(opened.answer["view"]["id"])
        body = payloads.view_submission_body(user, opened.view, text, view_id)
        status, _ = await self.post(body, content_type=FORM)
        assert status == 200
        return await self.settle()

    async def command(self, user: str, channel: str, text: str) -> list[Call]:
        status, _ = await self.post(payloads.command_body(user, channel, text), content_type=FORM)
        assert status == 200
        return await self.settle()

    async def settle(self) -> list[Call]:
        """Finish acknowledged work, deliver the outbox once; the Web API calls since last."""
        await self.adapter.drain()
        await self.runtime.dispatcher.deliver_due()
        return self.api.take()

    # -- reading what Slack got ----------------------------------------------------------

    @staticmethod
    def posts(calls: list[Call], channel: str = "", method: str = "chat.postMessage") -> list[Call]:
        return [c for c in calls if c.method == method and (not channel or c.channel == channel)]

    @classmethod
    def card_in(cls, calls: list[Call], channel: str) -> Call:
        """The top-level (not threaded) message posted to ``channel``: a ticket card."""
        cards = [c for c in cls.posts(calls, channel) if not c.args.get("thread_ts")]
        assert len(cards) == 1, f"expected one card in {channel}, got {len(cards)}"
        return cards[0]

    @classmethod
    def post_to(cls, calls: list[Call], channel: str, method: str = "chat.postMessage") -> Call:
        found = cls.posts(calls, channel, method)
        assert found, f"no {method} to {channel} in {[(c.method, c.channel) for c in calls]}"
        return found[-1]


@pytest.fixture
async def slack(database_url: str) -> AsyncIterator[SlackWorld]:
    api = FakeSlackApi(
        users={
            SAM: slack_user(SAM, "Sam", "America/New_York"),
            ALICE: slack_user(ALICE, "Alice"),
            BOB: slack_user(BOB, "Bob"),
            MALLORY: slack_user(MALLORY, "Mallory"),
            CAROL: slack_user(CAROL, "Carol"),
        }
    )
    await api.start()
    settings = make_settings(
        database_url,
        desk__leads=[f"slack:{ALICE}"],
        adapters__console={"enabled": False},
        adapters__slack={
            "enabled": True,
            "bot_token": "xoxb-test-token",
            "signing_secret": SECRET,
            "api_base_url": api.url,
        },
        tiers=[
            {
                "name": "L1",
                "label": "1st level",
                "agents": [f"slack:{ALICE}", f"slack:{CAROL}"],
                "channels": {"slack": L1},
            },
            {
                "name": "L2",
                "label": "2nd level",
                "agents": [f"slack:{BOB}"],
                "channels": {"slack": L2},
            },
            {"name": "L3", "label": "3rd level", "agents": [], "channels": {"slack": L3}},
        ],
        http={"status_token": STATUS_TOKEN},
    )
    clock = FrozenClock(T0)
    runtime = await build(settings, clock=clock, migrate=False)
    server = HttpServer("127.0.0.1", 0)
    checks: dict[str, Check] = {"database": database_check(runtime.engine)}
    add_service_routes(runtime, runtime.engine, server, checks)  # as `tierdesk run` does
    adapter = await start(runtime, server)
    checks["slack"] = adapter.check
    await server.start()
    api.take()  # what the adapter asked at start (auth.test) is no request's doing
    session = aiohttp.ClientSession()
    url = f"http://127.0.0.1:{server.port}{adapter.path}"
    try:
        root = f"http://127.0.0.1:{server.port}"
        yield SlackWorld(runtime, adapter, api, session, url, clock, root, checks)
    finally:
        await session.close()
        await adapter.stop()
        await server.stop()
        await runtime.close()
        await api.stop()
