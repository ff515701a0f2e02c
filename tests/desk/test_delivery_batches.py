"""Outbox delivery in batches: chats in parallel, each chat in order; a slow chat, a failing
item or a burst of kicks holds up nobody (on the in-memory unit of work); a batch costs a few
statements, not a few per item (on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from bot.errors import GatewayError
from bot.messages import Message, OutboxItem, Route, RouteKind
from bot.ports import Sent
from bot.services.delivery import GATHER_KICKS, Dispatcher
from storage.uow import SqlUnitOfWorkFactory
from tests.desk.conftest import World
from tests.factories import T0
from tests.fakes.gateway import RecordingGateway

WAIT = 10  # seconds: only a guard against a hang, never waited out by a passing test


@dataclass
class GatedGateway(RecordingGateway):
    """Holds sends to the chats in ``held`` until their gate opens, fails the texts in
    ``broken`` once each, and remembers the most sends it had in flight at once."""

    held: dict[str, asyncio.Event] = field(default_factory=dict)
    broken: dict[str, Exception] = field(default_factory=dict)
    in_flight: int = 0
    most: int = 0
    _progress: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, route: Route, message: Message, **options: Any) -> Sent:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        self._progress.set()
        try:
            gate = self.held.get(route.chat_id)
            if gate is not None:
                await gate.wait()
            await asyncio.sleep(0)  # a network call: others get to start theirs
            failure = self.broken.pop(message.text, None)
            if failure is not None:
                raise failure
            return await super().send(route, message, **options)
        finally:
            self.in_flight -= 1
            self._progress.set()

    async def until_sent(self, count: int) -> None:
        """Wait until ``count`` messages went out since the last take."""
        while len(self.sent) < count:
            self._progress.clear()
            await asyncio.wait_for(self._progress.wait(), WAIT)

    async def until_sending(self) -> None:
        """Wait until a send is in flight."""
        while not self.in_flight:
            self._progress.clear()
            await asyncio.wait_for(self._progress.wait(), WAIT)

    def texts(self, chat: str) -> list[str]:
        return [d.message.text for d in self.sent if d.route.chat_id == chat]


def gate(world: World) -> GatedGateway:
    """Deliver ``world``'s outbox through a gated gateway, in batches of ten."""
    gated = GatedGateway()
    world.gateway = gated
    world.dispatcher = Dispatcher(world.uow_factory, world.clock, {"console": gated}, batch=10)
    return gated


@pytest.fixture
def gateway(world: World) -> GatedGateway:
    return gate(world)


def item(chat: str, text: str, *, card: str = "", thread: str = "") -> OutboxItem:
    route = Route("console", RouteKind.CHAT, chat_id=chat, card_key=card, thread_key=thread)
    return OutboxItem(route=route, message=Message(text), created_at=T0)


async def queue(world: World, *items: OutboxItem) -> None:
    async with world.uow_factory() as uow:  # type: ignore[operator]
        for one in items:
            await uow.outbox.add_many([one])
        await uow.commit()


def interleaved(chats: int, each: int) -> Iterator[OutboxItem]:
    """``each`` messages to each of ``chats`` chats, the chats taking turns."""
    for n in range(each):
        for c in range(chats):
            yield item(f"C{c}", f"C{c} #{n}")


class PatchedOutbox:
    """Units of work whose outbox method ``name`` is wrapped by ``wrap(original)``."""

    def __init__(self, inner: Any, name: str, wrap: Callable[[Any], Any]) -> None:
        self.inner, self.name, self.wrap = inner, name, wrap

    def __call__(self) -> Any:
        return _Patched(self, self.inner())


class _Patched:
    def __init__(self, factory: PatchedOutbox, uow: Any) -> None:
        self.factory, self.uow = factory, uow

    async def __aenter__(self) -> Any:
        uow = await self.uow.__aenter__()
        original = getattr(uow.outbox, self.factory.name)
        setattr(uow.outbox, self.factory.name, self.factory.wrap(original))
        return uow

    async def __aexit__(self, *exc: object) -> None:
        await self.uow.__aexit__(*exc)


async def test_a_batch_goes_out_in_parallel_across_chats_in_order_within_each(
    world: World, gateway: GatedGateway
) -> None:
    await queue(world, *interleaved(chats=6, each=5))
    assert await world.dispatcher.deliver_due() == 30
    for c in range(6):
        assert gateway.texts(f"C{c}") == [f"C{c} #{n}" for n in range(5)]
    assert 1 < gateway.most <= world.dispatcher.concurrency


async def test_a_slow_chat_holds_up_no_other_chat_nor_later_batches(
    world: World, gateway: GatedGateway
) -> None:
    gateway.held["SLOW"] = asyncio.Event()
    await queue(world, item("SLOW", "first"), item("SLOW", "second"))
    await queue(world, *interleaved(chats=8, each=4))  # 32 more: four batches of ten
    sending = asyncio.create_task(world.dispatcher.deliver_due())
    await gateway.until_sent(32)  # every other chat, while the slow one is still held
    assert gateway.texts("SLOW") == []
    gateway.held["SLOW"].set()
    assert await sending == 34
    assert gateway.texts("SLOW") == ["first", "second"]


async def test_one_failing_item_does_not_stop_the_batch(
    world: World, gateway: GatedGateway
) -> None:
    gateway.broken = {"C1 #0": GatewayError("502"), "C2 #1": RuntimeError("a bug")}
    await queue(world, *interleaved(chats=3, each=2))
    assert await world.dispatcher.deliver_due() == 4
    assert gateway.texts("C0") == ["C0 #0", "C0 #1"]
    assert gateway.texts("C1") == ["C1 #1"]  # the rest of a chat goes on too
    assert gateway.texts("C2") == ["C2 #0"]
    gateway.take()
    world.clock.advance(timedelta(seconds=5))  # both failures are retried after the backoff
    assert await world.dispatcher.deliver_due() == 2
    assert sorted(d.message.text for d in gateway.take()) == ["C1 #0", "C2 #1"]


async def test_a_thread_item_in_the_batch_of_its_card_lands_in_the_cards_thread(
    world: World, gateway: GatedGateway
) -> None:
    key = "ticket:1:L2"
    await queue(world, item("L2", "card", card=key), item("L2", "note", thread=key))
    assert await world.dispatcher.deliver_due() == 2
    card, note = gateway.take()
    assert (card.message.text, note.message.text) == ("card", "note")
    assert note.thread_id == card.message_id and card.message_id


async def test_a_thread_item_queued_before_its_cards_latest_version_waits_behind_it(
    world: World, gateway: GatedGateway
) -> None:
    """An older version of the card (superseded) is first in the queue, the note next, the
    card's newest version last: the note goes out right after that one, in its thread."""
    key = "ticket:1:L2"
    await queue(
        world,
        item("L2", "card v1", card=key),
        item("L2", "note", thread=key),
        item("L2", "elsewhere"),
        item("L2", "card v2", card=key),
    )
    assert await world.dispatcher.deliver_due() == 3
    sent = gateway.take()
    assert [d.message.text for d in sent] == ["elsewhere", "card v2", "note"]
    assert sent[2].thread_id == sent[1].message_id


async def test_kicks_during_a_round_start_one_more_round_at_most(
    world: World, gateway: GatedGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    rounds = 0
    run_round = world.dispatcher._run_round

    async def counted(limit: int, **options: Any) -> Any:
        nonlocal rounds
        rounds += 1
        return await run_round(limit, **options)

    monkeypatch.setattr(world.dispatcher, "_run_round", counted)
    gateway.held["SLOW"] = asyncio.Event()
    await queue(world, item("SLOW", "held"))
    world.dispatcher.kick()
    await gateway.until_sending()
    tasks = len(asyncio.all_tasks())
    for n in range(50):  # a burst of events, each queuing a reply and kicking
        await queue(world, item(f"D{n}", f"reply {n}"))
        world.dispatcher.kick()
    await gateway.until_sent(50)  # the running round took them: the held one is no obstacle
    assert len(asyncio.all_tasks()) <= tasks + 1
    gateway.held["SLOW"].set()
    await world.dispatcher.drain()
    assert len(gateway.sent) == 51
    assert rounds <= 2


async def test_a_round_stopped_at_its_limit_goes_on_at_once_in_the_background(
    world: World, gateway: GatedGateway
) -> None:
    await queue(world, *interleaved(chats=4, each=3))
    assert await world.dispatcher.deliver_due(limit=5) == 5
    await world.dispatcher.drain()  # not left for the next scheduled round
    assert len(gateway.sent) == 12
    for c in range(4):
        assert gateway.texts(f"C{c}") == [f"C{c} #{n}" for n in range(3)]


async def test_a_stream_of_events_is_looked_for_once_per_many_not_once_each(
    world: World, gateway: GatedGateway
) -> None:
    """While a reply is out, the replies of the next events are gathered into one look
    (here: the spacing between looks is long, so only enough of them bring it forward)."""
    looks = 0

    def counted(due: Any) -> Any:
        async def look(*args: Any) -> Any:
            nonlocal looks
            looks += 1
            return await due(*args)

        return look

    factory = PatchedOutbox(world.uow_factory, "due", counted)
    dispatcher = Dispatcher(factory, world.clock, {"console": gateway}, spacing=3600)
    gateway.held["SLOW"] = asyncio.Event()
    await queue(world, item("SLOW", "first"))
    dispatcher.kick()
    await gateway.until_sending()
    for n in range(GATHER_KICKS):
        await queue(world, item(f"D{n}", f"reply {n}"))
        dispatcher.kick()
        if n < GATHER_KICKS - 1:
            assert looks == 1  # gathered, not looked for one by one
    await gateway.until_sent(GATHER_KICKS)  # the last kick brought the look forward
    assert looks == 2
    gateway.held["SLOW"].set()
    await dispatcher.drain()
    assert len(gateway.sent) == GATHER_KICKS + 1 and looks == 2


async def test_a_renewal_stuck_behind_a_busy_database_holds_up_no_round(
    world: World, gateway: GatedGateway
) -> None:
    started, release = asyncio.Event(), asyncio.Event()

    def slow(renew: Any) -> Any:  # the database is busy with a burst of events
        async def renewal(owner: str, until: Any) -> int:
            started.set()
            await release.wait()
            return int(await renew(owner, until))

        return renewal

    factory = PatchedOutbox(world.uow_factory, "renew", slow)
    dispatcher = Dispatcher(factory, world.clock, {"console": gateway}, heartbeat=0.01)
    gateway.held["C"] = started  # the send takes until a renewal is under way
    await queue(world, item("C", "slow reply"))
    # not held until the renewal gets through
    assert await asyncio.wait_for(dispatcher.deliver_due(), WAIT) == 1
    await queue(world, item("C", "next reply"))
    assert await dispatcher.deliver_due() == 1
    release.set()
    await dispatcher.drain()
    assert gateway.texts("C") == ["slow reply", "next reply"]


class Statements:
    """Counts the SQL statements an engine runs (an executemany counts once)."""

    def __init__(self, uow_factory: SqlUnitOfWorkFactory) -> None:
        self.engine = uow_factory.engine.sync_engine
        self.count = 0
        event.listen(self.engine, "before_cursor_execute", self._count)

    def _count(self, *args: object) -> None:
        self.count += 1

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)


async def test_a_batch_costs_a_few_statements_however_many_items_it_has(
    stored_world: World,
) -> None:
    """Forty cards with a thread note each, to forty channels: a few statements per batch
    of ten (read, look-ups, lease, record), none per item."""
    world, gateway = stored_world, gate(stored_world)
    cards = [item(f"C{n}", f"card {n}", card=f"ticket:{n}:L1") for n in range(40)]
    notes = [item(f"C{n}", f"note {n}", thread=f"ticket:{n}:L1") for n in range(40)]
    await queue(world, *cards, *notes)
    statements = Statements(world.uow_factory)  # type: ignore[arg-type]
    try:
        assert await world.dispatcher.deliver_due() == 80
    finally:
        statements.close()
    assert all(d.thread_id for d in gateway.sent if d.message.text.startswith("note"))
    assert statements.count <= 7 * 8  # 8 batches; one message at a time took ~10 each
