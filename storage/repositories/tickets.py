"""Tickets, their history and their comments, in Core statements.

Rows become tickets through :mod:`storage.mapping` only. A ticket read in this unit of work
remembers its column values, so ``save`` writes just the columns that changed (often one or
two), and nothing at all when nothing did.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, or_, select, update

from bot.domain import Comment, CommentKind, HistoryEntry, Status, Ticket
from storage.mapping import ticket_from_row, ticket_values
from storage.repositories.base import SqlRepository, Transaction
from storage.tables import CommentRow, HistoryRow, TicketRow

TICKETS: Table = TicketRow.__table__  # type: ignore[assignment]
HISTORY: Table = HistoryRow.__table__  # type: ignore[assignment]
COMMENTS: Table = CommentRow.__table__  # type: ignore[assignment]


class SqlTicketRepository(SqlRepository):
    """Tickets, their history and their comments."""

    def __init__(self, db: Transaction) -> None:
        super().__init__(db)
        self._stored: dict[int, dict[str, Any]] = {}  # number → values as last read/written

    def forget(self) -> None:
        """The transaction rolled back: what was read may not be what is stored."""
        self._stored.clear()

    def _read(self, row: Any) -> Ticket:
        stored = dict(row._mapping)  # the columns as read: what a save compares with
        self._stored[stored["number"]] = stored
        return ticket_from_row(stored)

    async def add(self, ticket: Ticket) -> Ticket:
        if ticket.number is not None:
            raise ValueError(f"ticket {ticket.ref} is already stored")
        values = ticket_values(ticket)
        stmt = insert(TICKETS).values(values).returning(TICKETS.c.number)
        ticket.number = int((await self._db.execute(stmt)).scalar_one())
        self._stored[ticket.number] = values
        return ticket

    async def get(self, number: int) -> Ticket | None:
        # Locked: the caller is about to decide something from this state.
        row = (await self._db.execute(_GET, {"number": number})).first()
        return None if row is None else self._read(row)

    async def get_many(self, numbers: Sequence[int]) -> list[Ticket]:
        if not numbers:
            return []
        stmt = (
            select(TICKETS)
            .where(TICKETS.c.number.in_(list(numbers)))
            .order_by(TICKETS.c.number)  # rows locked in one order, whoever asks
            .with_for_update()
        )
        found = {t.number: t for t in map(self._read, await self._db.execute(stmt))}
        return [found[n] for n in numbers if n in found]

    async def save(self, ticket: Ticket) -> None:
        changes = self._changes(ticket)
        if changes:
            stmt = update(TICKETS).where(TICKETS.c.number == ticket.number).values(changes)
            await self._db.execute(stmt)

    async def save_many(self, tickets: Sequence[Ticket]) -> None:
        """Several tickets read in this unit of work (the SLA tick's batch): one executemany
        per set of changed columns."""
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for ticket in tickets:
            changes = self._changes(ticket)
            if changes:
                groups[tuple(sorted(changes))].append(
                    {"n": ticket.number, **{f"v_{k}": v for k, v in changes.items()}}
                )
        for columns, rows in groups.items():
            stmt = (
                update(TICKETS)
                .where(TICKETS.c.number == bindparam("n"))
                .values({c: bindparam(f"v_{c}") for c in columns})
            )
            await self._db.execute(stmt, rows)

    def _changes(self, ticket: Ticket) -> dict[str, Any]:
        if ticket.number is None:
            raise ValueError("ticket has no number; add it first")
        stored = self._stored.get(ticket.number)
        if stored is None:
            raise LookupError(f"ticket {ticket.ref} was not read in this unit of work")
        values = ticket_values(ticket)
        changes = {k: v for k, v in values.items() if stored.get(k) != v}
        self._stored[ticket.number] = values
        return changes

    async def add_history(self, entry: HistoryEntry) -> None:
        await self.add_history_many([entry])

    async def add_history_many(self, entries: Sequence[HistoryEntry]) -> None:
        if entries:
            await self._db.execute(insert(HISTORY), [_history_values(e) for e in entries])

    async def history(self, number: int) -> list[HistoryEntry]:
        stmt = select(HISTORY).where(HISTORY.c.ticket_number == number)
        rows = await self._db.execute(stmt.order_by(HISTORY.c.at, HISTORY.c.id))
        return [
            HistoryEntry(
                ticket_number=r.ticket_number,
                at=r.at,
                action=r.action,
                actor_id=r.actor_id,
                source=r.source,
                detail=r.detail,
                id=r.id,
            )
            for r in rows
        ]

    async def add_comment(self, comment: Comment) -> None:
        await self._db.execute(
            insert(COMMENTS).values(
                ticket_number=comment.ticket_number,
                at=comment.at,
                author_id=comment.author_id,
                kind=comment.kind.value,
                text=comment.text,
                source=comment.source,
            )
        )

    async def comments(
        self, number: int, *, kind: CommentKind | None = None, limit: int | None = None
    ) -> list[Comment]:
        if kind is not None and limit == 1:  # a card's opening text: every card refresh
            rows = await self._db.execute(_FIRST, {"number": number, "kind": kind.value})
            return [_comment(r) for r in rows]
        stmt = (
            select(COMMENTS)
            .where(COMMENTS.c.ticket_number == number)
            .order_by(COMMENTS.c.at, COMMENTS.c.id)
            .limit(limit)
        )
        if kind is not None:
            stmt = stmt.where(COMMENTS.c.kind == kind.value)
        return [_comment(r) for r in await self._db.execute(stmt)]

    async def due_for_ping(self, now: datetime, limit: int) -> list[Ticket]:
        """Tickets whose ``next_ping_at`` has come, by that index alone; locked, and on
        PostgreSQL skipping rows another replica's tick holds."""
        stmt = (
            select(TICKETS)
            .where(TICKETS.c.next_ping_at <= now)
            .order_by(TICKETS.c.next_ping_at, TICKETS.c.number)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [self._read(r) for r in await self._db.execute(stmt)]

    async def resolved_before(self, cutoff: datetime, limit: int) -> list[Ticket]:
        stmt = (
            select(TICKETS)
            .where(TICKETS.c.status == Status.RESOLVED.value, TICKETS.c.resolved_at <= cutoff)
            .order_by(TICKETS.c.resolved_at, TICKETS.c.number)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [self._read(r) for r in await self._db.execute(stmt)]

    # Last in the class: a method named ``list`` shadows the builtin in annotations after it.
    async def list(
        self,
        *,
        statuses: Sequence[Status] = (),
        tiers: Sequence[str] = (),
        requester_id: int | None = None,
        limit: int | None = None,
    ) -> list[Ticket]:
        """Tickets matching every filter, newest first; read only (not locked)."""
        stmt = select(TICKETS).order_by(TICKETS.c.number.desc())
        if statuses:
            stmt = stmt.where(TICKETS.c.status.in_([Status(s).value for s in statuses]))
        if tiers:
            stmt = stmt.where(TICKETS.c.tier.in_(list(tiers)))
        if requester_id is not None:
            stmt = stmt.where(TICKETS.c.requester_id == requester_id)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [ticket_from_row(r._mapping) for r in await self._db.execute(stmt)]

    async def activity(self, since: datetime) -> tuple[int, int]:
        stmt = select(
            func.count().filter(TICKETS.c.created_at >= since),
            func.count().filter(TICKETS.c.resolved_at >= since),
        ).where(or_(TICKETS.c.created_at >= since, TICKETS.c.resolved_at >= since))
        opened, resolved = (await self._db.execute(stmt)).one()
        return int(opened), int(resolved)


def _history_values(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "ticket_number": entry.ticket_number,
        "at": entry.at,
        "action": entry.action,
        "actor_id": entry.actor_id,
        "source": entry.source,
        "detail": entry.detail,
    }


def _comment(r: Any) -> Comment:
    return Comment(
        ticket_number=r.ticket_number,
        at=r.at,
        author_id=r.author_id,
        kind=CommentKind(r.kind),
        text=r.text,
        source=r.source,
        id=r.id,
    )


# Built once: the statements of every command on a ticket (a statement built per call pays
# its cache key each time).
_GET = select(TICKETS).where(TICKETS.c.number == bindparam("number")).with_for_update()
_FIRST = (
    select(COMMENTS)
    .where(COMMENTS.c.ticket_number == bindparam("number"), COMMENTS.c.kind == bindparam("kind"))
    .order_by(COMMENTS.c.at, COMMENTS.c.id)
    .limit(1)
)
