"""Tickets and what happens to them: status, transitions, history and comments.

Entities are plain dataclasses so rules can be tested without a database; storage maps
them to tables. Ticket state changes go through methods that refuse illegal transitions
with :class:`~bot.errors.InvalidTransition`, so every entry point gets the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.people import ChatAddress
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


@dataclass(slots=True)
class Ticket:
    """A request for help that agents work on."""

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
    response_due_at: datetime | None = None
    resolution_due_at: datetime | None = None
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
    # SLA clocks (see bot.domain.clocks): warnings, pauses, the update clock and the tick's index
    policy: str = "default"
    response_warn_at: datetime | None = None
    resolution_warn_at: datetime | None = None
    resolution_started_at: datetime | None = None
    paused_at: datetime | None = None
    paused_seconds: int = 0
    update_due_at: datetime | None = None
    next_ping_at: datetime | None = None
    escalation: dict[str, object] | None = None  # rules copied at the first ping
    number: int | None = None

    @property
    def ref(self) -> str:
        return f"#{self.number}"

    # -- transitions -----------------------------------------------------------------------

    def _require_active(self, verb: str) -> None:
        if not self.status.active:
            raise InvalidTransition(
                f"Ticket {self.ref} is {self.status.label.lower()}; it cannot be {verb}."
            )

    def claim(self, agent_id: int, now: datetime) -> None:
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

    def assign(self, agent_id: int, now: datetime) -> None:
        self._require_active("reassigned")
        if self.assignee_id == agent_id:
            raise InvalidTransition(f"Ticket {self.ref} is already assigned to them.")
        self.assignee_id = agent_id
        if self.status is Status.OPEN:
            self.status = Status.IN_PROGRESS
        self.updated_at = now

    def agent_replied(self, now: datetime) -> None:
        if self.status in (Status.CLOSED, Status.CANCELLED):
            raise InvalidTransition(f"Ticket {self.ref} is {self.status.label.lower()}.")
        self._responded(now)
        self.updated_at = now

    def requester_replied(self, now: datetime) -> None:
        if self.status in (Status.CLOSED, Status.CANCELLED):
            raise InvalidTransition(f"Ticket {self.ref} is {self.status.label.lower()}.")
        if self.status is Status.WAITING:
            self.status = Status.IN_PROGRESS if self.assignee_id is not None else Status.OPEN
        self.updated_at = now

    @property
    def next_tier(self) -> str | None:
        """The tier after this one in the ticket's chain; None at its end."""
        if self.tier not in self.chain:
            return None
        position = self.chain.index(self.tier)
        return self.chain[position + 1] if position + 1 < len(self.chain) else None

    def escalate(self, now: datetime) -> str:
        """Move to the next tier of the ticket's chain; returns the new tier."""
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
        return self.tier

    def wait_on_requester(self, now: datetime) -> None:
        self._require_active("set to waiting")
        if self.status is Status.WAITING:
            raise InvalidTransition(f"Ticket {self.ref} is already waiting on the requester.")
        self.status = Status.WAITING
        self.updated_at = now

    def resolve(self, note: str, now: datetime) -> None:
        self._require_active("resolved")
        self.status = Status.RESOLVED
        self.resolution_note = note
        self.resolved_at = now
        self.updated_at = now

    def reopen(self, now: datetime) -> None:
        if self.status is not Status.RESOLVED:
            raise InvalidTransition(
                f"Only a resolved ticket can be reopened; {self.ref} is "
                f"{self.status.label.lower()}."
            )
        self.status = Status.IN_PROGRESS if self.assignee_id is not None else Status.OPEN
        self.resolved_at = None
        self.updated_at = now

    def close(self, now: datetime) -> None:
        if self.status in (Status.CLOSED, Status.CANCELLED):
            raise InvalidTransition(f"Ticket {self.ref} is already {self.status.label.lower()}.")
        self.status = Status.CLOSED
        self.closed_at = now
        self.updated_at = now

    def cancel(self, now: datetime) -> None:
        self._require_active("cancelled")
        self.status = Status.CANCELLED
        self.closed_at = now
        self.updated_at = now

    def change_priority(self, priority: str, now: datetime) -> None:
        self._require_active("reprioritised")
        if priority == self.priority:
            raise InvalidTransition(f"Ticket {self.ref} already has priority {priority}.")
        self.priority = priority
        self.updated_at = now

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
