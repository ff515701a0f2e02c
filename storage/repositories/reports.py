"""The support lead's figures read their tickets, history, ping stages and self-service
resolutions here: plain reads of a period, never locked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Table, or_, select

from bot.domain import HistoryEntry, Ticket
from storage.mapping import ticket_from_row
from storage.repositories.base import SqlRepository
from storage.tables import HistoryRow, PingStageRow, SelfServiceRow, TicketRow

TICKETS: Table = TicketRow.__table__  # type: ignore[assignment]
HISTORY: Table = HistoryRow.__table__  # type: ignore[assignment]
STAGES: Table = PingStageRow.__table__  # type: ignore[assignment]
SELF_SERVICE: Table = SelfServiceRow.__table__  # type: ignore[assignment]
CHUNK = 500  # ticket numbers per IN (...) list


class SqlReportRepository(SqlRepository):
    async def tickets(self, start: datetime, end: datetime) -> list[Ticket]:
        stmt = (
            select(TICKETS)
            .where(
                TICKETS.c.created_at < end,
                or_(TICKETS.c.closed_at.is_(None), TICKETS.c.closed_at >= start),
            )
            .order_by(TICKETS.c.number)
        )
        return [ticket_from_row(r._mapping) for r in await self._db.execute(stmt)]

    async def history(self, numbers: Sequence[int], actions: Sequence[str]) -> list[HistoryEntry]:
        found: list[HistoryEntry] = []
        for i in range(0, len(numbers), CHUNK):
            stmt = (
                select(HISTORY)
                .where(
                    HISTORY.c.ticket_number.in_(list(numbers[i : i + CHUNK])),
                    or_(*(HISTORY.c.action.startswith(a, autoescape=True) for a in actions)),
                )
                .order_by(HISTORY.c.at, HISTORY.c.id)
            )
            found += [
                HistoryEntry(r.ticket_number, r.at, r.action, r.actor_id, r.source, r.detail, r.id)
                for r in await self._db.execute(stmt)
            ]
        found.sort(key=lambda h: (h.at, h.id or 0))
        return found

    async def stages(self, start: datetime, end: datetime) -> list[tuple[int, str, datetime]]:
        stmt = select(STAGES.c.ticket_number, STAGES.c.key, STAGES.c.at).where(
            STAGES.c.at >= start, STAGES.c.at < end
        )
        return [(n, k, at) for n, k, at in (await self._db.execute(stmt)).all()]

    async def self_service(self, start: datetime, end: datetime) -> list[datetime]:
        stmt = select(SELF_SERVICE.c.at).where(SELF_SERVICE.c.at >= start, SELF_SERVICE.c.at < end)
        return list((await self._db.scalars(stmt)).all())
