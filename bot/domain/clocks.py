"""A ticket's SLA clocks: response, resolution and the optional update clock.

The clocks are a value on the ticket (:class:`Clocks`) that only the ticket's transitions
change: opening starts them, a first response stops the response clock, waiting on the
requester and resolving pause them, a reply or a reopen resumes them, closing stops them,
a new priority moves their targets. Due and warning instants are stored in UTC and
recomputed here; ``next_ping_at`` is the earliest instant the SLA tick has to look at the
ticket again, and the tick finds work through that indexed column only.

The escalation rules (repeat interval, acknowledgement timeout, chain of steps) are copied
onto the clocks when they start (:class:`Escalation`), so a later edit of the configuration
does not change how a running clock escalates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from bot.domain.sla import DEFAULT_POLICY, SlaSettings, Step, Target


@dataclass(frozen=True, slots=True)
class Escalation:
    """How a breach nobody acknowledges is repeated and escalated, fixed at clock start."""

    repeat_every: timedelta
    ack_timeout: timedelta
    chain: tuple[Step, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "repeat_every": int(self.repeat_every.total_seconds()),
            "ack_timeout": int(self.ack_timeout.total_seconds()),
            "chain": [s.value for s in self.chain],
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Escalation:
        chain = data.get("chain", [])
        return cls(
            timedelta(seconds=int(str(data["repeat_every"]))),
            timedelta(seconds=int(str(data["ack_timeout"]))),
            tuple(Step(str(s)) for s in chain) if isinstance(chain, list) else (),
        )

    @classmethod
    def current(cls, sla: SlaSettings, policy: str) -> Escalation:
        """The rules the configuration gives now."""
        return cls(sla.repeat_every, sla.ack_timeout, sla.policy(policy).chain)


@dataclass(slots=True)
class Clocks:
    """Where a ticket's clocks stand. ``paused_seconds`` is business time spent paused."""

    policy: str = DEFAULT_POLICY
    response_due_at: datetime | None = None
    response_warn_at: datetime | None = None
    resolution_due_at: datetime | None = None
    resolution_warn_at: datetime | None = None
    resolution_started_at: datetime | None = None
    paused_at: datetime | None = None
    paused_seconds: int = 0
    update_due_at: datetime | None = None
    next_ping_at: datetime | None = None
    escalation: Escalation | None = None

    def escalation_rules(self, sla: SlaSettings) -> Escalation:
        """The rules copied at start; a ticket stored before they were copied gets today's."""
        return self.escalation or Escalation.current(sla, self.policy)


class Running(Protocol):
    """What the clocks read from the ticket they run for (a :class:`~bot.domain.Ticket`)."""

    @property
    def active(self) -> bool: ...

    priority: str
    category: str | None
    created_at: datetime
    first_response_at: datetime | None
    clocks: Clocks


@dataclass(slots=True)
class _Sketch:
    """A ticket about to be opened, as much of it as the clocks read."""

    priority: str
    category: str | None
    created_at: datetime
    first_response_at: datetime | None = None
    clocks: Clocks = field(default_factory=Clocks)

    @property
    def active(self) -> bool:
        return True


def if_opened(sla: SlaSettings, priority: str, category: str | None, at: datetime) -> Clocks:
    """The clocks a ticket of ``priority`` and ``category`` opened at ``at`` would get:
    what ``tierdesk sla due`` answers, by the rules every ticket is opened with."""
    sketch = _Sketch(priority, category, at)
    start(sketch, sla)
    return sketch.clocks


def target_of(ticket: Running, sla: SlaSettings) -> Target:
    return sla.policy(ticket.clocks.policy).targets[ticket.priority]


def start(ticket: Running, sla: SlaSettings) -> None:
    """A new ticket: its category's policy, that policy's escalation rules, the due times."""
    policy = sla.policy_for(ticket.category)
    ticket.clocks.policy = policy.name
    ticket.clocks.escalation = Escalation.current(sla, policy.name)
    recompute(ticket, sla)


def recompute(ticket: Running, sla: SlaSettings) -> None:
    """Set due and warning instants for the clocks still running, and ``next_ping_at``."""
    clocks = ticket.clocks
    if not ticket.active or clocks.paused_at is not None:
        clocks.next_ping_at = None  # a stopped or paused clock pings nobody
        return
    target = target_of(ticket, sla)
    calendar = sla.calendar(target.calendar)
    paused = timedelta(seconds=clocks.paused_seconds)
    warn = sla.warn_fraction
    if ticket.first_response_at is None:
        begin = ticket.created_at
        clocks.response_due_at = calendar.add(begin, target.response + paused)
        clocks.response_warn_at = calendar.add(begin, target.response * warn + paused)
    else:
        clocks.response_warn_at = None
    begin = clocks.resolution_started_at or ticket.created_at
    clocks.resolution_due_at = calendar.add(begin, target.resolution + paused)
    clocks.resolution_warn_at = calendar.add(begin, target.resolution * warn + paused)
    clocks.next_ping_at = min(
        (
            t
            for t in (clocks.response_warn_at, clocks.resolution_warn_at, clocks.update_due_at)
            if t is not None
        ),
        default=None,
    )


def pause(ticket: Running, now: datetime) -> None:
    if ticket.clocks.paused_at is None:
        ticket.clocks.paused_at = now
        ticket.clocks.next_ping_at = None


def resume(ticket: Running, sla: SlaSettings, now: datetime) -> None:
    """Add the business time spent paused to the clocks and start them again."""
    clocks = ticket.clocks
    if clocks.paused_at is None:
        return
    calendar = sla.calendar(target_of(ticket, sla).calendar)
    clocks.paused_seconds += int(calendar.elapsed(clocks.paused_at, now).total_seconds())
    clocks.paused_at = None
    recompute(ticket, sla)


def restart_resolution(ticket: Running, sla: SlaSettings, now: datetime) -> None:
    """The resolution clock starts over (a restarting policy's escalation): the full target,
    and the escalation rules of the configuration as it is now."""
    clocks = ticket.clocks
    clocks.resolution_started_at = now
    clocks.paused_seconds = 0
    clocks.escalation = Escalation.current(sla, clocks.policy)
    recompute(ticket, sla)


def start_update_clock(ticket: Running, sla: SlaSettings, now: datetime) -> None:
    """After a requester's message an agent must answer within the policy's update target."""
    update = sla.policy(ticket.clocks.policy).update
    if update is None or not ticket.active or ticket.clocks.update_due_at is not None:
        return
    calendar = sla.calendar(target_of(ticket, sla).calendar)
    ticket.clocks.update_due_at = calendar.add(now, update)
    recompute(ticket, sla)


def stop_update_clock(ticket: Running, sla: SlaSettings) -> None:
    """An agent answered the requester."""
    ticket.clocks.update_due_at = None
    recompute(ticket, sla)
