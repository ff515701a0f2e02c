"""Outbox leases on the real database: an owner's heartbeat renews only its own pending
leases, a failure ends the lease, the first lease time is kept for the read-back, and a
card's pending post is found."""

from __future__ import annotations

from datetime import timedelta

from storage.uow import SqlUnitOfWorkFactory
from tests.integration.test_storage_outbox import T0, _item, _queue


async def test_leases_are_renewed_by_their_owner_only(uow_factory: SqlUnitOfWorkFactory) -> None:
    mine, theirs, failed = await _queue(uow_factory, _item(), _item(), _item())
    async with uow_factory() as uow:
        await uow.outbox.lease(mine, T0 + timedelta(seconds=6), owner="me", at=T0)
        await uow.outbox.lease(theirs, T0 + timedelta(seconds=6), owner="them", at=T0)
        await uow.outbox.lease(failed, T0 + timedelta(seconds=6), owner="me", at=T0)
        await uow.outbox.mark_failed(failed, "503", T0 + timedelta(minutes=5), T0)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.outbox.renew("me", T0 + timedelta(seconds=20)) == 1
        await uow.commit()
    async with uow_factory() as uow:
        due = {i.id: i for i in await uow.outbox.due(T0 + timedelta(minutes=10), ["slack"], 9)}
    assert due[mine].next_attempt_at == T0 + timedelta(seconds=20)
    assert due[theirs].next_attempt_at == T0 + timedelta(seconds=6)
    assert due[failed].next_attempt_at == T0 + timedelta(minutes=5)  # the retry time stays


async def test_the_first_lease_time_is_kept_across_take_overs(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    [item_id] = await _queue(uow_factory, _item())
    async with uow_factory() as uow:
        [fresh] = await uow.outbox.due(T0, ["slack"], 1)
        await uow.outbox.lease(item_id, T0 + timedelta(seconds=6), owner="a", at=T0)
        await uow.commit()
    later = T0 + timedelta(minutes=1)
    async with uow_factory() as uow:
        [taken] = await uow.outbox.due(later, ["slack"], 1)
        await uow.outbox.lease(item_id, later + timedelta(seconds=6), owner="b", at=later)
        await uow.outbox.mark_delivered(item_id, later, "1795424400.000001")
        await uow.commit()
    assert fresh.leased_at is None and taken.leased_at == T0
    async with uow_factory() as uow:
        assert await uow.outbox.due(later + timedelta(hours=1), ["slack"], 1) == []


async def test_a_cards_pending_post_is_found_until_delivered(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    [card_id] = await _queue(uow_factory, _item(key="ticket:1:L2", chat="C-L2"))
    async with uow_factory() as uow:
        assert await uow.outbox.card_pending("slack", "C-L2", "ticket:1:L2") == T0
        await uow.outbox.mark_failed(card_id, "429", T0 + timedelta(seconds=30), T0)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.outbox.card_pending("slack", "C-L2", "ticket:1:L2") == T0 + timedelta(
            seconds=30
        )
        assert await uow.outbox.card_pending("slack", "C-L1", "ticket:1:L2") is None
        await uow.outbox.mark_delivered(card_id, T0, "1.2")
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.outbox.card_pending("slack", "C-L2", "ticket:1:L2") is None
