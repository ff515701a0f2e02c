"""Incidents as people see them: the proposal and incident cards, what requesters hear,
pages, updates and the list. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.domain import Ticket
from bot.domain.incidents import Incident, IncidentStatus
from bot.domain.pings import Kind, Ping
from bot.durations import format_duration
from bot.messages import Action, Button, Field, Message
from bot.settings import Settings
from bot.views.tickets import counted, priority_label, shorten

LISTED = 10  # tickets named on an incident's card; the rest are counted


def _span(tickets: Sequence[Ticket]) -> str:
    """How long the reports took to come in: "in 12 minutes"."""
    if len(tickets) < 2:
        return ""
    times = [t.created_at for t in tickets]
    minutes = max(1, round((max(times) - min(times)).total_seconds() / 60))
    return f" in {counted(minutes, 'minute')}"


def _ticket_lines(tickets: Sequence[Ticket], names: Mapping[int, str]) -> str:
    lines = [
        f"{t.ref} · {names.get(t.requester_id, '?')} · {shorten(t.summary, 80)}"
        for t in tickets[:LISTED]
    ]
    if len(tickets) > LISTED:
        lines.append(f"… and {len(tickets) - LISTED} more")
    return "\n".join(lines)


def incident_card(
    incident: Incident,
    settings: Settings,
    tickets: Sequence[Ticket],
    names: Mapping[int, str],
) -> Message:
    """The incident's card in its tier's channel, as it is now: a proposal with *Declare
    incident* / *Not related*, then the declared incident with its clocks, then its end."""
    count = len(tickets)
    listed = _ticket_lines(tickets, names)
    reports = counted(count, "report")
    if incident.status is IncidentStatus.PROPOSED:
        return Message(
            title=f'Possible incident: {reports} of "{incident.title}"{_span(tickets)}',
            text=listed
            or f"No tickets linked yet: /incident link {incident.id} N, then declare it.",
            buttons=(
                (
                    Button("Declare incident", Action.DECLARE, incident.id),
                    Button("Not related", Action.UNRELATED, incident.id),
                ),
            ),
        )
    if incident.status is IncidentStatus.DISMISSED:
        return Message(
            title=f"Not an incident: {incident.title}",
            text=f"Marked not related; these {reports} are handled one by one.",
        )
    fields = [
        Field("Priority", priority_label(settings, incident.priority)),
        Field("Status", incident.status.label),
        Field("Commander", names.get(incident.commander_id, "?") if incident.commander_id else "—"),
        Field("Tickets", str(count)),
    ]
    clocks = incident.clocks
    if incident.active:
        if incident.first_response_at is None and clocks.response_due_at is not None:
            fields.append(Field("Response due", clocks.response_due_at))
        if clocks.resolution_due_at is not None:
            fields.append(Field("Resolution due", clocks.resolution_due_at))
    if incident.resolution_note:
        fields.append(Field("Resolution", incident.resolution_note))
    return Message(
        title=f"Incident {incident.ref} · {priority_label(settings, incident.priority)} · "
        f"{incident.title}",
        text=listed,
        fields=tuple(fields),
        buttons=_take_command(incident),
    )


def _take_command(incident: Incident) -> tuple[tuple[Button, ...], ...]:
    """The one-press answer to a page or a ping while nobody commands a declared incident."""
    if incident.active and incident.commander_id is None:
        return ((Button("Take command", Action.COMMAND, incident.id),),)
    return ()


def known_problem(incident: Incident) -> Message:
    return Message(
        text=f"This is a known problem, we are on it (incident {incident.ref}); "
        "you will hear from us here."
    )


def incident_update(incident: Incident, text: str, author: str) -> Message:
    """A status update, for every linked requester and the incident's thread."""
    return Message(
        title=f"Update on incident {incident.ref}: {incident.title}",
        quote=text,
        quote_author=author,
    )


def incident_page(settings: Settings, incident: Incident, count: int) -> Message:
    return Message(
        title=f"Major incident {incident.ref} · {priority_label(settings, incident.priority)}",
        text=f"{incident.title}: {counted(count, 'ticket')} so far. "
        f"Take command with /incident command {incident.id}.",
        buttons=_take_command(incident),
    )


def incident_ping(settings: Settings, incident: Incident, ping: Ping) -> Message:
    what = {
        Kind.WARNING: "is close to its",
        Kind.BREACH: "breached its",
        Kind.REPEAT: "still breaches its",
        Kind.ESCALATION: "still breaches its",
    }[ping.kind]
    text = f"{incident.title} ({priority_label(settings, incident.priority)})."
    if ping.kind is Kind.ESCALATION and incident.commander_id is None:
        text += f" Nobody has taken command: /incident command {incident.id}."
    return Message(
        title=f"Incident {incident.ref} {what} {ping.clock} target",
        text=text,
        fields=(Field("Due", ping.due),),
        buttons=_take_command(incident),
    )


def incident_declared(incident: Incident, by: str, count: int) -> Message:
    return Message(
        text=f"{by or 'The desk'} declared incident {incident.ref} ({incident.priority}); "
        f"{counted(count, 'ticket')} now wait on it."
    )


def incident_dismissed(incident: Incident, by: str) -> Message:
    return Message(text=f"{by} marked incident {incident.ref} not related.")


def incident_commander(incident: Incident, name: str) -> Message:
    return Message(text=f"{name} is now the commander of incident {incident.ref}.")


def incident_resolved(incident: Incident, by: str, count: int) -> Message:
    return Message(
        text=f"{by} resolved incident {incident.ref} and its {counted(count, 'ticket')}.",
        quote=incident.resolution_note,
    )


def incident_linked(incident: Incident, ticket: Ticket) -> Message:
    return Message(text=f"{ticket.ref} is now part of incident {incident.ref}.")


def incident_unlinked(incident: Incident, ticket: Ticket) -> Message:
    return Message(text=f"{ticket.ref} is no longer part of incident {incident.ref}.")


def incident_created(incident: Incident) -> Message:
    return Message(
        text=f"Incident {incident.ref} created; link tickets with /incident link "
        f"{incident.id} N and declare it."
    )


def update_sent(incident: Incident, requesters: int) -> Message:
    return Message(text=f"Update on {incident.ref} sent to {counted(requesters, 'requester')}.")


def incident_list(incidents: Sequence[Incident], linked: Mapping[int, list[int]]) -> Message:
    if not incidents:
        return Message(title="Incidents", text="No incidents.")
    lines = [
        f"{i.ref} · {i.status.label} · {i.priority or '—'} · {shorten(i.title, 60)} · "
        f"{counted(len(linked.get(i.id or 0, [])), 'ticket')}"
        for i in incidents
    ]
    return Message(title="Incidents", text="\n".join(lines))


def join_offer(incident_id: int, title: str) -> Message:
    """An intake whose description matches an open incident: join it, or go on."""
    return Message(
        text=f"This looks like a known problem: {title} (incident #{incident_id}). "
        "If it is yours, add yourself; otherwise answer below as usual.",
        buttons=((Button(f"Add me to incident #{incident_id}", Action.JOIN, incident_id),),),
    )


def digest_line(open_incidents: Sequence[Incident], now: datetime) -> str:
    """The digest's line about the incidents open now."""
    if not open_incidents:
        return "none open"
    oldest = min(i.declared_at or i.proposed_at for i in open_incidents)
    refs = ", ".join(f"{i.ref} {i.priority} {shorten(i.title, 40)}" for i in open_incidents[:3])
    return (
        f"{len(open_incidents)} open, the oldest declared {format_duration(now - oldest)} ago: "
        + refs
    )


def incident_record(
    incident: Incident, tickets: Sequence[int], names: Mapping[int, str]
) -> dict[str, object]:
    """An incident as scripts read it (``tierdesk tickets --incidents --json``)."""

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": incident.id,
        "title": incident.title,
        "status": incident.status.value,
        "priority": incident.priority or None,
        "category": incident.category,
        "tier": incident.tier,
        "commander": names.get(incident.commander_id) if incident.commander_id else None,
        "tickets": list(tickets),
        "proposed_at": iso(incident.proposed_at),
        "declared_at": iso(incident.declared_at),
        "resolution_due_at": iso(incident.clocks.resolution_due_at),
        "resolved_at": iso(incident.resolved_at),
        "resolution": incident.resolution_note or None,
    }
