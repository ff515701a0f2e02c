"""Incidents, their linked tickets, timelines and "not related" pairs, in Core statements.

The detector's read (:meth:`SqlIncidentRepository.recent`) is one statement on the
``(category, created_at)`` index, with each ticket's live incident as a subquery; the
advisory lock in front of it is PostgreSQL's, per category, held to the end of the
transaction that opens the ticket.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, or_, select, text, update

from bot.domain import Status, Ticket
from bot.domain.incidents import (
    LIVE_INCIDENTS,
    Incident,
    IncidentStatus,
    RecentTicket,
    TimelineEntry,
    ticket_text,
)
from storage.mapping import incident_from_row, incident_values, ticket_from_row
from storage.repositories.base import SqlRepository, rowcount
from storage.shared import LOCK_KEY
from storage.tables import (
    IncidentRow,
    IncidentTicketRow,
    IncidentTimelineRow,
    TicketRow,
    UnrelatedPairRow,
)

INCIDENTS: Table = IncidentRow.__table__  # type: ignore[assignment]
LINKS: Table = IncidentTicketRow.__table__  # type: ignore[assignment]
TIMELINE: Table = IncidentTimelineRow.__table__  # type: ignore[assignment]
PAIRS: Table = UnrelatedPairRow.__table__  # type: ignore[assignment]
TICKETS: Table = TicketRow.__table__  # type: ignore[assignment]


class SqlIncidentRepository(SqlRepository):
    """Incidents and what hangs off them."""

    async def add(self, incident: Incident) -> Incident:
        if incident.id is not None:
            raise ValueError(f"incident {incident.ref} is already stored")
        stmt = insert(INCIDENTS).values(incident_values(incident)).returning(INCIDENTS.c.id)
        incident.id = int((await self._db.execute(stmt)).scalar_one())
        return incident

    async def get(self, incident_id: int) -> Incident | None:
        row = (await self._db.execute(_GET, {"id": incident_id})).first()
        return None if row is None else incident_from_row(row._mapping)

    async def save(self, incident: Incident) -> None:
        if incident.id is None:
            raise ValueError("incident has no id; add it first")
        stmt = update(INCIDENTS).where(INCIDENTS.c.id == incident.id)
        await self._db.execute(stmt.values(incident_values(incident)))

    async def lock_category(self, category: str | None) -> None:
        if self._dialect == "postgresql":
            await self._db.execute(_LOCK, {"name": f"incidents:{category or ''}"})

    async def recent(self, category: str | None, since: datetime) -> list[RecentTicket]:
        same = TICKETS.c.category.is_(None) if category is None else TICKETS.c.category == category
        return await self._opened(since, same)

    async def opened_since(self, since: datetime) -> list[RecentTicket]:
        return await self._opened(since)

    async def _opened(self, since: datetime, *where: Any) -> list[RecentTicket]:
        live = (
            select(LINKS.c.incident_id)
            .join(INCIDENTS, INCIDENTS.c.id == LINKS.c.incident_id)
            .where(
                LINKS.c.ticket_number == TICKETS.c.number,
                INCIDENTS.c.status.in_([s.value for s in LIVE_INCIDENTS]),
            )
            .order_by(LINKS.c.incident_id.desc())
            .limit(1)
            .scalar_subquery()
        )
        stmt = (
            select(
                TICKETS.c.number,
                TICKETS.c.requester_id,
                TICKETS.c.summary,
                TICKETS.c.details,
                TICKETS.c.created_at,
                live.label("incident_id"),
            )
            .where(
                *where,
                TICKETS.c.created_at >= since,
                TICKETS.c.status != Status.CANCELLED.value,
            )
            .order_by(TICKETS.c.created_at, TICKETS.c.number)
        )
        return [
            RecentTicket(
                r.number,
                r.requester_id,
                r.summary,
                ticket_text(r.summary, r.details),
                r.created_at,
                r.incident_id,
            )
            for r in await self._db.execute(stmt)
        ]

    async def link(self, incident_id: int, numbers: Sequence[int], at: datetime) -> None:
        if numbers:
            rows = [
                {"incident_id": incident_id, "ticket_number": n, "linked_at": at} for n in numbers
            ]
            await self._db.execute(self._insert(LINKS).on_conflict_do_nothing(), rows)

    async def unlink(self, incident_id: int, number: int) -> bool:
        stmt = delete(LINKS).where(
            LINKS.c.incident_id == incident_id, LINKS.c.ticket_number == number
        )
        return rowcount(await self._db.execute(stmt)) > 0

    async def linked(self, incident_id: int) -> list[int]:
        return (await self.linked_to([incident_id])).get(incident_id, [])

    async def linked_to(self, incident_ids: Sequence[int]) -> dict[int, list[int]]:
        if not incident_ids:
            return {}
        stmt = (
            select(LINKS.c.incident_id, LINKS.c.ticket_number)
            .where(LINKS.c.incident_id.in_(list(incident_ids)))
            .order_by(LINKS.c.linked_at, LINKS.c.ticket_number)
        )
        found: dict[int, list[int]] = {}
        for incident_id, number in (await self._db.execute(stmt)).all():
            found.setdefault(incident_id, []).append(number)
        return found

    async def tickets(self, incident_id: int) -> list[Ticket]:
        stmt = (
            select(TICKETS)
            .join(LINKS, LINKS.c.ticket_number == TICKETS.c.number)
            .where(LINKS.c.incident_id == incident_id)
            .order_by(LINKS.c.linked_at, LINKS.c.ticket_number)
        )
        return [ticket_from_row(r._mapping) for r in await self._db.execute(stmt)]

    async def unrelated_among(self, numbers: Sequence[int]) -> set[tuple[int, int]]:
        if len(numbers) < 2:
            return set()
        wanted = list(numbers)
        stmt = select(PAIRS.c.first, PAIRS.c.second).where(
            PAIRS.c.first.in_(wanted), PAIRS.c.second.in_(wanted)
        )
        return {(a, b) for a, b in (await self._db.execute(stmt)).all()}

    async def add_unrelated(self, pairs: Iterable[tuple[int, int]]) -> None:
        rows = [{"first": min(a, b), "second": max(a, b)} for a, b in pairs if a != b]
        if rows:
            await self._db.execute(self._insert(PAIRS).on_conflict_do_nothing(), rows)

    async def add_timeline(self, entries: Sequence[TimelineEntry]) -> set[str]:
        if not entries:
            return set()
        rows = [
            {
                "incident_id": e.incident_id,
                "at": e.at,
                "action": e.action,
                "detail": e.detail,
                "actor_id": e.actor_id,
                "key": e.key or None,
            }
            for e in entries
        ]
        stmt = self._insert(TIMELINE).on_conflict_do_nothing().returning(TIMELINE.c.key)
        return {k for (k,) in (await self._db.execute(stmt, rows)).all() if k}

    async def timeline(self, incident_id: int) -> list[TimelineEntry]:
        stmt = (
            select(TIMELINE)
            .where(TIMELINE.c.incident_id == incident_id)
            .order_by(TIMELINE.c.at, TIMELINE.c.id)
        )
        return [_entry(r) for r in await self._db.execute(stmt)]

    async def stages_of(self, incident_ids: Sequence[int]) -> dict[int, dict[str, datetime]]:
        found: dict[int, dict[str, datetime]] = {i: {} for i in incident_ids}
        if not incident_ids:
            return found
        stmt = select(TIMELINE.c.incident_id, TIMELINE.c.key, TIMELINE.c.at).where(
            TIMELINE.c.incident_id.in_(list(incident_ids)), TIMELINE.c.key.is_not(None)
        )
        for incident_id, key, at in (await self._db.execute(stmt)).all():
            found[incident_id][key] = at
        return found

    async def due_for_ping(self, now: datetime, limit: int) -> list[Incident]:
        stmt = (
            select(INCIDENTS)
            .where(INCIDENTS.c.next_ping_at <= now)
            .order_by(INCIDENTS.c.next_ping_at, INCIDENTS.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [incident_from_row(r._mapping) for r in await self._db.execute(stmt)]

    async def between(self, start: datetime, end: datetime) -> list[Incident]:
        stmt = (
            select(INCIDENTS)
            .where(
                INCIDENTS.c.proposed_at < end,
                or_(INCIDENTS.c.resolved_at.is_(None), INCIDENTS.c.resolved_at >= start),
            )
            .order_by(INCIDENTS.c.id)
        )
        return [incident_from_row(r._mapping) for r in await self._db.execute(stmt)]

    # Last in the class: a method named ``list`` shadows the builtin in annotations after it.
    async def list(
        self, *, statuses: Sequence[IncidentStatus] = (), limit: int | None = None
    ) -> list[Incident]:
        stmt = select(INCIDENTS).order_by(INCIDENTS.c.id.desc())
        if statuses:
            stmt = stmt.where(INCIDENTS.c.status.in_([IncidentStatus(s).value for s in statuses]))
        if limit is not None:
            stmt = stmt.limit(limit)
        return [incident_from_row(r._mapping) for r in await self._db.execute(stmt)]


def _entry(r: Any) -> TimelineEntry:
    return TimelineEntry(r.incident_id, r.at, r.action, r.detail, r.actor_id, r.key or "")


_GET = select(INCIDENTS).where(INCIDENTS.c.id == bindparam("id")).with_for_update()
# Keyed by schema and category like the replicas' singleton locks (advisory locks are
# database-wide: desks or test runs in other schemas must not wait on each other).
_LOCK = text(f"SELECT pg_advisory_xact_lock({LOCK_KEY})")
