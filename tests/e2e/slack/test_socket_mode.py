"""Socket Mode: with an app-level token the adapter opens a WebSocket (no HTTP route) and
the desk answers events that arrive over it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from adapters.health import Health
from adapters.http import HttpServer
from adapters.runtime import build
from adapters.slack import start
from bot.clock import FrozenClock
from tests.e2e.slack import payloads
from tests.e2e.slack.conftest import SAM, dm
from tests.factories import T0, make_settings
from tests.fakes.slack_api import FakeSlackApi, slack_user


@pytest.fixture
async def api() -> AsyncIterator[FakeSlackApi]:
    fake = FakeSlackApi(users={SAM: slack_user(SAM, "Sam")})
    await fake.start()
    yield fake
    await fake.stop()


async def test_events_over_socket_mode_reach_the_desk(api: FakeSlackApi, database_url: str) -> None:
    settings = make_settings(
        database_url,
        adapters__console={"enabled": False},
        adapters__slack={
            "enabled": True,
            "bot_token": "xoxb-test-token",
            "signing_secret": "unused-in-socket-mode",
            "app_token": "xapp-test-token",
            "api_base_url": api.url,
        },
    )
    runtime = await build(settings, clock=FrozenClock(T0), migrate=False)
    http = HttpServer("127.0.0.1", 0)
    adapter = await start(runtime, http)
    try:
        assert [c.method for c in api.of("apps.connections.open")] == ["apps.connections.open"]
        body = json.loads(payloads.event_body(payloads.message_event(SAM, dm(SAM), "vpn drops")))
        await api.socket_outbox.put(
            {
                "envelope_id": "env-1",
                "type": "events_api",
                "payload": body,
                "accepts_response_payload": False,
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        ack = await asyncio.wait_for(api.socket_acks.get(), timeout=5)
        assert ack["envelope_id"] == "env-1"
        await adapter.drain()
        await runtime.dispatcher.deliver_due()
        answer = [c for c in api.of("chat.postMessage") if c.channel == dm(SAM)]
        assert len(answer) == 1 and "These articles might help" in answer[0].shown
        paths = {r.resource.canonical for r in http.app.router.routes() if r.resource}
        assert adapter.path not in paths  # nothing listens for Slack over HTTP
        health = Health({"slack": adapter.check})
        assert await health.report() == {"slack": "ok"}  # the WebSocket is up
        assert adapter._socket is not None
        await adapter._socket.client.close()  # the connection is gone
        assert await health.report() == {"slack": "ConnectionError: Socket Mode is not connected"}
    finally:
        await adapter.stop()
        await runtime.close()
