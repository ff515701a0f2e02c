"""The status board agents and leads watch: major incidents proposed or open, each tier's
queue with its nearest SLA due time, who is on call now and next, and today's figures.

Read-only, one unit of work per look; the HTTP status page renders it (``adapters/status``).
"Today" starts at midnight in the desk's time zone; warnings use the tickets' own warning
instants (``sla.warn_at`` of their targets), so the page and the pings agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain import ACTIVE_STATUSES, Ticket
from bot.domain.clocks import Running
from bot.domain.incidents import LIVE_INCIDENTS, Incident
from bot.domain.oncall import OVERRIDE_LAYER, OnCall
from bot.domain.pings import running_clocks
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.services.oncall import OnCallService
from bot.settings import Settings

__all__ = [
    "Duty",
    "IncidentRow",
    "Pressure",
    "QueueRow",
    "StatusBoard",
    "StatusService",
    "TierStatus",
    "Today",
    "pressure",
    "today_figures",
]


class Pressure(StrEnum):
    """How close a ticket's nearest running clock is to its due time."""

    OK = "ok"
    WARNING = "warning"  # past its warning instant
    BREACHED = "breached"  # past its due time
    PAUSED = "paused"  # no clock running (waiting on the requester)


@dataclass(frozen=True, slots=True)
class QueueRow:
    number: int
    summary: str
    priority: str
    status: str
    assignee: str  # "" when nobody has claimed it
    clock: str  # "response", "resolution", "update"; "" when paused
    warn_at: datetime | None
    due_at: datetime | None
    pressure: Pressure


@dataclass(frozen=True, slots=True)
class IncidentRow:
    """A major incident on the board: proposed (waiting for an agent) or open."""

    id: int
    title: str
    priority: str  # "" while proposed
    status: str
    commander: str  # "" when nobody commands it
    tickets: int
    clock: str
    warn_at: datetime | None
    due_at: datetime | None
    pressure: Pressure


@dataclass(frozen=True, slots=True)
class Duty:
    name: str
    zone: str  # where they are: their own time zone, else their rotation layer's
    until: datetime


@dataclass(frozen=True, slots=True)
class TierStatus:
    name: str
    label: str
    queue: tuple[QueueRow, ...]
    now: Duty | None
    next: Duty | None


@dataclass(frozen=True, slots=True)
class Today:
    opened: int
    resolved: int
    breaches: int
    since: datetime  # midnight in the desk's zone


@dataclass(frozen=True, slots=True)
class StatusBoard:
    at: datetime
    tiers: tuple[TierStatus, ...]
    today: Today
    incidents: tuple[IncidentRow, ...] = ()


Nearest = tuple[str, datetime | None, datetime | None, Pressure]


def pressure(ticket: Running, now: datetime) -> Nearest:
    """The ticket's (or incident's) most pressing running clock: (clock, warning instant,
    due, how pressing)."""
    clocks = running_clocks(ticket)
    if not clocks:
        return "", None, None, Pressure.PAUSED
    clock, warn_at, due = min(clocks, key=lambda c: c[2])
    if due <= now:
        return clock, warn_at, due, Pressure.BREACHED
    if warn_at is not None and warn_at <= now:
        return clock, warn_at, due, Pressure.WARNING
    return clock, warn_at, due, Pressure.OK


async def today_figures(uow: UnitOfWork, now: datetime, zone: str) -> Today:
    """Tickets opened and resolved, and SLA breaches, since midnight in ``zone``."""
    local = now.astimezone(ZoneInfo(zone))
    since = datetime.combine(local.date(), time(0), ZoneInfo(zone))
    opened, resolved = await uow.tickets.activity(since)
    breaches = sum((await uow.pings.count_since("breach", since)).values())
    return Today(opened, resolved, breaches, since)


class StatusService:
    def __init__(
        self,
        settings: Settings,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        oncall: OnCallService,
    ) -> None:
        self.settings = settings
        self.uow_factory = uow_factory
        self.clock = clock
        self.oncall = oncall

    async def board(self) -> StatusBoard:
        now = self.clock.now()
        async with self.uow_factory() as uow:
            open_tickets = await uow.tickets.list(statuses=tuple(ACTIVE_STATUSES))
            names = await uow.people.names(t.assignee_id for t in open_tickets)
            tiers = []
            for tier in self.settings.tiers:
                mine = [t for t in open_tickets if t.tier == tier.name]
                rows = sorted((self._row(t, names, now) for t in mine), key=_most_pressing)
                duty_now, duty_next = await self._duties(uow, tier.name, now)
                tiers.append(TierStatus(tier.name, tier.label, tuple(rows), duty_now, duty_next))
            today = await today_figures(uow, now, self.settings.timezone)
            live = await uow.incidents.list(statuses=tuple(LIVE_INCIDENTS))
            linked = await uow.incidents.linked_to([i.id for i in live if i.id is not None])
            commanders = await uow.people.names(i.commander_id for i in live)
        incidents = tuple(self._incident(i, linked, commanders, now) for i in live)
        return StatusBoard(now, tuple(tiers), today, incidents)

    def _incident(
        self,
        incident: Incident,
        linked: dict[int, list[int]],
        names: dict[int, str],
        now: datetime,
    ) -> IncidentRow:
        clock, warn_at, due, how = pressure(incident, now)
        assert incident.id is not None
        commander = incident.commander_id
        return IncidentRow(
            incident.id,
            incident.title,
            incident.priority,
            incident.status.label,
            names.get(commander, "") if commander is not None else "",
            len(linked.get(incident.id, [])),
            clock,
            warn_at,
            due,
            how,
        )

    def _row(self, ticket: Ticket, names: dict[int, str], now: datetime) -> QueueRow:
        clock, warn_at, due, how = pressure(ticket, now)
        assert ticket.number is not None
        return QueueRow(
            ticket.number,
            ticket.summary,
            ticket.priority,
            ticket.status.label
            + (f" · incident #{ticket.incident_id}" if ticket.incident_id is not None else ""),
            names.get(ticket.assignee_id, "") if ticket.assignee_id is not None else "",
            clock,
            warn_at,
            due,
            how,
        )

    async def _duties(
        self, uow: UnitOfWork, tier: str, now: datetime
    ) -> tuple[Duty | None, Duty | None]:
        """Who is on call now, and who takes over when their duty ends."""
        overrides = await uow.oncall.overlapping(now, now + _HORIZON)
        current = self.oncall.on_call(tier, overrides, now)
        later = self.oncall.on_call(tier, overrides, current.until) if current else None
        return await self._duty(uow, current), await self._duty(uow, later)

    async def _duty(self, uow: UnitOfWork, duty: OnCall | None) -> Duty | None:
        if duty is None:
            return None
        person = await uow.people.by_identity(duty.person)
        name = person.display_name if person is not None else duty.person.external_id
        zone = person.timezone if person is not None and person.timezone else ""
        return Duty(name, zone or self._layer_zone(duty), duty.until)

    def _layer_zone(self, duty: OnCall) -> str:
        if duty.layer != OVERRIDE_LAYER:
            for layer in self.settings.tier(duty.tier).rotations:
                if layer.name == duty.layer:
                    return layer.zone
        return self.settings.timezone


_PRESSING = {Pressure.BREACHED: 0, Pressure.WARNING: 1, Pressure.OK: 2, Pressure.PAUSED: 3}
_HORIZON = timedelta(days=14)  # overrides that may decide who is on call now or next


def _most_pressing(row: QueueRow) -> tuple[int, float, int]:
    due = row.due_at.timestamp() if row.due_at is not None else float("inf")
    return _PRESSING[row.pressure], due, row.number
