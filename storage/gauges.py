"""What ``/metrics`` and ``/healthz`` read from the database, at the moment they are asked.

Gauges come from the tables rather than from counters kept in memory, so every replica
reports the same figures and a restart loses none. A handful of aggregate queries, each on
an index or a small table (open tickets, pending outbox rows, ping stages, incidents).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.tickets import ACTIVE_STATUSES
from storage.tables import (
    PENDING,
    ArticleFeedbackRow,
    IncidentRow,
    OutboxRow,
    PingStageRow,
    SelfServiceRow,
    TicketRow,
)

__all__ = ["STAGES", "DeskGauges", "check_database", "read_gauges"]

STAGES = ("warn", "breach", "repeat", "esc", "ack")
"""Ping stage kinds, as their keys end (``resolution:1767261600:breach``, ``…:repeat:3``)."""


@dataclass(frozen=True, slots=True)
class DeskGauges:
    open_tickets: dict[tuple[str, str], int] = field(default_factory=dict)  # (priority, tier)
    ping_stages: dict[str, int] = field(default_factory=dict)  # stage kind → recorded
    breaches: dict[str, int] = field(default_factory=dict)  # clock → breach stages
    outbox_backlog: int = 0
    outbox_oldest: datetime | None = None  # created_at of the oldest pending row
    self_service: int = 0  # suggestions a requester accepted ("This solved it")
    suggestions_shown: int = 0  # articles offered, one per article and question
    suggestions_rejected: int = 0  # articles offered and turned down ("I still need help")
    incidents: dict[str, int] = field(default_factory=dict)  # status → incidents


async def check_database(engine: AsyncEngine) -> None:
    """One real query on the tickets table; raises what the driver raises."""
    async with engine.connect() as connection:
        await connection.execute(select(TicketRow.number).limit(1))


async def read_gauges(engine: AsyncEngine) -> DeskGauges:
    key = PingStageRow.key
    stage_counts = [
        func.sum(case((_stage_is(kind), 1), else_=0)).label(kind) for kind in STAGES
    ] + [
        func.sum(case((key.like(f"{clock}:%:breach"), 1), else_=0)).label(f"b_{clock}")
        for clock in ("response", "resolution", "update")
    ]
    async with engine.connect() as connection:
        open_rows = await connection.execute(
            select(TicketRow.priority, TicketRow.tier, func.count())
            .where(TicketRow.status.in_([s.value for s in ACTIVE_STATUSES]))
            .group_by(TicketRow.priority, TicketRow.tier)
        )
        open_tickets = {(p, t): int(n) for p, t, n in open_rows.all()}
        stages = (await connection.execute(select(*stage_counts))).one()._mapping
        backlog, oldest = (
            await connection.execute(
                select(func.count(), func.min(OutboxRow.created_at)).where(PENDING)
            )
        ).one()
        accepted = await connection.scalar(select(func.count()).select_from(SelfServiceRow))
        shown, rejected = (
            await connection.execute(
                select(
                    func.coalesce(func.sum(ArticleFeedbackRow.shown), 0),
                    func.coalesce(func.sum(ArticleFeedbackRow.rejected), 0),
                )
            )
        ).one()
        incident_rows = await connection.execute(
            select(IncidentRow.status, func.count()).group_by(IncidentRow.status)
        )
        incidents = {status: int(n) for status, n in incident_rows.all()}
    return DeskGauges(
        open_tickets=open_tickets,
        ping_stages={kind: int(stages[kind] or 0) for kind in STAGES},
        breaches={c: int(stages[f"b_{c}"] or 0) for c in ("response", "resolution", "update")},
        outbox_backlog=int(backlog),
        outbox_oldest=oldest,
        self_service=int(accepted or 0),
        suggestions_shown=int(shown),
        suggestions_rejected=int(rejected),
        incidents=incidents,
    )


def _stage_is(kind: str) -> ColumnElement[bool]:
    key = PingStageRow.key
    if kind in ("repeat", "esc"):
        return key.like(f"%:{kind}:%")
    return key.like(f"%:{kind}")
