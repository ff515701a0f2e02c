"""Tickets and what happens to them: status, transitions, history and comments.

Entities are plain dataclasses so rules can be tested without a database; storage maps
them to tables. Ticket state changes go through methods that refuse illegal transitions
with :class:`~bot.errors.InvalidTransition`, so every entry point gets the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.domain import clocks
from bot.domain.clocks import Clocks
from bot.domain.people import ChatAddress
from bot.domain.sla import SlaSettings
from bot.errors import InvalidTransition


class Status(StrEnum):
    """Where a ticket is in its life."""

    OPEN = "open"  # in a tier's queue, nobody has claimed it
    IN_PROGRESS = "in_progress"  # an agent owns it
    WAITING = "waiting"  # waiting on the requester
    RESOLVED = "resolved"  # an agent says it is fixed; the requester may reopen
    CLOSED = "closed"  # done for good
    CANCELLED = "cancelled"  # withdrawn by the requester

    @property
    def active(self) -> bool:
        return self in ACTIVE_STATUSES

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


ACTIVE_STATUSES = frozenset({Status.OPEN, Status.IN_PROGRESS, Status.WAITING})
_STATUS_LABELS = {
    Status.OPEN: "Open",
    Status.IN_PROGRESS: "In progress",
    Status.WAITING: "Waiting on requester",
    Status.RESOLVED: "Resolved",
    Status.CLOSED: "Closed",
    Status.CANCELLED: "Cancelled",
}


@dataclass(frozen=True, slots=True)
class Draft:
    """A finished intake: everything needed to open a ticket."""

    description: str
    summary: str
    impact: str
    can_work: str
    urgency: str
    details: str = ""
    category: str | None = None
    product: str | None = None
    version: str | None = None
    version_supported: bool | None = None
    notice: str = ""


def tier_after(chain: tuple[str, ...], tier: str) -> str | None:
    """The tier after ``tier`` in ``chain`` (a ticket's, an incident's category's); None at
    its end or when ``tier`` is not on it."""
    if tier not in chain:
        return None
    position = chain.index(tier)
    return chain[position + 1] if position + 1 < len(chain) else None


@dataclass(slots=True)
class Ticket:
    """A request for help that agents work on.

    Every change of state goes through a transition below, which refuses what the ticket's
    state does not allow and moves the SLA clocks with it (started, paused, resumed,
    stopped, re-targeted): no caller touches :attr:`clocks` by hand, so the rules of
    :mod:`bot.domain.clocks` hold whoever changes the ticket.
    """

    requester_id: int
    requester_chat: ChatAddress
    summary: str
    impact: str
    can_work: str
    urgency: str
    priority: str
    tier: str
    chain: tuple[str, ...]
    created_at: datetime
    details: str = ""
    category: str | None = None
    product: str | None = None
    version: str | None = None
    version_supported: bool | None = None
    status: Status = Status.OPEN
    assignee_id: int | None = None
    updated_at: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    resolution_note: str = ""
    rating: int | None = None
    solved: bool | None = None  # the requester's answer to "Did this solve it?"; None: none yet
    reopens: int = 0  # times the requester said it was not solved
    incident_id: int | None = None  # part of this declared incident: its clocks wait on it
    clocks: Clocks = field(default_factory=Clocks)
    number: int | None = None

    @property
    def ref(self) -> str:
        return f"#{self.number}"

    @property
    def active(self) -> bool:
        """In a queue or being worked on: its clocks may run."""
        return self.status.active

    @property
    def next_tier(self) -> str | None:
        """The tier after this one in the ticket's chain; None at its end."""
        return tier_after(self.chain, self.tier)

    # -- transitions -----------------------------------------------------------------------

    def open(self, sla: SlaSettings) -> None:
        """A new ticket's clocks start, under its category's policy."""
        self.updated_at = self.created_at
        clocks.start(self, sla)

    def _require_active(self, verb: str) -> None:
        if not self.status.active:
            raise InvalidTransition(
                f"Ticket {self.ref} is {self.status.label.lower()}; it cannot be {verb}."
            )

    def _require_not_done(self) -> None:
        if self.status in (Status.CLOSED, Status.CANCELLED):
            raise InvalidTransition(f"Ticket {self.ref} is {self.status.label.lower()}.")

    def claim(self, agent_id: int, now: datetime, sla: SlaSettings) -> None:
        self._require_active("claimed")
        if self.assignee_id == agent_id:
            raise InvalidTransition(f"Ticket {self.ref} is already yours.")
        if self.assignee_id is not None:
            raise InvalidTransition(
                f"Ticket {self.ref} is already claimed; ask a lead to reassign it."
            )
        self.assignee_id = agent_id
        self.status = Status.IN_PROGRESS
        self._responded(now)
        self.updated_at = now
        clocks.recompute(self, sla)

    def assign(self, agent_id: int, now: datetime) -> None:
        self._require_active("reassigned")
        if self.assignee_id == agent_id:
            raise InvalidTransition(f"Ticket {self.ref} is already assigned to them.")
        self.assignee_id = agent_id
        if self.status is Status.OPEN:
            self.status = Status.IN_PROGRESS
        self.updated_at = now

    def agent_replied(self, now: datetime, sla: SlaSettings) -> None:
        """An agent answered the requester: a first response, and the update clock stops."""
        self._require_not_done()
        self._responded(now)
        self.updated_at = now
        clocks.stop_update_clock(self, sla)

    def requester_replied(self, now: datetime, sla: SlaSettings) -> None:
        """The requester wrote: a ticket waiting on them goes on, and an agent owes an
        answer within the policy's update target."""
        self._require_not_done()
        if self.status is Status.WAITING:
            self.status = Status.IN_PROGRESS if self.assignee_id is not None else Status.OPEN
            if self.incident_id is None:
                clocks.resume(self, sla, now)
        self.updated_at = now
        if self.incident_id is None:
            clocks.start_update_clock(self, sla, now)

    def escalate(self, now: datetime, sla: SlaSettings) -> str:
        """Move to the next tier of the ticket's chain; returns the new tier. A restarting
        policy gives the new tier the full resolution target."""
        self._require_active("escalated")
        next_tier = self.next_tier
        if next_tier is None:
            raise InvalidTransition(
                f"Ticket {self.ref} is already at {self.tier}, the last tier of its chain."
            )
        self.tier = next_tier
        self.assignee_id = None
        self.status = Status.OPEN
        self.updated_at = now
        if sla.policy(self.clocks.policy).restart_on_escalation:
            clocks.restart_resolution(self, sla, now)
        return self.tier

    def wait_on_requester(self, now: datetime, sla: SlaSettings) -> None:
        self._require_active("set to waiting")
        if self.status is Status.WAITING:
            raise InvalidTransition(f"Ticket {self.ref} is already waiting on the requester.")
        self.status = Status.WAITING
        self.updated_at = now
        if sla.policy(self.clocks.policy).pause_when_waiting:
            clocks.pause(self, now)

    def resolve(self, note: str, now: datetime, *, by: int | None = None) -> None:
        """Resolved (``by`` that agent: its assignee from now on, if it had none). The
        clocks pause: a reopen resumes them where they stopped."""
        self._require_active("resolved")
        self.status = Status.RESOLVED
        self.resolution_note = note
        self.resolved_at = now
        self.updated_at = now
        if self.assignee_id is None:
            self.assignee_id = by
        clocks.pause(self, now)

    def reopen(self, now: datetime, sla: SlaSettings) -> None:
        """Back to work; the time it spent resolved is not counted."""
        if self.status is not Status.RESOLVED:
            raise InvalidTransition(
                f"Only a resolved ticket can be reopened; {self.ref} is "
                f"{self.status.label.lower()}."
            )
        self.status = Status.IN_PROGRESS if self.assignee_id is not None else Status.OPEN
        self.resolved_at = None
        self.solved = False
        self.reopens += 1
        self.incident_id = None  # its incident is over: the ticket goes on alone
        self.updated_at = now
        clocks.resume(self, sla, now)

    def close(self, now: datetime, sla: SlaSettings) -> None:
        """The requester closes it: closing a resolved ticket answers "yes, solved"."""
        if self.status in (Status.CLOSED, Status.CANCELLED):
            raise InvalidTransition(f"Ticket {self.ref} is already {self.status.label.lower()}.")
        if self.status is Status.RESOLVED:
            self.solved = True
        self._closed(now, sla)

    def close_unanswered(self, now: datetime, sla: SlaSettings) -> None:
        """Resolved and never answered within the desk's wait: closed, no answer recorded."""
        if self.status is not Status.RESOLVED:
            raise InvalidTransition(f"Ticket {self.ref} is not waiting for an answer.")
        self._closed(now, sla)

    def _closed(self, now: datetime, sla: SlaSettings) -> None:
        self.status = Status.CLOSED
        self.closed_at = now
        self.updated_at = now
        clocks.recompute(self, sla)

    def cancel(self, now: datetime, sla: SlaSettings) -> None:
        self._require_active("cancelled")
        self.status = Status.CANCELLED
        self.closed_at = now
        self.updated_at = now
        clocks.recompute(self, sla)

    def join_incident(self, incident_id: int, now: datetime) -> None:
        """Part of a declared incident: its own clocks pause (it stops pinging), the
        incident's clocks speak for it."""
        self._require_active("linked to an incident")
        if self.incident_id == incident_id:
            raise InvalidTransition(
                f"Ticket {self.ref} is already part of incident #{incident_id}."
            )
        if self.incident_id is not None:
            raise InvalidTransition(
                f"Ticket {self.ref} is part of incident #{self.incident_id}; unlink it first."
            )
        self.incident_id = incident_id
        self.updated_at = now
        clocks.pause(self, now)

    def leave_incident(self, now: datetime, sla: SlaSettings) -> None:
        """Unlinked: its own clocks go on where they stopped (unless it waits on the
        requester under a pausing policy)."""
        self.incident_id = None
        self.updated_at = now
        waiting = self.status is Status.WAITING
        if self.status.active and not (
            waiting and sla.policy(self.clocks.policy).pause_when_waiting
        ):
            clocks.resume(self, sla, now)

    def change_priority(self, priority: str, now: datetime, sla: SlaSettings) -> None:
        self._require_active("reprioritised")
        if priority == self.priority:
            raise InvalidTransition(f"Ticket {self.ref} already has priority {priority}.")
        self.priority = priority
        self.updated_at = now
        clocks.recompute(self, sla)

    def rate(self, score: int, now: datetime) -> None:
        if self.status not in (Status.RESOLVED, Status.CLOSED):
            raise InvalidTransition(f"Ticket {self.ref} can be rated once it is resolved.")
        self.rating = score
        self.updated_at = now

    def _responded(self, now: datetime) -> None:
        if self.first_response_at is None:
            self.first_response_at = now


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One line of a ticket's append-only history: who did what, when, from where."""

    ticket_number: int
    at: datetime
    action: str
    actor_id: int | None = None
    source: str = ""
    detail: str = ""
    id: int | None = None


class CommentKind(StrEnum):
    """Who a comment is from and who may see it."""

    REQUESTER = "requester"  # requester → agents
    PUBLIC = "public"  # agent → requester
    INTERNAL = "internal"  # agents only


@dataclass(frozen=True, slots=True)
class Comment:
    """A message on a ticket, relayed between the requester's chat and the tier's thread."""

    ticket_number: int
    at: datetime
    author_id: int | None
    kind: CommentKind
    text: str
    source: str = ""
    id: int | None = None
