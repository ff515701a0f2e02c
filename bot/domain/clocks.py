"""A ticket's clocks: response, resolution and the optional update clock.

Due and warning instants are stored in UTC on the ticket and recomputed here whenever
something that moves them happens (open, priority change, escalation with a restarting
policy, pause, resume, reopen). ``next_ping_at`` is the earliest instant the SLA tick
has to look at the ticket again; the tick finds work through that indexed column only.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain import Ticket
from bot.domain.sla import SlaSettings, Target
from bot.durations import format_duration


def target_of(ticket: Ticket, sla: SlaSettings) -> Target:
    return sla.policy(ticket.policy).targets[ticket.priority]


def recompute(ticket: Ticket, sla: SlaSettings) -> None:
    """Set due and warning instants for the clocks still running, and ``next_ping_at``."""
    if not ticket.status.active:
        ticket.next_ping_at = None
        return
    if ticket.paused_at is not None:
        ticket.next_ping_at = None  # a paused clock pings nobody
        return
    target = target_of(ticket, sla)
    calendar = sla.calendar(target.calendar)
    paused = timedelta(seconds=ticket.paused_seconds)
    warn = sla.warn_fraction
    if ticket.first_response_at is None:
        start = ticket.created_at
        ticket.response_due_at = calendar.add(start, target.response + paused)
        ticket.response_warn_at = calendar.add(start, target.response * warn + paused)
    else:
        ticket.response_warn_at = None
    start = ticket.resolution_started_at or ticket.created_at
    ticket.resolution_due_at = calendar.add(start, target.resolution + paused)
    ticket.resolution_warn_at = calendar.add(start, target.resolution * warn + paused)
    ticket.next_ping_at = min(
        (
            t
            for t in (ticket.response_warn_at, ticket.resolution_warn_at, ticket.update_due_at)
            if t is not None
        ),
        default=None,
    )


def pause(ticket: Ticket, now: datetime) -> None:
    if ticket.paused_at is None:
        ticket.paused_at = now
        ticket.next_ping_at = None


def resume(ticket: Ticket, sla: SlaSettings, now: datetime) -> None:
    """Add the business time spent waiting to the clocks and start them again."""
    if ticket.paused_at is None:
        return
    calendar = sla.calendar(target_of(ticket, sla).calendar)
    waited = calendar.elapsed(ticket.paused_at, now)
    ticket.paused_seconds += int(waited.total_seconds())
    ticket.paused_at = None
    recompute(ticket, sla)


def restart_resolution(ticket: Ticket, sla: SlaSettings, now: datetime) -> None:
    """Escalation under a restarting policy: the new tier gets the full resolution target."""
    ticket.resolution_started_at = now
    ticket.paused_seconds = 0
    recompute(ticket, sla)


def start_update_clock(ticket: Ticket, sla: SlaSettings, now: datetime) -> None:
    """After a requester's message an agent must answer within the policy's update target."""
    update = sla.policy(ticket.policy).update
    if update is None or not ticket.status.active:
        return
    calendar = sla.calendar(target_of(ticket, sla).calendar)
    if ticket.update_due_at is None:
        ticket.update_due_at = calendar.add(now, update)
        recompute(ticket, sla)


def time_left(ticket: Ticket, sla: SlaSettings, now: datetime) -> list[tuple[str, str]]:
    """(label, text) per running clock: business time left, or how long it is overdue."""
    if not ticket.status.active:
        return []
    if ticket.paused_at is not None:
        return [("SLA clocks", "paused while waiting on the requester")]
    calendar = sla.calendar(target_of(ticket, sla).calendar)
    clocks = []
    if ticket.first_response_at is None and ticket.response_due_at is not None:
        clocks.append(("Response", ticket.response_due_at))
    if ticket.resolution_due_at is not None:
        clocks.append(("Resolution", ticket.resolution_due_at))
    if ticket.update_due_at is not None:
        clocks.append(("Update", ticket.update_due_at))
    rows = []
    for label, due in clocks:
        if due <= now:
            rows.append((f"{label} time left", f"overdue by {format_duration(now - due)}"))
        else:
            left = calendar.elapsed(now, due)
            hours = "" if calendar.always else " of business time"
            rows.append((f"{label} time left", f"{format_duration(left)}{hours}"))
    return rows
