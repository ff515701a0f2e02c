"""SLA pings, acknowledgements and the daily digest as agents read them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.domain import Ticket
from bot.domain.pings import Kind, Ping
from bot.messages import Action, Button, Field, Message
from bot.settings import Settings
from bot.views.tickets import priority_label

if TYPE_CHECKING:
    from bot.domain.figures import Figures


def ping_message(settings: Settings, ticket: Ticket, ping: Ping) -> Message:
    label = priority_label(settings, ticket.priority)
    head = f"{ticket.ref} ({label}): {ping.clock}"
    if ping.kind is Kind.WARNING:
        title = f"⚠ {head} due soon"
    elif ping.kind is Kind.BREACH:
        title = f"🔥 {head} SLA breached"
    elif ping.kind is Kind.REPEAT:
        title = f"🔥 {head} SLA still breached (reminder {ping.step})"
    else:
        title = f"🔥 {head} breach not acknowledged — escalated"
    show = Button("Show", Action.SHOW, ticket.number)
    buttons: tuple[tuple[Button, ...], ...] = (
        ((show,),)
        if ping.kind is Kind.WARNING
        else ((Button("Acknowledge", Action.ACK, ticket.number), show),)
    )
    return Message(
        title=title,
        text=ticket.summary,
        fields=(
            Field("Due", ping.due),
            Field("Tier", ticket.tier),
            Field("Status", ticket.status.label),
        ),
        buttons=buttons,
    )


def acknowledged(ticket: Ticket, by: str) -> Message:
    return Message(text=f"{by} acknowledged the breach of {ticket.ref}; reminders stop.")


def you_acknowledged(ticket: Ticket) -> Message:
    return Message(text=f"Acknowledged {ticket.ref}; reminders stop.")


def digest(
    settings: Settings,
    tier: str,
    open_by_priority: Mapping[str, int],
    breaches: int,
    on_call: str | None,
    yesterday: Figures | None = None,
    incidents: str = "",
) -> Message:
    """A tier's morning digest: what is open, what breached, who is on call, and how the
    whole desk did yesterday (SLA compliance, breaches, problems solved by an article)."""
    counts = ", ".join(
        f"{lv.name}: {open_by_priority.get(lv.name, 0)}" for lv in settings.priority.levels
    )
    fields = [
        Field("Open tickets", f"{sum(open_by_priority.values())} ({counts})"),
        Field("Breaches in the last day", str(breaches)),
        Field("On call now", on_call or "nobody"),
    ]
    if incidents:
        fields.append(Field("Major incidents", incidents))
    if yesterday is not None:
        met = (
            f"response {_pct(yesterday.response_met)}, resolution "
            f"{_pct(yesterday.resolution_met)}, update {_pct(yesterday.update_met)}"
        )
        fields += [
            Field("Yesterday's SLA met", met),
            Field("Yesterday's breaches (desk)", str(yesterday.breaches)),
            Field("Yesterday's self-service", _pct(yesterday.deflection)),
        ]
    return Message(title=f"Daily digest for {tier}", fields=tuple(fields))


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}%"
