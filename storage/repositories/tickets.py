"""Tickets, their history and their comments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import (
    ChatAddress,
    Comment,
    CommentKind,
    HistoryEntry,
    Status,
    Ticket,
)
from storage.repositories.base import SqlRepository
from storage.tables import (
    CommentRow,
    HistoryRow,
    TicketRow,
)


class SqlTicketRepository(SqlRepository):
    """Tickets, their history and their comments.

    Rows read in this unit of work are kept referenced, so ``save`` updates them without
    reading them again (the session itself holds them only weakly).
    """

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._rows: dict[int, TicketRow] = {}
        self._history: list[dict[str, Any]] = []

    async def write_queued(self) -> None:
        """Write the history lines queued by ``add_history`` in one statement."""
        if self._history:
            rows, self._history = self._history, []
            await self._session.execute(insert(HistoryRow), rows)

    def discard_queued(self) -> None:
        """Forget queued history and the rows kept for ``save`` (the transaction rolled back)."""
        self._history.clear()
        self._rows.clear()

    def _keep(self, row: TicketRow) -> Ticket:
        self._rows[row.number] = row
        return _ticket_from_row(row)

    async def add(self, ticket: Ticket) -> Ticket:
        if ticket.number is not None:
            raise ValueError(f"ticket {ticket.ref} is already stored")
        row = TicketRow()
        _ticket_to_row(ticket, row)
        self._session.add(row)
        await self._session.flush()
        ticket.number = row.number
        self._rows[row.number] = row
        return ticket

    async def get(self, number: int) -> Ticket | None:
        # Locked and re-read: the caller is about to decide something from this state.
        stmt = (
            select(TicketRow)
            .where(TicketRow.number == number)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        row = await self._session.scalar(stmt)
        return None if row is None else self._keep(row)

    async def save(self, ticket: Ticket) -> None:
        if ticket.number is None:
            raise ValueError("ticket has no number; add it first")
        row = self._rows.get(ticket.number) or await self._session.get(TicketRow, ticket.number)
        if row is None:
            raise LookupError(f"ticket {ticket.ref} does not exist")
        _ticket_to_row(ticket, row)  # written at the next flush (a query or the commit)

    async def add_history(self, entry: HistoryEntry) -> None:
        self._history.append(  # written with the others before a read or at commit
            {
                "ticket_number": entry.ticket_number,
                "at": entry.at,
                "action": entry.action,
                "actor_id": entry.actor_id,
                "source": entry.source,
                "detail": entry.detail,
            }
        )

    async def history(self, number: int) -> list[HistoryEntry]:
        await self.write_queued()
        stmt = (
            select(HistoryRow)
            .where(HistoryRow.ticket_number == number)
            .order_by(HistoryRow.at, HistoryRow.id)
        )
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
            for r in await self._session.scalars(stmt)
        ]

    async def add_comment(self, comment: Comment) -> None:
        self._session.add(
            CommentRow(
                ticket_number=comment.ticket_number,
                at=comment.at,
                author_id=comment.author_id,
                kind=comment.kind.value,
                text=comment.text,
                source=comment.source,
            )
        )
        # inserted with the others at the next flush

    async def comments(
        self, number: int, *, kind: CommentKind | None = None, limit: int | None = None
    ) -> list[Comment]:
        stmt = (
            select(CommentRow)
            .where(CommentRow.ticket_number == number)
            .order_by(CommentRow.at, CommentRow.id)
            .limit(limit)
        )
        if kind is not None:
            stmt = stmt.where(CommentRow.kind == kind.value)
        return [
            Comment(
                ticket_number=r.ticket_number,
                at=r.at,
                author_id=r.author_id,
                kind=CommentKind(r.kind),
                text=r.text,
                source=r.source,
                id=r.id,
            )
            for r in await self._session.scalars(stmt)
        ]

    # Last in the class: a method named ``list`` shadows the builtin in annotations after it.
    async def list(
        self,
        *,
        statuses: Sequence[Status] = (),
        tiers: Sequence[str] = (),
        requester_id: int | None = None,
        limit: int | None = None,
    ) -> list[Ticket]:
        stmt = select(TicketRow).order_by(TicketRow.number.desc())
        if statuses:
            stmt = stmt.where(TicketRow.status.in_([Status(s).value for s in statuses]))
        if tiers:
            stmt = stmt.where(TicketRow.tier.in_(list(tiers)))
        if requester_id is not None:
            stmt = stmt.where(TicketRow.requester_id == requester_id)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [_ticket_from_row(r) for r in await self._session.scalars(stmt)]

    async def due_for_ping(self, now: datetime, limit: int) -> list[Ticket]:
        """Tickets whose ``next_ping_at`` has come, by that index alone; locked, and on
        PostgreSQL skipping rows another replica's tick holds."""
        stmt = (
            select(TicketRow)
            .where(TicketRow.next_ping_at <= now)
            .order_by(TicketRow.next_ping_at, TicketRow.number)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        return [self._keep(r) for r in await self._session.scalars(stmt)]


def _ticket_to_row(ticket: Ticket, row: TicketRow) -> None:
    row.requester_id = ticket.requester_id
    row.requester_chat_platform = ticket.requester_chat.platform
    row.requester_chat_id = ticket.requester_chat.chat_id
    row.summary = ticket.summary
    row.details = ticket.details
    row.impact = ticket.impact
    row.can_work = ticket.can_work
    row.urgency = ticket.urgency
    row.priority = ticket.priority
    row.tier = ticket.tier
    row.chain = list(ticket.chain)
    row.category = ticket.category
    row.product = ticket.product
    row.version = ticket.version
    row.version_supported = ticket.version_supported
    row.status = Status(ticket.status).value
    row.assignee_id = ticket.assignee_id
    row.created_at = ticket.created_at
    row.updated_at = ticket.updated_at
    row.response_due_at = ticket.response_due_at
    row.resolution_due_at = ticket.resolution_due_at
    row.first_response_at = ticket.first_response_at
    row.resolved_at = ticket.resolved_at
    row.closed_at = ticket.closed_at
    row.resolution_note = ticket.resolution_note
    row.rating = ticket.rating
    row.policy = ticket.policy
    row.response_warn_at = ticket.response_warn_at
    row.resolution_warn_at = ticket.resolution_warn_at
    row.resolution_started_at = ticket.resolution_started_at
    row.paused_at = ticket.paused_at
    row.paused_seconds = ticket.paused_seconds
    row.update_due_at = ticket.update_due_at
    row.next_ping_at = ticket.next_ping_at
    row.escalation = dict(ticket.escalation) if ticket.escalation is not None else None


def _ticket_from_row(row: TicketRow) -> Ticket:
    return Ticket(
        number=row.number,
        requester_id=row.requester_id,
        requester_chat=ChatAddress(row.requester_chat_platform, row.requester_chat_id),
        summary=row.summary,
        details=row.details,
        impact=row.impact,
        can_work=row.can_work,
        urgency=row.urgency,
        priority=row.priority,
        tier=row.tier,
        chain=tuple(row.chain),
        category=row.category,
        product=row.product,
        version=row.version,
        version_supported=row.version_supported,
        status=Status(row.status),
        assignee_id=row.assignee_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        response_due_at=row.response_due_at,
        resolution_due_at=row.resolution_due_at,
        first_response_at=row.first_response_at,
        resolved_at=row.resolved_at,
        closed_at=row.closed_at,
        resolution_note=row.resolution_note,
        rating=row.rating,
        policy=row.policy,
        response_warn_at=row.response_warn_at,
        resolution_warn_at=row.resolution_warn_at,
        resolution_started_at=row.resolution_started_at,
        paused_at=row.paused_at,
        paused_seconds=row.paused_seconds,
        update_due_at=row.update_due_at,
        next_ping_at=row.next_ping_at,
        escalation=dict(row.escalation) if row.escalation is not None else None,
    )
