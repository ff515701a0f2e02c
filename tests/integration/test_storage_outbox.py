"""The outbox: queued messages, due items, delivery bookkeeping and card references."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.messages import (
    Action,
    Button,
    Field,
    Message,
    OutboxItem,
    Route,
    RouteKind,
    card_key,
)
from bot.ports import CardRef
from storage.uow import SqlUnitOfWorkFactory

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CARD = Message(
    title="#1 VPN drops every hour",
    text="S4 · L1",
    fields=(
        Field("Requester", "Alice <!channel>"),
        Field("Due", datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))),
    ),
    quote="It *drops* every hour",
    quote_author="Alice",
    buttons=((Button("Claim", Action.CLAIM, 1), Button("Escalate", Action.ESCALATE, 1)),),
)


def _item(
    platform: str = "slack",
    *,
    created: timedelta = timedelta(0),
    chat: str = "C-L1",
    key: str = "",
    **changes: object,
) -> OutboxItem:
    item = OutboxItem(
        route=Route(platform, RouteKind.CHAT, chat_id=chat, card_key=key, label="#l1"),
        message=CARD,
        created_at=T0 + created,
        ticket_number=1,
    )
    for name, value in changes.items():
        setattr(item, name, value)
    return item


async def _queue(uow_factory: SqlUnitOfWorkFactory, *items: OutboxItem) -> list[int]:
    async with uow_factory() as uow:
        for item in items:
            await uow.outbox.add_many([item])
        await uow.commit()
    ids = [item.id for item in items]
    assert all(isinstance(i, int) for i in ids)
    return [i for i in ids if i is not None]


async def _due_ids(
    uow_factory: SqlUnitOfWorkFactory,
    now: datetime = T0,
    platforms: tuple[str, ...] = ("slack", "telegram"),
    limit: int = 100,
) -> list[int | None]:
    async with uow_factory() as uow:
        return [item.id for item in await uow.outbox.due(now, platforms, limit)]


async def test_an_item_round_trips(uow_factory: SqlUnitOfWorkFactory) -> None:
    item = _item(
        route=Route(
            "telegram",
            RouteKind.USER,
            chat_id="",
            user_id="12345",
            card_key="ticket:1:L1",
            thread_key="ticket:1:L1",
            label="Alice",
        ),
        ticket_number=None,
    )
    (item_id,) = await _queue(uow_factory, item)
    async with uow_factory() as uow:
        (due,) = await uow.outbox.due(T0, ["telegram"], 10)
    assert due == item
    assert due.id == item_id
    assert due.message.fields[1].value == CARD.fields[1].value
    assert due.created_at.tzinfo is UTC


async def test_due_filters_by_platform_and_time_oldest_first(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    late, early, console, future, retry_now, middle = await _queue(
        uow_factory,
        _item(created=timedelta(minutes=3)),
        _item(created=timedelta(minutes=-5)),
        _item("console"),
        _item(next_attempt_at=T0 + timedelta(seconds=1)),
        _item(created=timedelta(minutes=-1), next_attempt_at=T0),  # due exactly now
        _item(created=timedelta(minutes=1)),
    )
    assert await _due_ids(uow_factory) == [early, retry_now, middle, late]
    assert await _due_ids(uow_factory, platforms=("console",)) == [console]
    assert await _due_ids(uow_factory, platforms=("slack", "console"), limit=3) == [
        early,
        retry_now,
        console,
    ]
    assert await _due_ids(uow_factory, now=T0 + timedelta(seconds=1), limit=10) == [
        early,
        retry_now,
        future,
        middle,
        late,
    ]
    assert await _due_ids(uow_factory, platforms=()) == []
    assert await _due_ids(uow_factory, platforms=("teams",)) == []
    assert await _due_ids(uow_factory, limit=0) == []


async def test_delivered_items_are_no_longer_due(uow_factory: SqlUnitOfWorkFactory) -> None:
    first, second = await _queue(uow_factory, _item(), _item(created=timedelta(seconds=1)))
    async with uow_factory() as uow:
        await uow.outbox.mark_delivered(first, T0 + timedelta(seconds=2))
        await uow.commit()
    assert await _due_ids(uow_factory, now=T0 + timedelta(days=365)) == [second]


async def test_failed_items_retry_later_or_never(uow_factory: SqlUnitOfWorkFactory) -> None:
    retried, abandoned, other = await _queue(uow_factory, _item(), _item(), _item())
    async with uow_factory() as uow:
        await uow.outbox.mark_failed(retried, "rate limited", T0 + timedelta(seconds=30), T0)
        await uow.outbox.mark_failed(abandoned, "channel_not_found", None, T0)
        await uow.commit()

    assert await _due_ids(uow_factory) == [other]
    later = T0 + timedelta(seconds=30)
    async with uow_factory() as uow:
        due = await uow.outbox.due(later, ["slack"], 10)
    assert [item.id for item in due] == [retried, other]
    assert (due[0].attempts, due[0].last_error, due[0].next_attempt_at) == (
        1,
        "rate limited",
        later,
    )

    async with uow_factory() as uow:
        await uow.outbox.mark_failed(retried, "timeout", T0 + timedelta(minutes=5), later)
        await uow.outbox.mark_delivered(other, later)
        await uow.commit()
    async with uow_factory() as uow:
        (again,) = await uow.outbox.due(T0 + timedelta(days=365), ["slack"], 10)
    assert (again.id, again.attempts, again.last_error) == (retried, 2, "timeout")
    assert again.delivered_at is None


async def test_marking_an_unknown_item_fails(uow_factory: SqlUnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        with pytest.raises(LookupError):
            await uow.outbox.mark_delivered(404, T0)
        with pytest.raises(LookupError):
            await uow.outbox.mark_failed(404, "boom", None, T0)


async def test_superseded_when_a_later_version_of_the_card_exists(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    key = card_key(1, "L1")
    old, other_chat, plain, new = items = [
        _item(key=key),
        _item(key=key, chat="C-L2"),
        _item(),
        _item(key=key),
    ]
    await _queue(uow_factory, *items)
    async with uow_factory() as uow:
        assert await uow.outbox.superseded(old) is True
        assert await uow.outbox.superseded(new) is False
        assert await uow.outbox.superseded(other_chat) is False
        assert await uow.outbox.superseded(plain) is False
        assert new.id is not None
        await uow.outbox.mark_delivered(new.id, T0)  # a delivered newer version still counts
        assert await uow.outbox.superseded(old) is True


async def test_a_card_version_knows_an_earlier_one_is_still_on_its_way(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    key = card_key(1, "L1")
    first, _other_chat, _plain, newer = items = [
        _item(key=key),
        _item(key=key, chat="C-L2"),
        _item(),
        _item(key=key, created=timedelta(seconds=1)),
    ]
    await _queue(uow_factory, *items)
    assert first.id is not None and newer.id is not None
    async with uow_factory() as uow:
        await uow.outbox.lease(first.id, T0 + timedelta(seconds=6), owner="replica-1", at=T0)
        await uow.commit()
    async with uow_factory() as uow:
        found = await uow.outbox.earlier_pending(items)
        assert found == {newer.id: T0 + timedelta(seconds=6)}  # when the first is tried next
        await uow.outbox.mark_delivered(first.id, T0, "ts-1")
        assert await uow.outbox.earlier_pending(items) == {}


async def test_a_card_ref_keeps_the_digest_of_what_it_shows(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        assert await uow.outbox.card_ref("telegram", "-100", "ticket:1:L1") is None
        await uow.outbox.put_ref("telegram", "-100", "ticket:1:L1", "77", "a" * 64)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.outbox.card_ref("telegram", "-100", "ticket:1:L1") == CardRef(
            "77", "a" * 64
        )
        await uow.outbox.put_ref("telegram", "-100", "ticket:1:L1", "78", "b" * 64)  # re-posted
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.outbox.card_ref("telegram", "-100", "ticket:1:L1") == CardRef(
            "78", "b" * 64
        )
        assert await uow.outbox.key_of("telegram", "-100", "78") == "ticket:1:L1"


async def test_refs_upsert_and_resolve_both_ways(uow_factory: SqlUnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.outbox.get_ref("slack", "C-L1", "ticket:1:L1") is None
        await uow.outbox.put_ref("slack", "C-L1", "ticket:1:L1", "1700000000.000100")
        await uow.outbox.put_ref("slack", "C-L2", "ticket:1:L2", "1700000000.000100")
        await uow.outbox.put_ref("telegram", "C-L1", "ticket:1:L1", "77")
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.outbox.get_ref("slack", "C-L1", "ticket:1:L1") == "1700000000.000100"
        assert await uow.outbox.key_of("slack", "C-L1", "1700000000.000100") == "ticket:1:L1"
        assert await uow.outbox.key_of("slack", "C-L2", "1700000000.000100") == "ticket:1:L2"
        assert await uow.outbox.key_of("telegram", "C-L1", "1700000000.000100") is None
        await uow.outbox.put_ref("slack", "C-L1", "ticket:1:L1", "1700000099.000200")
        assert await uow.outbox.get_ref("slack", "C-L1", "ticket:1:L1") == "1700000099.000200"
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.outbox.get_ref("slack", "C-L1", "ticket:1:L1") == "1700000099.000200"
        assert await uow.outbox.key_of("slack", "C-L1", "1700000000.000100") is None
        assert await uow.outbox.key_of("slack", "C-L1", "1700000099.000200") == "ticket:1:L1"


async def test_replicas_split_due_items(
    uow_factory: SqlUnitOfWorkFactory, database_url: str
) -> None:
    """On PostgreSQL a second replica skips rows the first has locked instead of waiting."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one writer at a time; there are no row locks to skip")
    ids = await _queue(uow_factory, *(_item(created=timedelta(seconds=i)) for i in range(5)))
    async with uow_factory() as first, uow_factory() as second:
        mine = [i.id for i in await first.outbox.due(T0, ["slack"], 2)]
        theirs = await asyncio.wait_for(second.outbox.due(T0, ["slack"], 10), timeout=5)
        assert mine == ids[:2]
        assert [i.id for i in theirs] == ids[2:]


async def test_prune_drops_old_sent_and_abandoned_items_only(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    old_sent, old_failed, recent_sent, old_pending, retrying = await _queue(
        uow_factory, _item(), _item(), _item(), _item(), _item(key="ticket:1:L1")
    )
    async with uow_factory() as uow:
        await uow.outbox.mark_delivered(old_sent, T0)
        await uow.outbox.mark_failed(old_failed, "chat_not_found", None, T0)
        await uow.outbox.mark_delivered(recent_sent, T0 + timedelta(days=40))
        await uow.outbox.mark_failed(retrying, "ratelimited", T0 + timedelta(days=1), T0)
        await uow.outbox.put_ref("slack", "C-L1", "ticket:1:L1", "1700000000.000100")
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.outbox.prune(T0 + timedelta(days=30)) == 2
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.outbox.prune(T0 + timedelta(days=30)) == 0  # nothing left to prune
        due = [item.id for item in await uow.outbox.due(T0 + timedelta(days=99), ["slack"], 9)]
        # the card stays editable in place, however old its message is
        assert await uow.outbox.get_ref("slack", "C-L1", "ticket:1:L1") == "1700000000.000100"
    assert due == [old_pending, retrying]  # pending ones always stay
    async with uow_factory() as uow:
        assert await uow.outbox.prune(T0 + timedelta(days=41)) == 1  # recent_sent, later
        await uow.commit()


async def test_prune_writes_items_queued_in_the_same_unit_of_work_first(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        item = _item()
        await uow.outbox.add_many([item])
        assert await uow.outbox.prune(T0 + timedelta(days=1)) == 0
        await uow.commit()
    assert await _due_ids(uow_factory) == [item.id]
