"""The outbox's batch operations on the real database: a batch is leased, given back,
recorded and looked up in one statement each, and means the same as the one-item calls."""

from __future__ import annotations

from datetime import timedelta

from bot.ports import CardRef
from storage.uow import SqlUnitOfWorkFactory
from tests.integration.test_storage_outbox import T0, _due_ids, _item, _queue

LEASED = T0 + timedelta(seconds=6)


async def test_a_batch_is_leased_to_its_owner_and_renewed_by_it(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    first, second, other = await _queue(uow_factory, _item(), _item(), _item())
    async with uow_factory() as uow:
        await uow.outbox.lease_many([first, second], LEASED, owner="me", at=T0)
        await uow.commit()
    assert await _due_ids(uow_factory) == [other]
    async with uow_factory() as uow:
        assert await uow.outbox.renew("me", T0 + timedelta(seconds=20)) == 2
        await uow.commit()
    async with uow_factory() as uow:
        due = await uow.outbox.due(T0 + timedelta(seconds=20), ["slack"], 9)
    assert [(i.id, i.leased_at) for i in due] == [(first, T0), (second, T0), (other, None)]


async def test_items_given_back_unsent_keep_the_lease_time_they_had(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    """An item never sent before must not be looked for on the platform next time; one a
    dead sender took before must still be."""
    fresh, taken = await _queue(uow_factory, _item(), _item())
    async with uow_factory() as uow:
        await uow.outbox.lease(taken, LEASED, owner="dead", at=T0)
        await uow.commit()
    later = T0 + timedelta(minutes=1)
    async with uow_factory() as uow:
        read = await uow.outbox.due(later, ["slack"], 9)
        await uow.outbox.lease_many(
            [fresh, taken], later + timedelta(seconds=6), owner="me", at=later
        )
        await uow.commit()
    async with uow_factory() as uow:
        await uow.outbox.release(read, later)
        assert await uow.outbox.renew("me", later + timedelta(hours=1)) == 0  # lease ended
        await uow.commit()
    async with uow_factory() as uow:
        again = {i.id: i.leased_at for i in await uow.outbox.due(later, ["slack"], 9)}
    assert again == {fresh: None, taken: T0}


async def test_deliveries_are_recorded_together_each_with_its_platform_id(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    first, second, third, left = await _queue(uow_factory, _item(), _item(), _item(), _item())
    async with uow_factory() as uow:
        await uow.outbox.mark_delivered_many({first: "1.1", second: "1.2", third: ""}, T0)
        await uow.outbox.mark_delivered_many({}, T0)  # nothing to record: no statement
        await uow.commit()
    assert await _due_ids(uow_factory, now=T0 + timedelta(days=1)) == [left]
    async with uow_factory() as uow:
        await uow.outbox.mark_delivered_many({left: "9.9"}, T0)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.outbox.due(T0 + timedelta(days=1), ["slack"], 9) == []


async def test_superseded_card_versions_are_found_for_a_whole_batch(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    old, other_chat, plain, other_card, new = items = [
        _item(key="ticket:1:L1"),
        _item(key="ticket:1:L1", chat="C-L2"),
        _item(),
        _item(key="ticket:2:L1"),
        _item(key="ticket:1:L1"),
    ]
    await _queue(uow_factory, *items)
    async with uow_factory() as uow:
        assert await uow.outbox.superseded_among(items) == {old.id}
        assert await uow.outbox.superseded_among([plain, new]) == set()
        assert await uow.outbox.superseded_among([]) == set()
        assert new.id is not None
        await uow.outbox.mark_delivered(new.id, T0)  # a delivered newer version still counts
        assert await uow.outbox.superseded_among([old, other_chat, other_card]) == {old.id}


async def test_refs_are_written_and_read_for_many_keys_at_once(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    card = ("slack", "C-L1", "ticket:1:L1")
    async with uow_factory() as uow:
        await uow.outbox.put_ref(*card, "1.1", "a" * 64)
        await uow.commit()
    refs = {
        card: CardRef("1.1", "b" * 64),  # the same card, now showing something else
        ("slack", "C-L2", "ticket:1:L1"): CardRef("2.2", "c" * 64),
        ("telegram", "-100", "ticket:1:m7"): CardRef("77"),
    }
    async with uow_factory() as uow:
        await uow.outbox.put_refs(refs)
        await uow.outbox.put_refs({})
        await uow.commit()
    async with uow_factory() as uow:
        unknown = ("slack", "C-L3", "ticket:1:L1")
        assert await uow.outbox.card_refs([*refs, unknown]) == refs
        assert await uow.outbox.card_refs([]) == {}
        assert await uow.outbox.key_of("telegram", "-100", "77") == "ticket:1:m7"
        assert await uow.outbox.card_ref(*card) == CardRef("1.1", "b" * 64)


async def test_pending_card_posts_are_found_for_several_cards_at_once(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    *_, sent = await _queue(
        uow_factory,
        _item(key="ticket:1:L1", created=timedelta(seconds=1)),
        _item(key="ticket:1:L1", created=timedelta(seconds=2)),
        _item(key="ticket:1:L2", chat="C-L2", next_attempt_at=T0 + timedelta(seconds=30)),
        _item(key="ticket:2:L1"),
    )
    async with uow_factory() as uow:
        await uow.outbox.mark_delivered(sent, T0)
        await uow.commit()
    keys = [
        ("slack", "C-L1", "ticket:1:L1"),
        ("slack", "C-L2", "ticket:1:L2"),
        ("slack", "C-L1", "ticket:2:L1"),  # delivered: no longer pending
        ("slack", "C-L1", "ticket:1:L2"),  # no such card in that chat
    ]
    async with uow_factory() as uow:
        assert await uow.outbox.cards_pending(keys) == {
            keys[0]: T0 + timedelta(seconds=1),  # the oldest pending post of the card
            keys[1]: T0 + timedelta(seconds=30),
        }
        assert await uow.outbox.cards_pending([]) == {}
