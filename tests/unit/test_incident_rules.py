"""Incident rules without a database: an incident's transitions and clocks, and what being
part of one does to a ticket's own clocks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain import Status
from bot.domain.incidents import Incident, IncidentStatus
from bot.errors import InvalidTransition
from tests.factories import T0, make_settings, new_ticket

SLA = make_settings().sla


def opened():
    ticket = new_ticket(number=7)
    ticket.open(SLA)
    return ticket


def test_a_linked_ticket_stops_pinging_until_it_leaves_the_incident() -> None:
    ticket = opened()
    due = ticket.clocks.resolution_due_at
    assert ticket.clocks.next_ping_at is not None
    ticket.join_incident(3, T0 + timedelta(minutes=10))
    assert ticket.clocks.paused_at is not None and ticket.clocks.next_ping_at is None
    ticket.requester_replied(T0 + timedelta(minutes=20), SLA)  # no update clock meanwhile
    assert ticket.clocks.next_ping_at is None and ticket.clocks.update_due_at is None
    with pytest.raises(InvalidTransition, match="already part of incident #3"):
        ticket.join_incident(3, T0)
    with pytest.raises(InvalidTransition, match="unlink it first"):
        ticket.join_incident(4, T0)
    ticket.leave_incident(T0 + timedelta(minutes=40), SLA)
    assert ticket.incident_id is None and ticket.clocks.next_ping_at is not None
    assert due is not None and ticket.clocks.resolution_due_at is not None
    assert ticket.clocks.resolution_due_at > due  # the time in the incident did not count


def test_a_reopened_ticket_leaves_its_resolved_incident() -> None:
    ticket = opened()
    ticket.join_incident(3, T0)
    ticket.resolve("gateway fixed", T0 + timedelta(hours=1), by=1)
    ticket.reopen(T0 + timedelta(hours=2), SLA)
    assert ticket.status is Status.IN_PROGRESS and ticket.incident_id is None  # its resolver has it
    assert ticket.clocks.next_ping_at is not None


def test_an_incident_runs_its_own_clocks_from_its_declaration() -> None:
    incident = Incident("VPN down", None, "L1", T0)
    assert not incident.active and incident.clocks.next_ping_at is None
    declared = T0 + timedelta(minutes=20)
    incident.declare("S1", declared, SLA)
    assert incident.status is IncidentStatus.OPEN and incident.created_at == declared
    assert incident.clocks.response_due_at == declared + timedelta(minutes=15)  # 24x7 S1
    incident.take_command(5, declared + timedelta(minutes=5), SLA)
    assert incident.first_response_at == declared + timedelta(minutes=5)
    with pytest.raises(InvalidTransition):
        incident.declare("S2", declared, SLA)
    incident.resolve("fixed", declared + timedelta(hours=1))
    assert incident.status is IncidentStatus.RESOLVED and incident.clocks.next_ping_at is None
    with pytest.raises(InvalidTransition):
        incident.dismiss(declared)


def test_only_a_proposal_is_dismissed_and_only_a_declared_one_resolved() -> None:
    incident = Incident("printers", "hardware", "L1", T0)
    with pytest.raises(InvalidTransition, match="Only a declared incident"):
        incident.resolve("x", T0)
    incident.dismiss(T0)
    assert incident.status is IncidentStatus.DISMISSED and not incident.live
