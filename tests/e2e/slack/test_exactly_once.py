"""Exactly once on Slack: a post the platform accepted just before its sender died is found
again by its outbox id (message metadata) instead of being posted twice; a live sender's
lease is never taken; a thread note never lands outside its rate-limited card's thread."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from bot.services.delivery import Dispatcher
from storage.tables import OutboxRow
from tests.e2e.slack import payloads
from tests.e2e.slack.conftest import ALICE, FORM, L1, L2, SAM, SlackWorld, dm
from tests.e2e.slack.test_story import open_ticket
from tests.fakes.database import DatabaseOutage
from tests.fakes.slack_api import Hold

PROBLEM = "printer on floor 3 jams"


async def outbox_rows(slack: SlackWorld) -> list[sa.Row]:
    async with slack.runtime.engine.connect() as connection:
        return list((await connection.execute(sa.select(OutboxRow).order_by(OutboxRow.id))).all())


async def quietly(slack: SlackWorld, body: str, content_type: str = "application/json") -> None:
    """Post a signed request and wait for the desk, with no delivery started by it."""
    slack.adapter.deliver_soon = lambda: None
    status, _ = await slack.post(body, content_type=content_type)
    assert status == 200
    await slack.adapter.drain()


async def die_mid_send(slack: SlackWorld, dispatcher: Dispatcher) -> Hold:
    """``dispatcher`` posts; Slack stores the message, then the sender dies before the answer."""
    hold = slack.api.hold("chat.postMessage")
    sending = asyncio.create_task(dispatcher.deliver_due())
    await asyncio.wait_for(hold.accepted.wait(), 10)
    sending.cancel()  # as good as kill -9 for this sender: nothing after the send runs
    await asyncio.gather(sending, return_exceptions=True)
    hold.release()
    return hold


async def test_a_post_accepted_before_a_crash_is_found_not_posted_again(
    slack: SlackWorld,
) -> None:
    slack.api.now = lambda: slack.clock.now().timestamp()
    await quietly(slack, payloads.event_body(payloads.message_event(SAM, dm(SAM), PROBLEM)))
    await die_mid_send(slack, slack.runtime.dispatcher)
    [*_, row] = await outbox_rows(slack)
    assert row.delivered_at is None  # Slack has it; the outbox does not know

    # Another sender keeps off while the lease runs, and takes over seconds after it ended.
    replica = Dispatcher(slack.runtime.uow_factory, slack.clock, slack.runtime.dispatcher.gateways)
    slack.clock.advance(timedelta(seconds=3))
    assert await replica.deliver_due() == 0
    slack.clock.advance(timedelta(seconds=4))
    assert await replica.deliver_due() == 1

    [posted] = slack.api.tagged(dm(SAM))  # the one post, not a second
    assert len(slack.api.of("chat.postMessage")) == 1
    [row] = await outbox_rows(slack)
    assert row.delivered_at is not None and row.sent_id == posted["ts"]
    reads = slack.api.of("conversations.history")
    assert reads and reads[-1].channel == dm(SAM)


async def test_a_thread_post_is_looked_for_in_its_thread(slack: SlackWorld) -> None:
    slack.api.now = lambda: slack.clock.now().timestamp()
    card = await open_ticket(slack)
    await quietly(slack, payloads.command_body(ALICE, L1, "note 1 checked the toner"), FORM)
    await die_mid_send(slack, slack.runtime.dispatcher)
    slack.clock.advance(timedelta(seconds=10))
    await slack.runtime.dispatcher.deliver_due()

    notes = [m for m in slack.api.tagged(L1) if m.get("thread_ts") == card.ts]
    assert len(notes) == 1 and "checked the toner" in str(notes[0]["blocks"])
    assert [c.args["ts"] for c in slack.api.of("conversations.replies")] == [card.ts]


async def test_a_live_senders_lease_is_never_taken(slack: SlackWorld) -> None:
    slack.api.now = lambda: slack.clock.now().timestamp()
    gateways = slack.runtime.dispatcher.gateways
    owner = Dispatcher(slack.runtime.uow_factory, slack.clock, gateways, heartbeat=0.01)
    replica = Dispatcher(slack.runtime.uow_factory, slack.clock, gateways)
    await slack.say(SAM, dm(SAM), "hello")  # delivered; only the next one is held
    slack.api.take()
    await quietly(slack, payloads.event_body(payloads.message_event(SAM, dm(SAM), PROBLEM)))
    hold = slack.api.hold("chat.postMessage")
    sending = asyncio.create_task(owner.deliver_due())
    await asyncio.wait_for(hold.accepted.wait(), 10)

    slack.clock.advance(timedelta(minutes=5))  # Slack is slow; the owner is alive
    for _ in range(500):  # until its heartbeat has renewed the lease past the new now
        if any(
            r.next_attempt_at and r.next_attempt_at > slack.clock.now()
            for r in await outbox_rows(slack)
        ):
            break
        await asyncio.sleep(0.01)
    held = slack.api.of("chat.postMessage")[-1].args["metadata"]["event_payload"]
    await replica.deliver_due()
    hold.release()
    await sending
    await replica.deliver_due()
    ids = [m["metadata"]["event_payload"] for m in slack.api.tagged(dm(SAM))]
    assert ids.count(held) == 1


async def test_a_thread_note_waits_for_its_rate_limited_card(slack: SlackWorld) -> None:
    await open_ticket(slack)
    slack.api.fail_next("chat.postMessage", status=429, retry_after=30)  # the L2 card's post
    calls = await slack.command(ALICE, L1, "escalate 1 needs a firewall change")
    assert [c.answer.get("error") for c in slack.posts(calls, L2)] == ["ratelimited"]
    calls += await slack.settle()  # Sam is told; the note waits for its card
    assert slack.posts(calls, L2)[1:] == []
    assert "2nd level" in slack.post_to(calls, dm(SAM)).shown

    slack.clock.advance(timedelta(seconds=30))
    calls = await slack.settle()
    card = slack.card_in(calls, L2)
    [note] = [c for c in slack.posts(calls, L2) if c is not card]
    assert "Escalated from L1 by Alice" in note.shown
    assert note.args["thread_ts"] == card.ts


async def test_a_post_whose_record_failed_while_the_database_was_away_is_not_posted_again(
    slack: SlackWorld,
) -> None:
    slack.api.now = lambda: slack.clock.now().timestamp()
    await quietly(slack, payloads.event_body(payloads.message_event(SAM, dm(SAM), PROBLEM)))
    dispatcher = slack.runtime.dispatcher
    hold = slack.api.hold("chat.postMessage")
    sending = asyncio.create_task(dispatcher.deliver_due())
    await asyncio.wait_for(hold.accepted.wait(), 10)
    DatabaseOutage(dispatcher, failures=1)  # type: ignore[arg-type]  # the record fails
    hold.release()
    [failed] = await asyncio.gather(sending, return_exceptions=True)
    assert isinstance(failed, OperationalError)

    slack.clock.advance(timedelta(seconds=7))  # the database is back; the lease ran out
    await dispatcher.deliver_due()
    held = slack.api.of("chat.postMessage")[0].args["metadata"]["event_payload"]
    ids = [m["metadata"]["event_payload"] for m in slack.api.tagged(dm(SAM))]
    assert ids.count(held) == 1
    assert all(r.delivered_at is not None for r in await outbox_rows(slack))


async def test_without_the_history_scope_a_post_is_sent_again_rather_than_never(
    slack: SlackWorld,
) -> None:
    slack.api.now = lambda: slack.clock.now().timestamp()
    await quietly(slack, payloads.event_body(payloads.message_event(SAM, dm(SAM), PROBLEM)))
    await die_mid_send(slack, slack.runtime.dispatcher)
    slack.api.fail_next("conversations.history", error="missing_scope")
    slack.clock.advance(timedelta(seconds=7))
    await slack.runtime.dispatcher.deliver_due()
    assert len(slack.api.tagged(dm(SAM))) >= 2  # at least once: the app cannot look
    assert all(r.delivered_at is not None for r in await outbox_rows(slack))
