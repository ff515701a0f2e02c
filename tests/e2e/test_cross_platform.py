"""One desk, two platforms: a requester on Telegram, agents on Slack.

One runtime (frozen clock, the test database) runs both adapters at once: the real bolt
``AsyncApp`` on our HTTP server, receiving signed requests, against the fake Slack Web API,
and the real PTB ``Application`` long-polling the fake Bot API. The tests assert on what
each fake received, i.e. what people on each side would see.

1. Telegram private-chat intake → card in the L1 Slack channel → Claim on Slack → the
   requester is told on Telegram → thread replies relayed both ways (escaped for each side)
   → ``/ticket resolve`` on Slack → the requester gets the resolution on Telegram.
2. An SLA breach pings the Slack on-call agent by DM with an Acknowledge button; pressing it
   stops the reminders. Time moves only by the frozen clock and explicit ticks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
import pytest

import adapters.slack
import adapters.telegram
from adapters.http import HttpServer
from adapters.runtime import build
from bot.clock import FrozenClock
from tests.e2e.slack.conftest import ALICE, L1, L2, L3, SECRET, SlackWorld, dm
from tests.e2e.telegram.conftest import SAM, TelegramWorld
from tests.factories import T0, make_settings
from tests.fakes.slack_api import Call, FakeSlackApi, slack_user
from tests.fakes.telegram_api import TOKEN, FakeBotApi
from tests.fakes.telegram_api import Call as TgCall

SAM_CHAT = str(SAM["id"])  # Sam's private chat with the bot has his user id
INTAKE = ("A group of people", "No, I'm blocked", "Right now", "Laptop, printer", "Skip")


@dataclass
class Desk:
    """Both worlds share one runtime, so one ``deliver_due`` serves Slack and Telegram."""

    slack: SlackWorld
    telegram: TelegramWorld
    clock: FrozenClock

    async def tick(self, advance: timedelta) -> tuple[list[Call], list[TgCall]]:
        """Move the clock on, run one SLA tick and one delivery round; what each fake got."""
        mark = len(self.telegram.api.calls)
        self.clock.advance(advance)
        await self.slack.runtime.desk.sla.tick()
        await self.slack.runtime.dispatcher.deliver_due()
        return self.slack.api.take(), self.telegram.api.messages(mark)


@pytest.fixture
async def desk(database_url: str) -> AsyncIterator[Desk]:
    slack_api = FakeSlackApi(users={ALICE: slack_user(ALICE, "Alice")})
    bot_api = FakeBotApi()
    await slack_api.start()
    await bot_api.start()
    settings = make_settings(
        database_url,
        adapters__console={"enabled": False},
        adapters__slack={
            "enabled": True,
            "bot_token": "xoxb-test-token",
            "signing_secret": SECRET,
            "api_base_url": slack_api.url,
        },
        adapters__telegram={
            "enabled": True,
            "token": TOKEN,
            "base_url": bot_api.base_url,
            "base_file_url": bot_api.base_file_url,
            "poll_timeout": 1,
        },
        tiers=[
            {
                "name": "L1",
                "label": "1st level",
                "agents": [f"slack:{ALICE}"],
                "channels": {"slack": L1},
                "rotations": [
                    {
                        "name": "always",
                        "members": [f"slack:{ALICE}"],
                        "timezone": "Europe/Berlin",
                        "active": "always",
                    }
                ],
            },
            {"name": "L2", "label": "2nd level", "agents": [], "channels": {"slack": L2}},
            {"name": "L3", "label": "3rd level", "agents": [], "channels": {"slack": L3}},
        ],
    )
    clock = FrozenClock(T0)
    runtime = await build(settings, clock=clock, migrate=False)
    http = HttpServer("127.0.0.1", 0)
    slack_adapter = await adapters.slack.start(runtime, http)
    telegram_adapter = await adapters.telegram.start(runtime, http)
    await http.start()
    slack_api.take()  # what the adapter asked at start (auth.test) is no request's doing
    session = aiohttp.ClientSession()
    url = f"http://127.0.0.1:{http.port}{slack_adapter.path}"
    try:
        yield Desk(
            SlackWorld(runtime, slack_adapter, slack_api, session, url, clock),
            TelegramWorld(bot_api, runtime, telegram_adapter, http, clock),
            clock,
        )
    finally:
        await session.close()
        await telegram_adapter.stop()
        await slack_adapter.stop()
        await http.stop()
        await runtime.close()
        await bot_api.stop()
        await slack_api.stop()


async def report_on_telegram(desk: Desk, text: str) -> tuple[TgCall, Call]:
    """Sam reports ``text`` privately and answers the intake; his confirmation on Telegram
    and the ticket card the fake Slack got in L1."""
    tg = desk.telegram
    question = (await tg.feed(tg.api.text(SAM, text)))[-1]
    if any(label == "I still need help" for label, _ in question.buttons):
        question = (await tg.feed(tg.api.press(SAM, question, "I still need help")))[-1]
    for label in INTAKE:
        full = next(shown for shown, _ in question.buttons if shown.startswith(label))
        question = (await tg.feed(tg.api.press(SAM, question, full)))[-1]
    assert desk.slack.api.take() == []  # nothing reaches Slack before the ticket exists
    sent = await tg.feed(tg.api.press(SAM, question, "Open ticket"))
    confirmation = next(c for c in sent if c.chat_id == SAM_CHAT)
    return confirmation, SlackWorld.card_in(desk.slack.api.take(), L1)


def labels(message: Call) -> list[str]:
    return [b["text"]["text"] for b in message.buttons]


async def test_telegram_requester_and_slack_agent_work_one_ticket(desk: Desk) -> None:
    slack, tg = desk.slack, desk.telegram

    # Sam reports privately on Telegram; the card appears in the L1 Slack channel.
    told, card = await report_on_telegram(desk, "the printer on floor 3 jams")
    assert "Ticket #1: the printer on floor 3 jams" in told.plain
    assert "#1" in card.shown and "the printer on floor 3 jams" in card.shown
    assert "Sam" in card.shown and "S1 Critical" in card.shown
    assert labels(card)[:4] == ["Claim", "Reply", "Escalate", "Resolve"]
    assert tg.api.sent_to(L1) == []  # a Slack channel id never becomes a Telegram chat

    # Alice claims on Slack: the card is updated in place and Sam is told on Telegram.
    mark = len(tg.api.calls)
    calls = await slack.press(ALICE, card, "Claim")
    updated = slack.post_to(calls, L1, "chat.update")
    assert updated.args["ts"] == card.ts and "Alice" in updated.shown
    assert "Claim" not in labels(updated)
    (claimed,) = tg.api.sent_to(SAM_CHAT, mark)
    assert "Alice is now working on #1" in claimed.plain

    # Alice answers in the card's thread, with markup Telegram's HTML must not interpret.
    mark = len(tg.api.calls)
    await slack.say(ALICE, L1, "Open the <b>tray</b> & pull the jammed sheet", thread_ts=card.ts)
    (relayed,) = tg.api.sent_to(SAM_CHAT, mark)
    assert relayed.params["parse_mode"] == "HTML"
    assert "Open the &lt;b&gt;tray&lt;/b&gt; &amp; pull the jammed sheet" in relayed.text
    assert "Alice wrote:" in relayed.plain
    assert "Open the <b>tray</b> & pull the jammed sheet" in relayed.plain

    # Sam answers on Telegram: it lands in the card's Slack thread, where it pings nobody.
    sent = await tg.feed(tg.api.text(SAM, "done, works again <!channel> & thanks"))
    assert [c for c in sent if c.chat_id != SAM_CHAT] == []
    in_thread = slack.post_to(slack.api.take(), L1)
    assert in_thread.args["thread_ts"] == card.ts
    assert "done, works again <!channel> & thanks" in in_thread.shown  # as Sam typed it
    assert "<!channel>" not in in_thread.parsed and in_thread.rich_types == {"text"}

    # Alice resolves with the slash command; Sam gets the resolution on Telegram.
    mark = len(tg.api.calls)
    calls = await slack.command(ALICE, L1, "resolve 1 cleared the paper jam")
    final = slack.post_to(calls, L1, "chat.update")
    assert final.args["ts"] == card.ts and "Resolved" in final.shown and final.buttons == []
    (resolved,) = tg.api.sent_to(SAM_CHAT, mark)
    assert "Ticket #1 is resolved" in resolved.plain
    assert "Resolution: cleared the paper jam" in resolved.plain
    assert [label for label, _ in resolved.buttons] == ["Yes, solved", "No, reopen"]


async def test_sla_breach_pings_slack_on_call_until_acknowledged(desk: Desk) -> None:
    slack = desk.slack
    told, card = await report_on_telegram(desk, "the whole office has no network")
    assert "Response due: 2026-11-23 10:15 CET (in 15m)" in told.plain  # S1: 15 minutes

    # Nobody claims it. Fifteen minutes on, the response target is breached: the thread
    # hears it and Alice, on call for L1, gets a DM with an Acknowledge button.
    slack_calls, telegram_calls = await desk.tick(timedelta(minutes=15, seconds=30))
    opened = slack.api.of("conversations.open", slack_calls)
    assert [c.args["users"] for c in opened] == [ALICE]
    ping = slack.post_to(slack_calls, dm(ALICE))
    assert "#1" in ping.shown and "response SLA breached" in ping.shown
    assert labels(ping)[:2] == ["Acknowledge", "Show"]
    thread = [c for c in slack.posts(slack_calls, L1) if c.args.get("thread_ts") == card.ts]
    assert any("response SLA breached" in c.shown for c in thread)
    assert telegram_calls == []  # the requester is not bothered with SLA pings

    # Still nobody reacts: after the repeat interval (15m) Alice is reminded.
    slack_calls, _ = await desk.tick(timedelta(minutes=15))
    reminder = slack.post_to(slack_calls, dm(ALICE))
    assert "still breached (reminder" in reminder.shown

    # Alice presses Acknowledge in her DM (a signed interactivity request).
    calls = await slack.press(ALICE, reminder, "Acknowledge")
    assert any(
        "Alice acknowledged the breach of #1" in c.shown
        for c in slack.posts(calls, L1)
        if c.args.get("thread_ts") == card.ts
    )

    # Another repeat interval later the tick still runs (the resolution clock warns the
    # channel), but Alice gets no reminder and nothing is escalated.
    slack_calls, telegram_calls = await desk.tick(timedelta(minutes=15, seconds=30))
    assert slack.posts(slack_calls, dm(ALICE)) == []
    assert not any("reminder" in c.shown or "escalated" in c.shown for c in slack_calls)
    assert "resolution due soon" in SlackWorld.card_in(slack_calls, L1).shown
    assert telegram_calls == []


async def test_slack_text_reaches_telegram_as_the_agent_typed_it(desk: Desk) -> None:
    slack, tg = desk.slack, desk.telegram
    _, card = await report_on_telegram(desk, "printer jams")
    # Alice types "Use <Ctrl> & P"; Slack's Events API sends it encoded (&lt;Ctrl&gt; &amp;).
    mark = len(tg.api.calls)
    await slack.say(ALICE, L1, "Use <Ctrl> & P", thread_ts=card.ts)
    (relayed,) = tg.api.sent_to(SAM_CHAT, mark)
    assert "Use <Ctrl> & P" in relayed.plain
