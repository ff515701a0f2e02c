"""Outbox delivery: retries, rate limits, give-ups and cards edited in place."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from bot.errors import GatewayError, RateLimited, RecipientUnavailable
from bot.messages import Action
from tests.desk.conftest import World
from tests.factories import command, press, say


async def queue_ticket(world: World) -> None:
    await world.desk.handle(say("sam", "printer on floor 3 jams"))
    for answer in ("group", "no", "today", "hardware", "skip", "submit"):
        await world.desk.handle(press("sam", Action.CHOOSE, value=answer))


async def test_rate_limit_waits_retry_after_then_delivers_everything(world: World) -> None:
    await world.desk.handle(say("sam", "printer on floor 3 jams"))
    world.gateway.failures = [RateLimited(30)]
    assert await world.dispatcher.deliver_due() == 0
    assert world.gateway.take() == []
    world.clock.advance(timedelta(seconds=29))
    assert await world.dispatcher.deliver_due() == 0
    world.clock.advance(timedelta(seconds=1))
    assert await world.dispatcher.deliver_due() == 1
    assert world.gateway.take()[0].where == "sam"


async def test_server_errors_back_off_and_nothing_is_lost(world: World) -> None:
    await world.desk.handle(say("sam", "printer on floor 3 jams"))
    world.gateway.failures = [GatewayError("502"), GatewayError("503")]
    await world.dispatcher.deliver_due()
    world.clock.advance(timedelta(seconds=5))
    await world.dispatcher.deliver_due()
    assert world.gateway.take() == []
    world.clock.advance(timedelta(seconds=10))
    assert await world.dispatcher.deliver_due() == 1
    assert len(world.gateway.take()) == 1


async def test_unreachable_recipient_is_given_up_not_retried(world: World) -> None:
    await world.desk.handle(say("sam", "printer on floor 3 jams"))
    world.gateway.failures = [RecipientUnavailable("channel_not_found")]
    await world.dispatcher.deliver_due()
    world.clock.advance(timedelta(hours=1))
    assert await world.dispatcher.deliver_due() == 0
    assert world.gateway.take() == []


async def test_card_posted_once_then_edited_and_stale_versions_skipped(world: World) -> None:
    await queue_ticket(world)
    await world.dispatcher.deliver_due()
    card = next(d for d in world.gateway.take() if d.where == "#L1")
    await world.desk.handle(command("alice", "/claim 1"))
    await world.desk.handle(command("alice", "/waiting 1 which floor?"))  # two card versions queued
    await world.dispatcher.deliver_due()
    cards = [d for d in world.gateway.take() if d.where == "#L1" and d.route.card_key]
    assert len(cards) == 1  # the older version was superseded, not sent
    assert cards[0].edit_id == card.message_id
    assert any(f.value == "Waiting on requester" for f in cards[0].message.fields)


async def test_a_send_interrupted_by_a_crash_is_resent_after_the_lease(world: World) -> None:
    await world.desk.handle(say("sam", "printer on floor 3 jams"))

    class Crash(BaseException):
        pass

    async def crash(*args, **kwargs):
        raise Crash

    real_send = world.gateway.send
    world.gateway.send = crash  # type: ignore[method-assign]
    with contextlib.suppress(Crash):
        await world.dispatcher.deliver_due()
    world.gateway.send = real_send  # type: ignore[method-assign]
    assert await world.dispatcher.deliver_due() == 0  # leased: another sender keeps off
    world.clock.advance(timedelta(seconds=61))
    assert await world.dispatcher.deliver_due() == 1


async def test_a_newer_card_version_waits_for_the_first_post_another_sender_has(
    world: World,
) -> None:
    """Two versions of a card not posted yet, the first in flight on another replica: the
    newer waits for it and then edits what it posted, rather than posting a second card."""
    await queue_ticket(world)
    async with world.uow_factory() as uow:
        first = next(
            i
            for i in await uow.outbox.due(world.clock.now(), ["console"], 100)
            if i.route.card_key == "ticket:1:L1"
        )
        assert first.id is not None
        await uow.outbox.lease(first.id, world.clock.now() + timedelta(seconds=6), owner="other")
        await uow.commit()
    await world.desk.handle(command("alice", "/claim 1"))  # a newer version of the card
    await world.dispatcher.deliver_due()
    assert not [d for d in world.gateway.take() if d.route.card_key == "ticket:1:L1"]

    async with world.uow_factory() as uow:  # the other replica posts the first version
        await uow.outbox.mark_delivered(first.id, world.clock.now(), "m-first")
        await uow.outbox.put_ref("console", "L1", "ticket:1:L1", "m-first")
        await uow.commit()
    world.clock.advance(timedelta(seconds=7))  # the newer one waited for that lease's end
    await world.dispatcher.deliver_due()
    (card,) = [d for d in world.gateway.take() if d.route.card_key == "ticket:1:L1"]
    assert card.edit_id == "m-first"  # edited in place, not posted again
