"""The one mapping of the domain to table rows: a pair of functions per entity.

Every reader and writer of a table goes through these (repositories, the CLI through them,
the benchmarks that fill databases), so a ticket's shape is written out here and in
:mod:`storage.tables` only. Rows come and go as plain mappings of column name to value,
which is what Core statements take and give back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain import ChatAddress, Status, Ticket
from bot.domain.clocks import Clocks, Escalation
from bot.domain.incidents import Incident, IncidentStatus

__all__ = ["incident_from_row", "incident_values", "ticket_from_row", "ticket_values"]


def _clock_values(clocks: Clocks) -> dict[str, Any]:
    """A ticket's or an incident's clocks as columns (both tables have the same ones)."""
    return {
        "policy": clocks.policy,
        "response_due_at": clocks.response_due_at,
        "response_warn_at": clocks.response_warn_at,
        "resolution_due_at": clocks.resolution_due_at,
        "resolution_warn_at": clocks.resolution_warn_at,
        "resolution_started_at": clocks.resolution_started_at,
        "paused_at": clocks.paused_at,
        "paused_seconds": clocks.paused_seconds,
        "update_due_at": clocks.update_due_at,
        "next_ping_at": clocks.next_ping_at,
        "escalation": clocks.escalation.to_json() if clocks.escalation else None,
    }


def _clocks_from_row(row: Mapping[str, Any]) -> Clocks:
    escalation = row["escalation"]
    return Clocks(
        policy=row["policy"],
        response_due_at=row["response_due_at"],
        response_warn_at=row["response_warn_at"],
        resolution_due_at=row["resolution_due_at"],
        resolution_warn_at=row["resolution_warn_at"],
        resolution_started_at=row["resolution_started_at"],
        paused_at=row["paused_at"],
        paused_seconds=row["paused_seconds"],
        update_due_at=row["update_due_at"],
        next_ping_at=row["next_ping_at"],
        escalation=Escalation.from_json(dict(escalation)) if escalation else None,
    )


def incident_values(incident: Incident) -> dict[str, Any]:
    """The incident as column values (its id excepted: the database gives it)."""
    return {
        "title": incident.title,
        "text": incident.text,
        "category": incident.category,
        "tier": incident.tier,
        "status": IncidentStatus(incident.status).value,
        "priority": incident.priority,
        "commander_id": incident.commander_id,
        "proposed_at": incident.proposed_at,
        "declared_at": incident.declared_at,
        "first_response_at": incident.first_response_at,
        "resolved_at": incident.resolved_at,
        "resolution_note": incident.resolution_note,
        **_clock_values(incident.clocks),
    }


def incident_from_row(row: Mapping[str, Any]) -> Incident:
    """The incident a row (with its ``id``) holds."""
    return Incident(
        id=row["id"],
        title=row["title"],
        text=row["text"],
        category=row["category"],
        tier=row["tier"],
        status=IncidentStatus(row["status"]),
        priority=row["priority"],
        commander_id=row["commander_id"],
        proposed_at=row["proposed_at"],
        declared_at=row["declared_at"],
        first_response_at=row["first_response_at"],
        resolved_at=row["resolved_at"],
        resolution_note=row["resolution_note"],
        clocks=_clocks_from_row(row),
    )


def ticket_values(ticket: Ticket) -> dict[str, Any]:
    """The ticket as column values (its number excepted: the database gives it)."""
    clocks = ticket.clocks
    return {
        "requester_id": ticket.requester_id,
        "requester_chat_platform": ticket.requester_chat.platform,
        "requester_chat_id": ticket.requester_chat.chat_id,
        "summary": ticket.summary,
        "details": ticket.details,
        "impact": ticket.impact,
        "can_work": ticket.can_work,
        "urgency": ticket.urgency,
        "priority": ticket.priority,
        "tier": ticket.tier,
        "chain": list(ticket.chain),
        "category": ticket.category,
        "product": ticket.product,
        "version": ticket.version,
        "version_supported": ticket.version_supported,
        "status": Status(ticket.status).value,
        "assignee_id": ticket.assignee_id,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "first_response_at": ticket.first_response_at,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "resolution_note": ticket.resolution_note,
        "rating": ticket.rating,
        "solved": ticket.solved,
        "reopens": ticket.reopens,
        "incident_id": ticket.incident_id,
        **_clock_values(clocks),
    }


def ticket_from_row(row: Mapping[str, Any]) -> Ticket:
    """The ticket a row (with its ``number``) holds."""
    return Ticket(
        number=row["number"],
        requester_id=row["requester_id"],
        requester_chat=ChatAddress(row["requester_chat_platform"], row["requester_chat_id"]),
        summary=row["summary"],
        details=row["details"],
        impact=row["impact"],
        can_work=row["can_work"],
        urgency=row["urgency"],
        priority=row["priority"],
        tier=row["tier"],
        chain=tuple(row["chain"]),
        category=row["category"],
        product=row["product"],
        version=row["version"],
        version_supported=row["version_supported"],
        status=Status(row["status"]),
        assignee_id=row["assignee_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        first_response_at=row["first_response_at"],
        resolved_at=row["resolved_at"],
        closed_at=row["closed_at"],
        resolution_note=row["resolution_note"],
        rating=row["rating"],
        solved=row["solved"],
        reopens=row["reopens"],
        incident_id=row["incident_id"],
        clocks=_clocks_from_row(row),
    )
