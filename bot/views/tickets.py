"""Tickets as people see them: cards, details, lists and the notices about them. Pure."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from bot.domain import (
    Comment,
    CommentKind,
    HistoryEntry,
    Precedent,
    Status,
    Ticket,
    clocks,
    pings,
)
from bot.domain.sla import SlaSettings
from bot.durations import format_duration, format_instant
from bot.knowledge import Article
from bot.messages import Action, Button, Field, Message
from bot.settings import Settings

SUMMARY_LENGTH = 120


def summary_of(description: str) -> str:
    """A one-line summary: the first non-empty line, shortened at a word boundary."""
    line = next((ln.strip() for ln in description.splitlines() if ln.strip()), "")
    if len(line) <= SUMMARY_LENGTH:
        return line
    cut = line[:SUMMARY_LENGTH].rsplit(" ", 1)[0] or line[:SUMMARY_LENGTH]
    return cut.rstrip(" ,.;:") + "…"


def priority_label(settings: Settings, priority: str) -> str:
    try:
        return f"{priority} {settings.priority.level(priority).label}"
    except KeyError:
        return priority


def urgency_label(settings: Settings, urgency: str) -> str:
    return next((c.label for c in settings.priority.urgencies if c.key == urgency), urgency)


def _choice_label(choices: Sequence[object], key: str) -> str:
    return next((c.label for c in choices if getattr(c, "key", None) == key), key)  # type: ignore[attr-defined]


def ticket_fields(
    ticket: Ticket,
    settings: Settings,
    names: Mapping[int, str],
    *,
    for_agents: bool,
    priority: bool = True,
) -> tuple[Field, ...]:
    """The ticket's facts as labelled fields; ``priority=False`` where the title has it."""
    fields = [Field("Priority", priority_label(settings, ticket.priority))] if priority else []
    fields += [
        Field("Urgency", urgency_label(settings, ticket.urgency)),
        Field("Status", ticket.status.label),
        Field("Tier", ticket.tier),
    ]
    if for_agents:
        fields.append(Field("Requester", names.get(ticket.requester_id, "?")))
        fields.append(Field("Impact", _choice_label(settings.priority.impacts, ticket.impact)))
        fields.append(Field("Can work", _choice_label(settings.priority.can_work, ticket.can_work)))
    if ticket.assignee_id is not None:
        fields.append(Field("Assignee", names.get(ticket.assignee_id, "?")))
    if ticket.category:
        fields.append(Field("Category", _category_label(settings, ticket.category)))
    if ticket.incident_id is not None and ticket.status.active:
        fields.append(Field("Incident", f"#{ticket.incident_id} (its clocks wait on it)"))
    if ticket.version:
        supported = {True: "", False: " (out of support)", None: " (unknown version)"}
        fields.append(
            Field(
                "Version",
                f"{product_name(settings, ticket.product)} {ticket.version}".strip()
                + supported[ticket.version_supported],
            )
        )
    if ticket.status.active:
        clocks = ticket.clocks
        if ticket.first_response_at is None and clocks.response_due_at is not None:
            fields.append(Field("Response due", clocks.response_due_at))
        if clocks.resolution_due_at is not None:
            fields.append(Field("Resolution due", clocks.resolution_due_at))
    if ticket.resolution_note and ticket.status in (Status.RESOLVED, Status.CLOSED):
        fields.append(Field("Resolution", ticket.resolution_note))
    return tuple(fields)


def product_name(settings: Settings, key: str | None) -> str:
    """A product as people call it ("Acme ERP"), not its config key ("acme-erp")."""
    if not key:
        return ""
    try:
        return settings.product(key).name
    except KeyError:
        return key


def _category_label(settings: Settings, key: str) -> str:
    try:
        return settings.category(key).label
    except KeyError:
        return key


SEND_LABEL = 40  # characters of an article's title on a "Send to requester" button
PRECEDENT_TEXT = 120  # characters of a similar ticket's summary, and of its resolution


def ticket_card(
    ticket: Ticket,
    settings: Settings,
    names: Mapping[int, str],
    *,
    tier: str,
    details: str,
    articles: Sequence[Article] = (),
    precedents: Sequence[Precedent] = (),
) -> Message:
    """The card in a tier's channel, showing the ticket as it is now. The title carries the
    priority, so the fields do not repeat it; a tier the ticket has left gets
    :func:`left_card`. ``articles``: the knowledge base's best answers to the ticket, each a
    one-click "send this to the requester" while the ticket is open; ``precedents``:
    resolved tickets like it, with what resolved them."""
    if tier != ticket.tier:
        return left_card(ticket, names, details=details)
    if ticket.incident_id is not None and ticket.status.active:
        return part_of_incident_card(ticket, names, details=details)
    title = f"{ticket.ref} · {priority_label(settings, ticket.priority)} · {ticket.summary}"
    buttons: tuple[tuple[Button, ...], ...] = ()
    if ticket.status.active:
        row = []
        if ticket.assignee_id is None:
            row.append(Button("Claim", Action.CLAIM, ticket.number))
        row.append(Button("Reply", Action.REPLY, ticket.number))
        if ticket.next_tier is not None:
            row.append(Button("Escalate", Action.ESCALATE, ticket.number))
        row.append(Button("Resolve", Action.RESOLVE, ticket.number))
        second = [Button("Change priority", Action.PRIORITY, ticket.number)]
        if ticket.status is not Status.WAITING:
            second.append(Button("Waiting on requester", Action.WAITING, ticket.number))
        buttons = (tuple(row), tuple(second), *send_buttons(ticket.number, articles))
    fields = ticket_fields(ticket, settings, names, for_agents=True, priority=False)
    if precedents and ticket.status.active:
        fields = (*fields, Field("Similar resolved tickets", _precedents(precedents)))
    return Message(
        title=title,
        fields=fields,
        quote=details,
        quote_author=names.get(ticket.requester_id, ""),
        buttons=buttons,
    )


def _precedents(precedents: Sequence[Precedent]) -> str:
    return "\n".join(
        f"#{p.number} {shorten(p.summary, PRECEDENT_TEXT)}: {shorten(p.note, PRECEDENT_TEXT)}"
        for p in precedents
    )


def send_buttons(number: int | None, articles: Sequence[Article]) -> tuple[tuple[Button, ...], ...]:
    """A card's one-click answers: each suggested article, sent to the requester."""
    return tuple(
        (Button(f"Send to requester: {a.title[:SEND_LABEL]}", Action.ANSWER, number, a.id),)
        for a in articles
    )


def left_card(ticket: Ticket, names: Mapping[int, str], *, details: str) -> Message:
    """The card in a tier the ticket was escalated away from: where it went, and only facts
    that cannot go stale there (no status, due times or buttons of a tier that no longer
    holds it; the card is not refreshed once the ticket has moved on)."""
    return _collapsed(ticket, names, details, f"Escalated to {ticket.tier}.")


def part_of_incident_card(ticket: Ticket, names: Mapping[int, str], *, details: str) -> Message:
    """A linked ticket's card, collapsed into its incident: the incident speaks for it."""
    reply = ((Button("Reply", Action.REPLY, ticket.number),),)
    return _collapsed(ticket, names, details, f"Part of incident #{ticket.incident_id}.", reply)


def _collapsed(
    ticket: Ticket,
    names: Mapping[int, str],
    details: str,
    text: str,
    buttons: tuple[tuple[Button, ...], ...] = (),
) -> Message:
    """A card that only says where the work is now: who asked, what, and ``text``."""
    requester = names.get(ticket.requester_id, "")
    return Message(
        title=f"{ticket.ref} · {ticket.summary}",
        text=text,
        fields=(Field("Requester", requester or "?"),),
        quote=details,
        quote_author=requester,
        buttons=buttons,
    )


def ticket_opened(ticket: Ticket, settings: Settings, notice: str) -> Message:
    text = (
        f"Thanks — I opened ticket {ticket.ref} and passed it to {ticket.tier}. "
        "Agent replies will appear here; just write here to add information."
    )
    if notice:
        text += "\n" + notice
    return Message(
        title=f"Ticket {ticket.ref}: {ticket.summary}",
        text=text,
        fields=ticket_fields(ticket, settings, {}, for_agents=False),
    )


def resolved_for_requester(ticket: Ticket, agent: str, also: Sequence[Ticket] = ()) -> Message:
    """The satisfaction question: Yes closes (and offers a rating), No reopens. ``also`` are
    the requester's other tickets resolved with it (an incident's), asked about only here."""
    fields = [Field("Resolution", ticket.resolution_note)] if ticket.resolution_note else []
    if also:
        fields.append(Field("Also resolved", ", ".join(t.ref for t in also)))
    return Message(
        title=f"Ticket {ticket.ref} is resolved",
        text=f"{agent} marked it resolved. Did this solve it?",
        fields=tuple(fields),
        buttons=(
            (
                Button("Yes, solved", Action.CLOSE, ticket.number),
                Button("No, reopen", Action.REOPEN, ticket.number),
            ),
        ),
    )


def rating_offer(ticket: Ticket) -> Message:
    return Message(
        text=f"Glad {ticket.ref} is sorted. How did we do? (1 = poor, 5 = great)",
        buttons=(_stars(ticket),),
    )


def _stars(ticket: Ticket) -> tuple[Button, ...]:
    return tuple(Button("★" * n, Action.RATE, ticket.number, str(n)) for n in range(1, 6))


def closed_unanswered(ticket: Ticket, wait: timedelta) -> Message:
    return Message(
        text=f"I closed {ticket.ref}: it was resolved {format_duration(wait)} ago and I heard "
        "nothing back. If it is still broken, write to me and I'll open a new ticket. "
        "How did we do?",
        buttons=(_stars(ticket),),
    )


def closed_unanswered_for_agents(ticket: Ticket, wait: timedelta) -> Message:
    return Message(
        text=f"{ticket.ref} closed by itself: no answer from the requester "
        f"{format_duration(wait)} after it was resolved."
    )


def reopened_for_agents(ticket: Ticket, reason: str) -> Message:
    """The requester said it is not solved: back with whoever had it."""
    return Message(
        text=f"The requester says {ticket.ref} is not solved; it is back "
        f"({ticket.status.label.lower()}).",
        quote=reason,
    )


def ticket_detail(
    ticket: Ticket,
    settings: Settings,
    names: Mapping[int, str],
    history: Sequence[HistoryEntry],
    comments: Sequence[Comment],
    *,
    for_agents: bool,
    extra: tuple[Field, ...] = (),
    zone: str = "UTC",
) -> Message:
    """A ticket with its history, each line's time in the reader's ``zone``."""
    timeline: list[tuple[datetime, int, str]] = []
    for entry in history:
        who = names.get(entry.actor_id, "desk") if entry.actor_id is not None else "desk"
        detail = f": {entry.detail}" if entry.detail else ""
        timeline.append(
            (entry.at, 0, f"{format_instant(entry.at, zone)}  {who} {entry.action}{detail}")
        )
    for comment in comments:
        if comment.kind is CommentKind.INTERNAL and not for_agents:
            continue
        who = names.get(comment.author_id, "?") if comment.author_id is not None else "?"
        tag = " (internal)" if comment.kind is CommentKind.INTERNAL else ""
        timeline.append(
            (comment.at, 1, f"{format_instant(comment.at, zone)}  {who}{tag}: {comment.text}")
        )
    lines = [line for _, _, line in sorted(timeline, key=lambda x: (x[0], x[1]))]
    return Message(
        title=f"{ticket.ref} · {ticket.summary}",
        fields=ticket_fields(ticket, settings, names, for_agents=for_agents) + extra,
        text="\n".join(lines),
    )


def ticket_list(title: str, tickets: Sequence[Ticket], settings: Settings, empty: str) -> Message:
    if not tickets:
        return Message(title=title, text=empty)
    lines = [
        f"{t.ref}  {t.priority}  {urgency_label(settings, t.urgency):<12} {t.status.label:<20} "
        f"{t.tier:<4} {t.summary}"
        for t in tickets
    ]
    return Message(title=title, text="\n".join(lines))


def queue_order(settings: Settings) -> Callable[[Ticket], tuple[int, int, str]]:
    """Sort key for queues: priority, then perceived urgency, then the nearest due time."""
    far = "9999"

    def key(ticket: Ticket) -> tuple[int, int, str]:
        due = ticket.clocks.resolution_due_at
        return (
            settings.priority.rank(ticket.priority),
            settings.priority.urgency_rank(ticket.urgency),
            due.isoformat() if due else far,
        )

    return key


# -- what people are told as a ticket changes ---------------------------------------------

MAX_TEXT = 20_000  # longer comments are kept whole in history but relayed shortened
CARD_TEXT = 1500  # the problem as a card shows it; a longer one says where the rest is
_REQUESTER_DID = {"closed": "closed it", "cancelled": "withdrew it", "reopened": "reopened it"}


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def counted(count: int, noun: str) -> str:
    """``3 tickets``, ``1 ticket``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def card_text(text: str, number: int) -> str:
    """The requester's opening words as a card shows them, saying where the rest is."""
    if len(text) <= CARD_TEXT:
        return text
    shown = text[: CARD_TEXT - 1].rstrip()
    return f"{shown}… [{len(text) - len(shown):,} more characters: /show {number}]"


def opened_history(settings: Settings, ticket: Ticket) -> str:
    return (
        f"{priority_label(settings, ticket.priority)}, "
        f"urgency {urgency_label(settings, ticket.urgency)}"
    )


def requester_wrote(ticket: Ticket, text: str, author: str) -> Message:
    return Message(
        title=f"{ticket.ref}: requester wrote", quote=shorten(text, MAX_TEXT), quote_author=author
    )


def added_to(ticket: Ticket) -> Message:
    return Message(text=f"Added to {ticket.ref}. (For a new problem, send /new.)")


def requester_changed(ticket: Ticket, action: str) -> Message:
    return Message(text=f"The requester {_REQUESTER_DID[action]}: {ticket.ref}.")


def status_now(ticket: Ticket) -> Message:
    return Message(text=f"Ticket {ticket.ref} is now {ticket.status.label.lower()}.")


def rated(ticket: Ticket, score: int) -> Message:
    return Message(text=f"The requester rated {ticket.ref} {score}/5.")


def thanks_for_rating(ticket: Ticket) -> Message:
    return Message(text=f"Thanks for rating {ticket.ref}.")


def my_tickets(tickets: Sequence[Ticket], settings: Settings) -> Message:
    return ticket_list("Your tickets", tickets, settings, "You have no tickets.")


def queue(tiers: Sequence[str], tickets: Sequence[Ticket], settings: Settings) -> Message:
    title = f"Queue {', '.join(tiers)}: {len(tickets)} open"
    return ticket_list(title, tickets, settings, "Nothing open. 🎉")


def clock_fields(ticket: Ticket, sla: SlaSettings, now: datetime) -> tuple[Field, ...]:
    """Each running clock: business time left, or how long it is overdue."""
    if not ticket.status.active:
        return ()
    if ticket.clocks.paused_at is not None:
        return (Field("SLA clocks", "paused while waiting on the requester"),)
    calendar = sla.calendar(clocks.target_of(ticket, sla).calendar)
    fields = []
    for clock, _, due in pings.running_clocks(ticket):
        label = clock.capitalize()
        if due <= now:
            fields.append(Field(f"{label} time left", f"overdue by {format_duration(now - due)}"))
        else:
            hours = "" if calendar.always else " of business time"
            left = format_duration(calendar.elapsed(now, due))
            fields.append(Field(f"{label} time left", f"{left}{hours}"))
    return tuple(fields)


def claimed_for_agents(ticket: Ticket, agent: str) -> Message:
    return Message(text=f"{agent} claimed {ticket.ref}.")


def claimed_by_another(ticket: Ticket, agent: str) -> str:
    """The refusal of a claim that came second (two agents pressing Claim at once)."""
    return f"Ticket {ticket.ref} is already claimed by {agent}; ask a lead to reassign it."


def claimed_for_requester(ticket: Ticket, agent: str) -> Message:
    return Message(text=f"{agent} is now working on {ticket.ref} ({ticket.summary}).")


def you_claimed(ticket: Ticket) -> Message:
    return Message(text=f"You claimed {ticket.ref}.")


def internal_note(text: str, author: str) -> Message:
    return Message(title="Internal note", quote=text, quote_author=author)


def reply_for_requester(ticket: Ticket, text: str, agent: str) -> Message:
    return Message(
        title=f"Reply on {ticket.ref}",
        quote=shorten(text, MAX_TEXT),
        quote_author=agent,
        text="Write here to answer.",
    )


def replied_for_agents(text: str, agent: str) -> Message:
    return Message(text=f"{agent} replied to the requester.", quote=shorten(text, 500))


def reply_became(number: int, internal: bool) -> Message:
    """What an agent's /reply became, told to them."""
    if internal:
        return Message(text=f"Internal note added to #{number}.")
    return Message(text=f"Sent to the requester of #{number}.")


def now_with(ticket: Ticket) -> Message:
    return Message(text=f"{ticket.ref} is now with {ticket.tier}.")


def escalated_for_agents(old_tier: str, by: str, reason: str) -> Message:
    return Message(title=f"Escalated from {old_tier} by {by or 'the desk'}", quote=reason)


def escalated_for_requester(ticket: Ticket, tier_label: str) -> Message:
    return Message(text=f"{ticket.ref} was passed to {tier_label} for a closer look.")


def you_resolved(ticket: Ticket) -> Message:
    return Message(text=f"{ticket.ref} is resolved; the requester was told.")


def needs_your_answer(ticket: Ticket, need: str, agent: str) -> Message:
    return Message(
        title=f"{agent} needs your answer on {ticket.ref}",
        quote=shorten(need, MAX_TEXT),
        quote_author=agent,
        text="Write here to reply.",
    )


def now_waiting(ticket: Ticket) -> Message:
    return Message(text=f"{ticket.ref} is waiting on the requester.")


def priority_changed(settings: Settings, ticket: Ticket, old: str) -> Message:
    new = priority_label(settings, ticket.priority)
    return Message(text=f"{ticket.ref} priority changed from {old} to {new}.")


def now_priority(ticket: Ticket) -> Message:
    return Message(text=f"{ticket.ref} is now {ticket.priority}.")


def priority_choices(settings: Settings, ticket: Ticket) -> Message:
    buttons = tuple(
        Button(f"{lv.name} {lv.label}", Action.PRIORITY, ticket.number, lv.name)
        for lv in settings.priority.levels
        if lv.name != ticket.priority
    )
    return Message(text=f"New priority for {ticket.ref}?", buttons=(buttons,))


def reassigned(ticket: Ticket, by: str, to: str) -> Message:
    return Message(text=f"{by} gave {ticket.ref} to {to}.")


def assigned_to_you(ticket: Ticket, by: str) -> Message:
    return Message(text=f"{by} assigned {ticket.ref} to you: {ticket.summary}")


def you_reassigned(ticket: Ticket) -> Message:
    return Message(text=f"{ticket.ref} reassigned.")


def ticket_record(ticket: Ticket, names: Mapping[int, str]) -> dict[str, object]:
    """A ticket as scripts read it (``tierdesk tickets --json``): instants in ISO-8601 UTC."""

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "number": ticket.number,
        "summary": ticket.summary,
        "priority": ticket.priority,
        "urgency": ticket.urgency,
        "status": ticket.status.value,
        "tier": ticket.tier,
        "category": ticket.category,
        "product": ticket.product,
        "version": ticket.version,
        "requester": names.get(ticket.requester_id),
        "assignee": names.get(ticket.assignee_id) if ticket.assignee_id else None,
        "created_at": iso(ticket.created_at),
        "response_due_at": iso(ticket.clocks.response_due_at),
        "resolution_due_at": iso(ticket.clocks.resolution_due_at),
        "first_response_at": iso(ticket.first_response_at),
        "resolved_at": iso(ticket.resolved_at),
    }
