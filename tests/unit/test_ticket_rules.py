"""Ticket transitions, the priority matrix and queue order: pure rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain import Status, Ticket
from bot.domain.choices import match_choice
from bot.domain.clocks import Clocks, Escalation
from bot.domain.lifecycle import support_status
from bot.errors import InvalidTransition
from bot.settings import DEFAULT_IMPACTS, DEFAULT_URGENCIES
from bot.views import queue_order, summary_of
from bot.views.intake import support_notice
from tests.factories import T0, make_settings, new_ticket

SETTINGS = make_settings()


def ticket(**changes) -> Ticket:
    return new_ticket(**({"urgency": "today", "priority": "S3", "number": 1} | changes))


@pytest.mark.parametrize(
    ("impact", "can_work", "priority"),
    [
        ("group", "no", "S1"),
        ("group", "limited", "S2"),
        ("one", "no", "S3"),
        ("one", "limited", "S4"),
    ],
)
def test_default_matrix_matches_the_product_table(impact, can_work, priority) -> None:
    assert SETTINGS.priority.priority_for(impact, can_work) == priority


def test_claim_then_claim_again_is_refused() -> None:
    t = ticket()
    t.claim(5, T0, SETTINGS.sla)
    assert t.status is Status.IN_PROGRESS and t.first_response_at == T0
    with pytest.raises(InvalidTransition, match="already yours"):
        t.claim(5, T0, SETTINGS.sla)
    with pytest.raises(InvalidTransition, match="already claimed"):
        t.claim(6, T0, SETTINGS.sla)


def test_claiming_a_resolved_ticket_is_refused() -> None:
    t = ticket()
    t.resolve("fixed", T0)
    with pytest.raises(InvalidTransition, match="#1 is resolved; it cannot be claimed"):
        t.claim(5, T0, SETTINGS.sla)


def test_escalation_walks_the_chain_and_stops_at_its_end() -> None:
    t = ticket(chain=("L1", "L2"))
    t.claim(5, T0, SETTINGS.sla)
    assert t.escalate(T0, SETTINGS.sla) == "L2"
    assert (t.status, t.assignee_id) == (Status.OPEN, None)
    with pytest.raises(InvalidTransition, match="already at L2, the last tier of its chain"):
        t.escalate(T0, SETTINGS.sla)


def test_waiting_returns_to_work_when_the_requester_answers() -> None:
    t = ticket()
    t.claim(5, T0, SETTINGS.sla)
    t.wait_on_requester(T0, SETTINGS.sla)
    assert t.status is Status.WAITING
    t.requester_replied(T0 + timedelta(minutes=3), SETTINGS.sla)
    assert t.status is Status.IN_PROGRESS


def test_reopen_only_from_resolved_and_close_is_final() -> None:
    t = ticket()
    with pytest.raises(InvalidTransition, match="Only a resolved ticket can be reopened"):
        t.reopen(T0, SETTINGS.sla)
    t.resolve("done", T0)
    t.reopen(T0, SETTINGS.sla)
    assert t.status is Status.OPEN and t.resolved_at is None
    t.close(T0, SETTINGS.sla)
    with pytest.raises(InvalidTransition):
        t.reopen(T0, SETTINGS.sla)
    with pytest.raises(InvalidTransition):
        t.agent_replied(T0, SETTINGS.sla)


def test_queue_orders_priority_then_urgency_then_due_time() -> None:
    def due(at):
        return Clocks(resolution_due_at=at)

    a = ticket(number=1, priority="S2", urgency="wait", clocks=due(T0))
    b = ticket(number=2, priority="S2", urgency="now", clocks=due(T0 + timedelta(hours=1)))
    c = ticket(number=3, priority="S1", urgency="wait", clocks=due(T0 + timedelta(days=1)))
    d = ticket(number=4, priority="S2", urgency="now", clocks=due(T0))
    ordered = sorted([a, b, c, d], key=queue_order(SETTINGS))
    assert [t.number for t in ordered] == [3, 4, 2, 1]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("just me", "one"),
        ("2", "one"),
        ("the whole team", "group"),
        ("Everyone!", "group"),
        ("A group of people (a team, a site, everyone)", "group"),
        ("banana", None),
        ("", None),
        ("7", None),
    ],
)
def test_free_text_matches_a_choice_or_nothing(text: str, key: str | None) -> None:
    found = match_choice(text, DEFAULT_IMPACTS)
    assert (found.key if found else None) == key


def test_urgency_phrases() -> None:
    assert match_choice("ASAP please", DEFAULT_URGENCIES).key == "now"  # type: ignore[union-attr]
    assert match_choice("no rush", DEFAULT_URGENCIES).key == "wait"  # type: ignore[union-attr]


def test_lifecycle_knows_lts_and_end_of_support() -> None:
    product = SETTINGS.product("acme-erp")
    old = support_status(product, "4.8", T0.date())
    assert old.known and old.supported is False and old.lts
    assert "reached its end of support on 2025-12-31" in support_notice(old)
    current = support_status(product, "5.2", T0.date())
    assert current.supported and support_notice(current) == ""
    assert support_status(product, "6.0", T0.date()).supported  # no end date yet
    assert support_status(product, "9.9", T0.date()).supported is None


def test_summary_is_first_line_cut_at_a_word() -> None:
    assert summary_of("\n\n  VPN down  \nmore") == "VPN down"
    long = "word " * 60
    cut = summary_of(long)
    assert len(cut) <= 121 and cut.endswith("…") and "wor…" not in cut


def test_transitions_move_the_clocks_themselves() -> None:
    t = ticket(created_at=T0)
    t.open(SETTINGS.sla)
    due = t.clocks.resolution_due_at
    assert due is not None and t.clocks.next_ping_at is not None
    t.claim(5, T0, SETTINGS.sla)
    t.wait_on_requester(T0 + timedelta(minutes=10), SETTINGS.sla)  # the policy pauses
    assert t.clocks.paused_at is not None and t.clocks.next_ping_at is None
    t.requester_replied(T0 + timedelta(minutes=40), SETTINGS.sla)
    assert t.clocks.paused_at is None
    assert t.clocks.resolution_due_at == due + timedelta(minutes=30)  # the wait is not counted
    t.resolve("done", T0 + timedelta(hours=1))
    assert t.clocks.next_ping_at is None
    t.close(T0 + timedelta(hours=2), SETTINGS.sla)
    assert t.clocks.next_ping_at is None


def test_the_escalation_rules_are_fixed_when_the_clock_starts() -> None:
    t = ticket(created_at=T0)
    t.open(SETTINGS.sla)
    edited = make_settings(sla__repeat_every="5m", sla__ack_timeout="7m").sla
    rules = t.clocks.escalation_rules(edited)
    assert rules == Escalation.current(SETTINGS.sla, t.clocks.policy)
    assert rules.repeat_every != edited.repeat_every
    stored_before_snapshots = ticket(created_at=T0)
    assert stored_before_snapshots.clocks.escalation_rules(edited).repeat_every == timedelta(
        minutes=5
    )
