"""Which pings a ticket owes at instant *t*: a pure function of the ticket, its policy
and the stages already recorded.

Every stage has a key unique per ticket (``resolution:1767261600:breach``,
``…:repeat:3``, ``…:esc:1``, ``…:ack``); the tick records a key before sending, so a
stage goes out exactly once even across restarts and overlapping ticks. After downtime
only the latest stage of each kind is owed (one breach, the current repeat, the current
escalation step), so missed ticks are caught up once, never replayed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.clocks import Running, target_of
from bot.domain.sla import Quiet, SlaSettings


class Kind(StrEnum):
    WARNING = "warn"
    BREACH = "breach"
    REPEAT = "repeat"
    ESCALATION = "esc"


@dataclass(frozen=True, slots=True)
class Ping:
    key: str
    clock: str  # "response", "resolution" or "update"
    kind: Kind
    due: datetime
    step: int = 0  # the repeat count or escalation step
    quiet: bool = False  # the calendar is closed: page the on-call person only


@dataclass(frozen=True, slots=True)
class Plan:
    pings: tuple[Ping, ...]
    next_at: datetime | None


def clock_key(clock: str, due: datetime) -> str:
    return f"{clock}:{int(due.timestamp())}"


def running_clocks(ticket: Running) -> list[tuple[str, datetime | None, datetime]]:
    """(clock, warning instant, due instant) of each clock that is running (of a ticket
    or an incident: both run the same clocks)."""
    clocks = ticket.clocks
    if not ticket.active or clocks.paused_at is not None:
        return []
    running: list[tuple[str, datetime | None, datetime]] = []
    if ticket.first_response_at is None and clocks.response_due_at is not None:
        running.append(("response", clocks.response_warn_at, clocks.response_due_at))
    if clocks.resolution_due_at is not None:
        running.append(("resolution", clocks.resolution_warn_at, clocks.resolution_due_at))
    if clocks.update_due_at is not None:
        running.append(("update", None, clocks.update_due_at))
    return running


def breached_clocks(ticket: Running, now: datetime) -> list[str]:
    """Keys of the clocks past their due time (what an acknowledgement covers)."""
    return [clock_key(c, due) for c, _, due in running_clocks(ticket) if due <= now]


def plan(ticket: Running, sla: SlaSettings, now: datetime, done: Mapping[str, datetime]) -> Plan:
    """The pings owed at ``now`` (not yet in ``done``, stage key → when it was recorded)
    and when to look at the ticket again."""
    target = target_of(ticket, sla)
    calendar = sla.calendar(target.calendar)
    rules = ticket.clocks.escalation_rules(sla)
    pings: list[Ping] = []
    upcoming: list[datetime] = []
    for clock, warn_at, due in running_clocks(ticket):
        base = clock_key(clock, due)
        if now < due:
            if warn_at is not None and now < warn_at:
                upcoming.append(warn_at)
                continue
            if warn_at is not None and f"{base}:warn" not in done:
                pings.append(Ping(f"{base}:warn", clock, Kind.WARNING, due))
            upcoming.append(due)
            continue
        breach = f"{base}:breach"
        if breach not in done:
            # people hear of a breach once; repeats and escalation count from that moment
            pings.append(Ping(breach, clock, Kind.BREACH, due))
            upcoming.append(now + min(rules.repeat_every, rules.ack_timeout))
            continue
        if f"{base}:ack" in done:
            continue
        late = now - done[breach]
        repeats = int(late / rules.repeat_every)
        if repeats >= 1 and f"{base}:repeat:{repeats}" not in done:
            pings.append(Ping(f"{base}:repeat:{repeats}", clock, Kind.REPEAT, due, repeats))
        upcoming.append(done[breach] + rules.repeat_every * (repeats + 1))
        steps = min(int(late / rules.ack_timeout), len(rules.chain))
        if steps >= 1 and f"{base}:esc:{steps}" not in done:
            pings.append(Ping(f"{base}:esc:{steps}", clock, Kind.ESCALATION, due, steps))
        if steps < len(rules.chain):
            upcoming.append(done[breach] + rules.ack_timeout * (steps + 1))
    if pings and not calendar.is_open(now):
        if target.quiet is Quiet.HOLD:
            # nobody is woken for this priority: the pings wait for the calendar to open
            return Plan((), calendar.next_opening(now))
        pings = [
            Ping(p.key, p.clock, p.kind, p.due, p.step, quiet=True)
            for p in pings
            if p.kind is not Kind.WARNING
        ]
    return Plan(tuple(pings), min(upcoming, default=None))
