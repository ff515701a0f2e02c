"""Major incidents: a storm of the same report becomes one incident with its own clocks.

An incident is proposed by the detector (or created by an agent), declared (its clocks
start, its linked tickets stop pinging on their own), and resolved (every linked ticket
with it) or dismissed as not related. Like a ticket, it changes only through its
transitions, which refuse what its state does not allow and move its SLA clocks: the same
rules (:mod:`bot.domain.clocks`, :mod:`bot.domain.pings`) run for both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.domain import clocks
from bot.domain.clocks import Clocks
from bot.domain.sla import SlaSettings
from bot.errors import InvalidTransition

GROUP_IMPACT = "group"  # an incident's impact: many people at once


class IncidentStatus(StrEnum):
    PROPOSED = "proposed"  # the detector saw a burst; nobody has declared it yet
    OPEN = "open"  # declared: its clocks run, its tickets wait on it
    RESOLVED = "resolved"
    DISMISSED = "dismissed"  # "Not related": a false alarm

    @property
    def label(self) -> str:
        return self.value.capitalize()


LIVE_INCIDENTS = frozenset({IncidentStatus.PROPOSED, IncidentStatus.OPEN})


@dataclass(slots=True)
class Incident:
    """One outage many people reported. ``text`` is what it is about (its first report),
    for matching new requesters; ``first_response_at`` is when a commander took it (which
    stops its response clock, as a claim does a ticket's)."""

    title: str
    category: str | None
    tier: str  # whose channel hears of it and whose on-call person is paged
    proposed_at: datetime
    text: str = ""
    status: IncidentStatus = IncidentStatus.PROPOSED
    priority: str = ""
    commander_id: int | None = None
    declared_at: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    resolution_note: str = ""
    clocks: Clocks = field(default_factory=Clocks)
    id: int | None = None

    @property
    def ref(self) -> str:
        return f"#{self.id}"

    @property
    def active(self) -> bool:
        """Declared and not resolved: its clocks may run."""
        return self.status is IncidentStatus.OPEN

    @property
    def live(self) -> bool:
        """Proposed or open: new reports may still join it."""
        return self.status in LIVE_INCIDENTS

    @property
    def created_at(self) -> datetime:
        """Where its clocks count from: the declaration (the proposal until then)."""
        return self.declared_at or self.proposed_at

    # -- transitions -----------------------------------------------------------------------

    def declare(self, priority: str, now: datetime, sla: SlaSettings) -> None:
        """Proposed (or new) → open: the clocks start now, under its category's policy."""
        if self.status is not IncidentStatus.PROPOSED:
            raise InvalidTransition(f"Incident {self.ref} is {self.status.label.lower()}.")
        self.status = IncidentStatus.OPEN
        self.priority = priority
        self.declared_at = now
        if self.commander_id is not None:  # someone took it while it was proposed
            self.first_response_at = now
        clocks.start(self, sla)

    def take_command(self, person_id: int, now: datetime, sla: SlaSettings) -> None:
        if not self.live:
            raise InvalidTransition(f"Incident {self.ref} is {self.status.label.lower()}.")
        if self.commander_id == person_id:
            raise InvalidTransition(f"You already command incident {self.ref}.")
        self.commander_id = person_id
        if self.active and self.first_response_at is None:
            self.first_response_at = now
            clocks.recompute(self, sla)

    def resolve(self, note: str, now: datetime) -> None:
        if self.status is not IncidentStatus.OPEN:
            raise InvalidTransition(
                f"Only a declared incident can be resolved; {self.ref} is "
                f"{self.status.label.lower()}."
            )
        self.status = IncidentStatus.RESOLVED
        self.resolution_note = note
        self.resolved_at = now
        self.clocks.next_ping_at = None

    def dismiss(self, now: datetime) -> None:
        if self.status is not IncidentStatus.PROPOSED:
            raise InvalidTransition(
                f"Only a proposed incident can be dismissed; {self.ref} is "
                f"{self.status.label.lower()}."
            )
        self.status = IncidentStatus.DISMISSED
        self.resolved_at = now


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """A line of an incident's timeline (declared, an update, a page, a ticket joined).
    ``key``: an SLA ping stage recorded once (empty for the other lines)."""

    incident_id: int
    at: datetime
    action: str
    detail: str = ""
    actor_id: int | None = None
    key: str = ""


@dataclass(frozen=True, slots=True)
class RecentTicket:
    """A ticket opened lately, as the detector compares it: its text, who wrote it, and the
    live incident it is already part of (None if none)."""

    number: int
    requester_id: int
    summary: str
    text: str
    opened_at: datetime
    incident_id: int | None = None


def ticket_text(summary: str, details: str) -> str:
    """What the detector compares of a ticket. Not its category: only tickets of one category
    are compared, and the shared word made unrelated ones look alike (centred similarity
    0.63–0.72 with "hardware" appended, 0.29–0.39 without)."""
    return " ".join(p for p in (summary, details) if p)
