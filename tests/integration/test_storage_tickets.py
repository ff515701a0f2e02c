"""Tickets, their history and comments, on every database."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from bot.domain import ChatAddress, Comment, CommentKind, HistoryEntry, Status, Ticket
from bot.domain.clocks import Clocks
from bot.errors import InvalidTransition
from storage.tables import TicketRow
from storage.uow import SqlUnitOfWorkFactory
from tests.factories import make_settings

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")

MakeTicket = Callable[..., Ticket]

SLA = make_settings().sla  # the clocks' rules, for transitions


def _datetimes(ticket: Ticket) -> list[datetime]:
    values = [getattr(ticket, f.name) for f in dataclasses.fields(ticket)]
    values += [getattr(ticket.clocks, f.name) for f in dataclasses.fields(ticket.clocks)]
    return [v for v in values if isinstance(v, datetime)]


async def test_add_numbers_tickets_from_one(
    uow_factory: SqlUnitOfWorkFactory, make_ticket: MakeTicket
) -> None:
    async with uow_factory() as uow:
        first = await uow.tickets.add(make_ticket())
        second = await uow.tickets.add(make_ticket(summary="Printer on fire"))
        await uow.commit()
    assert (first.number, second.number) == (1, 2)
    assert second.ref == "#2"


async def test_numbers_are_never_reused(
    uow_factory: SqlUnitOfWorkFactory, make_ticket: MakeTicket
) -> None:
    async with uow_factory() as uow:
        await uow.tickets.add(make_ticket())
        await uow.tickets.add(make_ticket())
        await uow.commit()
    async with uow_factory() as uow:
        db = uow._db  # below the port: no port deletes a ticket
        assert db is not None
        await db.execute(delete(TicketRow).where(TicketRow.number == 2))
        assert (await uow.tickets.add(make_ticket())).number == 3
        await uow.commit()


async def test_every_field_round_trips(
    uow_factory: SqlUnitOfWorkFactory, make_ticket: MakeTicket, people: dict[str, int]
) -> None:
    local = datetime(2026, 11, 23, 10, 15, 30, 123456, tzinfo=BERLIN)
    ticket = make_ticket(
        requester_chat=ChatAddress("slack", "D024BE91L"),
        summary="Can't log in — “SSO loop” 🔁",
        details="Since the update.\nSecond line.",
        impact="group",
        can_work="no",
        urgency="now",
        priority="S1",
        tier="L2",
        chain=("L1", "L2", "vendor"),
        created_at=local,
        clocks=Clocks(
            response_due_at=local + timedelta(minutes=15),
            resolution_due_at=local + timedelta(hours=1),
        ),
        category="access",
        product="tierdesk",
        version="2.4",
        version_supported=False,
        status=Status.IN_PROGRESS,
        assignee_id=people["bob"],
        updated_at=local + timedelta(minutes=1),
        first_response_at=local + timedelta(minutes=2),
        resolved_at=local + timedelta(minutes=30),
        closed_at=local + timedelta(minutes=40),
        resolution_note="Cleared the cookie jar.",
        rating=5,
    )
    async with uow_factory() as uow:
        await uow.tickets.add(ticket)
        await uow.commit()

    async with uow_factory() as uow:
        stored = await uow.tickets.get(1)

    assert stored == ticket
    assert stored is not None and stored is not ticket
    assert isinstance(stored.status, Status) and isinstance(stored.chain, tuple)
    assert len(_datetimes(stored)) == 7
    assert all(value.tzinfo is UTC for value in _datetimes(stored))
    assert stored.created_at == local and stored.created_at.hour == 9  # 10:15 Berlin, 09:15 UTC


async def test_defaults_round_trip(
    uow_factory: SqlUnitOfWorkFactory, make_ticket: MakeTicket
) -> None:
    ticket = make_ticket()
    async with uow_factory() as uow:
        await uow.tickets.add(ticket)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.tickets.get(1) == ticket
        assert await uow.tickets.get(2) is None


async def test_save_updates_and_refuses_unknown_tickets(
    uow_factory: SqlUnitOfWorkFactory, make_ticket: MakeTicket, people: dict[str, int]
) -> None:
    async with uow_factory() as uow:
        number = (await uow.tickets.add(make_ticket())).number
        await uow.commit()
    assert number is not None

    async with uow_factory() as uow:
        ticket = await uow.tickets.get(number)
        assert ticket is not None
        ticket.claim(people["bob"], T0 + timedelta(minutes=5), SLA)
        await uow.tickets.save(ticket)
        await uow.commit()

    async with uow_factory() as uow:
        stored = await uow.tickets.get(number)
        assert stored == ticket
        assert stored is not None and stored.status is Status.IN_PROGRESS
        with pytest.raises(ValueError, match="no number"):
            await uow.tickets.save(make_ticket())
        with pytest.raises(LookupError):
            await uow.tickets.save(make_ticket(number=99))
        with pytest.raises(ValueError, match="already stored"):
            await uow.tickets.add(stored)


async def test_unknown_requester_is_refused(
    uow_factory: SqlUnitOfWorkFactory, make_ticket: MakeTicket
) -> None:
    async with uow_factory() as uow:
        with pytest.raises(IntegrityError):
            await uow.tickets.add(make_ticket(requester_id=999))


async def test_list_filters_and_orders_newest_first(
    uow_factory: SqlUnitOfWorkFactory, make_ticket: MakeTicket, people: dict[str, int]
) -> None:
    specs = [
        (Status.OPEN, "L1", "alice"),
        (Status.IN_PROGRESS, "L2", "alice"),
        (Status.OPEN, "L2", "bob"),
        (Status.RESOLVED, "L1", "bob"),
        (Status.OPEN, "L1", "carol"),
    ]
    async with uow_factory() as uow:
        for status, tier, who in specs:
            await uow.tickets.add(make_ticket(status=status, tier=tier, requester_id=people[who]))
        await uow.commit()

    async with uow_factory() as uow:

        async def numbers(**filters: object) -> list[int | None]:
            return [t.number for t in await uow.tickets.list(**filters)]  # type: ignore[arg-type]

        assert await numbers() == [5, 4, 3, 2, 1]
        assert await numbers(statuses=[Status.OPEN]) == [5, 3, 1]
        assert await numbers(statuses=[Status.OPEN, Status.IN_PROGRESS]) == [5, 3, 2, 1]
        assert await numbers(tiers=["L2"]) == [3, 2]
        assert await numbers(requester_id=people["bob"]) == [4, 3]
        assert await numbers(statuses=[Status.OPEN], tiers=["L1"]) == [5, 1]
        assert await numbers(statuses=[Status.OPEN], limit=2) == [5, 3]
        assert await numbers(statuses=[Status.CLOSED]) == []
        assert await numbers(requester_id=people["carol"], tiers=["L2"]) == []


async def test_history_is_chronological_per_ticket(
    uow_factory: SqlUnitOfWorkFactory, make_ticket: MakeTicket, people: dict[str, int]
) -> None:
    async with uow_factory() as uow:
        one = (await uow.tickets.add(make_ticket())).number
        two = (await uow.tickets.add(make_ticket())).number
        assert one is not None and two is not None
        entries = [
            HistoryEntry(one, T0 + timedelta(minutes=2), "claimed", people["bob"], "slack", "L1"),
            HistoryEntry(one, T0, "opened", people["alice"], "console"),
            HistoryEntry(two, T0, "opened", people["alice"], "console"),
            HistoryEntry(one, T0 + timedelta(minutes=2), "replied", people["bob"], "slack", "hi"),
            HistoryEntry(one, T0 + timedelta(minutes=9), "breached", None, "sla"),
        ]
        for entry in entries:
            await uow.tickets.add_history(entry)
        await uow.commit()

    async with uow_factory() as uow:
        history = await uow.tickets.history(one)
        assert [h.action for h in history] == ["opened", "claimed", "replied", "breached"]
        assert [dataclasses.replace(h, id=None) for h in history] == [
            entries[1],
            entries[0],
            entries[3],
            entries[4],
        ]
        assert all(h.id is not None and h.at.tzinfo is UTC for h in history)
        assert [h.action for h in await uow.tickets.history(two)] == ["opened"]
        assert await uow.tickets.history(99) == []


async def test_comments_are_chronological_per_ticket(
    uow_factory: SqlUnitOfWorkFactory, make_ticket: MakeTicket, people: dict[str, int]
) -> None:
    async with uow_factory() as uow:
        number = (await uow.tickets.add(make_ticket())).number
        assert number is not None
        later = Comment(
            number, T0 + timedelta(hours=1), people["bob"], CommentKind.INTERNAL, "hmm", "slack"
        )
        first = Comment(number, T0, people["alice"], CommentKind.REQUESTER, "help", "console")
        public = Comment(
            number, T0 + timedelta(hours=2), people["bob"], CommentKind.PUBLIC, "fixed", "slack"
        )
        system = Comment(number, T0 + timedelta(hours=3), None, CommentKind.PUBLIC, "auto")
        for comment in (later, first, public, system):
            await uow.tickets.add_comment(comment)
        await uow.commit()

    async with uow_factory() as uow:
        comments = await uow.tickets.comments(number)
        assert [dataclasses.replace(c, id=None) for c in comments] == [
            first,
            later,
            public,
            system,
        ]
        assert all(isinstance(c.kind, CommentKind) for c in comments)
        assert await uow.tickets.comments(number + 1) == []
        public_only = await uow.tickets.comments(number, kind=CommentKind.PUBLIC, limit=1)
        assert [c.text for c in public_only] == ["fixed"]


async def test_get_serialises_concurrent_claims(
    uow_factory: SqlUnitOfWorkFactory, make_ticket: MakeTicket, people: dict[str, int]
) -> None:
    """The second agent waits for the first one's transaction and then sees its claim."""
    async with uow_factory() as uow:
        number = (await uow.tickets.add(make_ticket())).number
        await uow.commit()
    assert number is not None

    async def claim(agent: str) -> None:
        async with uow_factory() as uow:
            ticket = await uow.tickets.get(number)
            assert ticket is not None
            ticket.claim(people[agent], T0, SLA)
            await uow.tickets.save(ticket)
            await uow.commit()

    async with uow_factory() as first:
        ticket = await first.tickets.get(number)
        assert ticket is not None
        second = asyncio.create_task(claim("carol"))
        await asyncio.sleep(0.1)
        assert not second.done()  # blocked on the first transaction
        ticket.claim(people["bob"], T0, SLA)
        await first.tickets.save(ticket)
        await first.commit()

    with pytest.raises(InvalidTransition, match="already claimed"):
        await second
    async with uow_factory() as uow:
        stored = await uow.tickets.get(number)
        assert stored is not None and stored.assignee_id == people["bob"]


async def test_get_many_reads_tickets_in_the_order_asked_ready_to_save(
    uow_factory: SqlUnitOfWorkFactory, make_ticket: MakeTicket, people: dict[str, int]
) -> None:
    async with uow_factory() as uow:
        numbers = [(await uow.tickets.add(make_ticket(summary=f"t{i}"))).number for i in range(3)]
        await uow.commit()
    a, _, c = numbers
    async with uow_factory() as uow:
        read = await uow.tickets.get_many([c, 999, a])  # 999: no such ticket, left out
        assert [(t.number, t.summary) for t in read] == [(c, "t2"), (a, "t0")]
        read[0].claim(people["bob"], T0, SLA)
        await uow.tickets.save(read[0])  # read in this unit of work: it may be saved
        await uow.commit()
    async with uow_factory() as uow:
        assert (await uow.tickets.get(c)).assignee_id == people["bob"]
        assert await uow.tickets.get_many([]) == []
