"""SLA pings, acknowledgements and the daily digest as agents read them."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain import Ticket
from bot.domain.pings import Kind, Ping
from bot.messages import Action, Button, Field, Message
from bot.settings import Settings
from bot.views.tickets import priority_label


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
) -> Message:
    """A tier's morning digest: what is open, what breached, who is on call."""
    counts = ", ".join(
        f"{lv.name}: {open_by_priority.get(lv.name, 0)}" for lv in settings.priority.levels
    )
    return Message(
        title=f"Daily digest for {tier}",
        fields=(
            Field("Open tickets", f"{sum(open_by_priority.values())} ({counts})"),
            Field("Breaches in the last day", str(breaches)),
            Field("On call now", on_call or "nobody"),
        ),
    )
