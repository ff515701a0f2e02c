"""The unit of work: commit keeps, everything else rolls back, a restart sees what was kept."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from bot import ports
from bot.domain import HistoryEntry, Identity, Person, Ticket
from bot.messages import Message, OutboxItem, Route, RouteKind
from storage import repositories
from storage.db import make_engine
from storage.uow import SqlUnitOfWork, SqlUnitOfWorkFactory

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class Boom(Exception):
    pass


async def _count_tickets(uow_factory: SqlUnitOfWorkFactory) -> int:
    async with uow_factory() as uow:
        return len(await uow.tickets.list())


async def test_commit_keeps_the_writes(
    uow_factory: SqlUnitOfWorkFactory, make_ticket: Callable[..., Ticket]
) -> None:
    async with uow_factory() as uow:
        await uow.tickets.add(make_ticket())
        await uow.inbound.first_time("slack", "Ev1", T0)
        await uow.commit()
    assert await _count_tickets(uow_factory) == 1
    async with uow_factory() as uow:
        assert await uow.inbound.first_time("slack", "Ev1", T0) is False


async def test_an_exception_rolls_everything_back(
    uow_factory: SqlUnitOfWorkFactory, make_ticket: Callable[..., Ticket]
) -> None:
    with pytest.raises(Boom):
        async with uow_factory() as uow:
            await uow.tickets.add(make_ticket())
            await uow.people.add(Person("Eve"), Identity("slack", "U0EVE"))
            await uow.inbound.first_time("slack", "Ev1", T0)
            raise Boom
    assert await _count_tickets(uow_factory) == 0
    async with uow_factory() as uow:
        assert await uow.people.by_identity(Identity("slack", "U0EVE")) is None
        assert await uow.inbound.first_time("slack", "Ev1", T0) is True


async def test_leaving_without_commit_rolls_back(
    uow_factory: SqlUnitOfWorkFactory, make_ticket: Callable[..., Ticket]
) -> None:
    async with uow_factory() as uow:
        await uow.tickets.add(make_ticket())
    assert await _count_tickets(uow_factory) == 0


async def test_rollback_then_carry_on(
    uow_factory: SqlUnitOfWorkFactory, make_ticket: Callable[..., Ticket]
) -> None:
    """The desk rolls back a refused command, then records the event and a reply."""
    async with uow_factory() as uow:
        await uow.tickets.add(make_ticket(summary="refused"))
        await uow.rollback()
        await uow.tickets.add(make_ticket(summary="kept"))
        await uow.commit()
        await uow.tickets.add(make_ticket(summary="after commit, never committed"))
    async with uow_factory() as uow:
        assert [t.summary for t in await uow.tickets.list()] == ["kept"]


async def test_rollback_forgets_queued_messages_and_history(
    uow_factory: SqlUnitOfWorkFactory, make_ticket: Callable[..., Ticket]
) -> None:
    """History lines and outbox items are batched until a read or the commit; a rollback
    (a refused command) must drop them with the rest, or its half-built replies go out."""
    async with uow_factory() as uow:
        number = (await uow.tickets.add(make_ticket())).number
        await uow.commit()
    assert number is not None
    refused = OutboxItem(Route("console", RouteKind.CHAT, chat_id="c"), Message("no"), T0)
    async with uow_factory() as uow:
        await uow.tickets.add_history(HistoryEntry(number, T0, "refused", None))
        await uow.outbox.add_many([refused])
        await uow.rollback()
        kept = OutboxItem(Route("console", RouteKind.CHAT, chat_id="c"), Message("ok"), T0)
        await uow.outbox.add_many([kept])
        await uow.commit()
    async with uow_factory() as uow:
        assert [item.message.text for item in await uow.outbox.due(T0, ["console"], 9)] == ["ok"]
        assert [h.action for h in await uow.tickets.history(number)] == []


async def test_used_outside_its_block(uow_factory: SqlUnitOfWorkFactory) -> None:
    uow = uow_factory()
    with pytest.raises(RuntimeError):
        await uow.commit()
    async with uow:
        with pytest.raises(RuntimeError):
            await uow.__aenter__()
    async with uow:  # a closed unit of work can be opened again
        await uow.commit()


async def test_a_restart_sees_everything_committed(
    database_url: str, make_ticket: Callable[..., Ticket]
) -> None:
    engine = make_engine(database_url)
    factory = SqlUnitOfWorkFactory(engine)
    async with factory() as uow:
        ticket = await uow.tickets.add(make_ticket())
        await uow.outbox.put_ref("slack", "C1", "ticket:1:L1", "123.456")
        await uow.commit()
    await engine.dispose()

    engine = make_engine(database_url)
    factory = SqlUnitOfWorkFactory(engine)
    try:
        async with factory() as uow:
            assert await uow.tickets.get(1) == ticket
            assert await uow.outbox.get_ref("slack", "C1", "ticket:1:L1") == "123.456"
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("port", "implementation"),
    [
        (ports.TicketRepository, repositories.SqlTicketRepository),
        (ports.PersonRepository, repositories.SqlPersonRepository),
        (ports.ConversationRepository, repositories.SqlConversationRepository),
        (ports.KnowledgeRepository, repositories.SqlKnowledgeRepository),
        (ports.InboundRepository, repositories.SqlInboundRepository),
        (ports.OutboxRepository, repositories.SqlOutboxRepository),
        (ports.UnitOfWork, SqlUnitOfWork),
        (ports.UnitOfWorkFactory, SqlUnitOfWorkFactory),
    ],
)
def test_implements_the_port_exactly(port: type, implementation: type) -> None:
    """Same method names and parameters as the protocol, so the desk can call either."""
    wanted = {
        name: inspect.signature(member)
        for name, member in vars(port).items()
        if callable(member) and (not name.startswith("_") or name in _DUNDERS)
    }
    assert wanted
    for name, signature in wanted.items():
        member = getattr(implementation, name, None)
        assert member is not None, f"{implementation.__name__} lacks {name}"
        assert inspect.iscoroutinefunction(member) == inspect.iscoroutinefunction(
            getattr(port, name)
        ), name
        assert list(inspect.signature(member).parameters.values()) == list(
            signature.parameters.values()
        ), name
    for attribute in getattr(port, "__annotations__", {}):
        assert attribute in getattr(implementation, "__annotations__", {}), attribute


_DUNDERS = {"__aenter__", "__aexit__", "__call__"}
