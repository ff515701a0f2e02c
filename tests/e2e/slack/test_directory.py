"""Who is who on Slack: one ``users.info`` per person, however many of their requests come
at once (two hundred presses by twenty agents used to cost up to two hundred look-ups)."""

from __future__ import annotations

import asyncio

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.gateway import Directory
from tests.e2e.slack import payloads
from tests.fakes.slack_api import FakeSlackApi, slack_user


async def test_requests_of_one_person_at_once_share_one_look_up() -> None:
    api = FakeSlackApi(users={"UAGENT": slack_user("UAGENT", "Alice")})
    await api.start()
    try:
        directory = Directory(AsyncWebClient(token="xoxb-test", base_url=api.url))
        held = api.hold("users.info")
        asking = [asyncio.create_task(directory.profile("UAGENT")) for _ in range(20)]
        await asyncio.wait_for(held.accepted.wait(), 5)
        held.release()
        profiles = await asyncio.gather(*asking)
        assert {p.display_name for p in profiles} == {"Alice"}
        assert len(api.of("users.info")) == 1
        await directory.profile("UAGENT")  # and then from the cache
        assert len(api.of("users.info")) == 1
        gone = asyncio.create_task(directory.profile("UOTHER"))
        await asyncio.sleep(0)
        gone.cancel()  # one caller giving up does not stop the look-up for the others
        assert (await directory.profile("UOTHER")).display_name == ""
    finally:
        await api.stop()


async def test_requests_arriving_together_after_start_ask_auth_test_no_more(slack) -> None:
    users = [f"UREQ{i:04d}" for i in range(12)]
    bodies = [
        payloads.event_body(payloads.message_event(u, "D" + u, "my vpn keeps dropping"))
        for u in users
    ]
    answers = await asyncio.gather(*(slack.post(body) for body in bodies))
    assert [status for status, _ in answers] == [200] * len(users)
    await slack.settle()
    assert len(slack.api.of("auth.test")) == 1  # once, at start
