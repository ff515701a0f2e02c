"""The intake dialog, turn by turn, without storage."""

from __future__ import annotations

from datetime import date

import pytest

from bot.knowledge import Article, KnowledgeIndex
from bot.messages import Action
from bot.services.intake import Intake, Press, Step
from tests.factories import make_settings, new_ticket

TODAY = date(2026, 11, 23)
VPN = Article(
    "vpn-drops",
    "VPN keeps disconnecting",
    "1. Check your internet.\n2. Reconnect the VPN client.",
    keywords=("vpn disconnects", "vpn drops every few minutes"),
)
PASSWORD = Article(
    "password-reset",
    "Reset a forgotten password",
    "Use the self-service portal.",
    keywords=("forgot password",),
)


@pytest.fixture
def intake() -> Intake:
    return Intake(make_settings(), KnowledgeIndex([VPN, PASSWORD]))


def labels(turn) -> list[str]:
    return [b.label for m in turn.messages for row in m.buttons for b in row]


def walk(intake: Intake, text: str, *answers: str | Press):
    turn = intake.begin(text, [])
    for answer in answers:
        assert turn.step is not None, "dialog ended early"
        turn = intake.advance(turn.step, turn.data, answer, TODAY)
    return turn


def test_suggestions_first_and_solved_ends_without_ticket(intake: Intake) -> None:
    turn = intake.begin("my vpn keeps disconnecting", [])
    assert turn.step is Step.SUGGEST
    assert "This solved it: VPN keeps disconnecting" in labels(turn)
    assert "I still need help" in labels(turn)
    asked = intake.advance(turn.step, turn.data, Press(Action.SOLVED, "vpn-drops"), TODAY)
    assert asked.step is Step.SUGGEST and not asked.solved_by  # asked once more
    done = intake.advance(asked.step, asked.data, Press(Action.SOLVED, "vpn-drops"), TODAY)
    assert done.step is None and done.solved_by == "vpn-drops" and done.draft is None


def test_full_dialog_by_buttons_gives_a_draft_with_matrix_answers(intake: Intake) -> None:
    turn = walk(
        intake,
        "my vpn keeps disconnecting",
        Press(Action.NEED_HELP),
        Press(Action.CHOOSE, "group"),
        Press(Action.CHOOSE, "no"),
        Press(Action.CHOOSE, "today"),
        Press(Action.CHOOSE, "network"),
        Press(Action.CHOOSE, "skip"),
    )
    assert turn.step is Step.CONFIRM
    confirm = turn.messages[-1]
    assert confirm.title == "Ready to open this ticket?"
    assert any(f.label == "Priority" and f.value == "S1 Critical" for f in confirm.fields)
    done = intake.advance(turn.step, turn.data, Press(Action.CHOOSE, "submit"), TODAY)
    assert done.step is None
    assert done.draft is not None
    assert (done.draft.impact, done.draft.can_work, done.draft.urgency) == ("group", "no", "today")
    assert done.draft.category == "network"
    assert done.draft.summary == "my vpn keeps disconnecting"


def test_free_text_answers_are_understood(intake: Intake) -> None:
    turn = walk(
        intake,
        "the coffee machine in building 2 is making strange sounds",
        "just me",
        "yes but slowly",
        "asap",
        "3",
        "It started on Monday",
        "yes",
    )
    assert turn.draft is not None
    assert (turn.draft.impact, turn.draft.can_work, turn.draft.urgency) == ("one", "limited", "now")
    assert turn.draft.category == "network"  # "3" = third category
    assert turn.draft.details == "It started on Monday"


def test_garbage_where_a_choice_is_expected_is_reasked(intake: Intake) -> None:
    turn = walk(intake, "printer on floor 3 jams", "need help")
    assert turn.step is Step.IMPACT
    again = intake.advance(turn.step, turn.data, "purple elephant", TODAY)
    assert again.step is Step.IMPACT
    assert again.messages[0].text.startswith("Sorry, I didn't get that.")
    assert "Just me" in labels(again)


def test_cancel_works_at_every_step(intake: Intake) -> None:
    turn = intake.begin("printer on floor 3 jams", [])
    while turn.step is not None and turn.step is not Step.CONFIRM:
        cancelled = intake.advance(turn.step, turn.data, Press(Action.CHOOSE, "cancel"), TODAY)
        assert cancelled.cancelled and cancelled.step is None and cancelled.draft is None
        answers = {
            Step.SUGGEST: Press(Action.NEED_HELP),
            Step.IMPACT: "me",
            Step.CAN_WORK: "no",
            Step.URGENCY: "today",
            Step.CATEGORY: "1",
            Step.DETAILS: "skip",
        }
        turn = intake.advance(turn.step, turn.data, answers[turn.step], TODAY)
    assert turn.step is Step.CONFIRM
    assert intake.advance(turn.step, turn.data, "cancel", TODAY).cancelled


def test_version_is_asked_for_product_category_and_end_of_support_noted(intake: Intake) -> None:
    turn = walk(intake, "acme erp crashes when I post an invoice", "me", "no", "today", "erp")
    assert turn.step is Step.VERSION
    assert "5.2 (LTS)" in labels(turn)
    after = intake.advance(turn.step, turn.data, "v4.8", TODAY)
    assert after.step is Step.DETAILS
    assert "reached its end of support on 2025-12-31" in after.messages[0].text
    done = walk_from(intake, after, "skip", "yes")
    assert done.draft is not None
    assert (done.draft.product, done.draft.version, done.draft.version_supported) == (
        "acme-erp",
        "4.8",
        False,
    )
    assert "end of support" in done.draft.notice


def test_unknown_version_is_kept_and_flagged(intake: Intake) -> None:
    turn = walk(intake, "acme erp is slow", "me", "no", "today", "erp", "7.1", "skip", "yes")
    assert turn.draft is not None
    assert turn.draft.version == "7.1" and turn.draft.version_supported is None


def walk_from(intake: Intake, turn, *answers):
    for answer in answers:
        turn = intake.advance(turn.step, turn.data, answer, TODAY)
    return turn


def test_open_tickets_make_it_ask_whether_this_is_new(intake: Intake) -> None:
    ticket = new_ticket(summary="VPN down", number=7)
    turn = intake.begin("still broken after restart", [ticket])
    assert turn.step is Step.ROUTE
    assert "Add to #7: VPN down" in labels(turn)
    relay = intake.advance(turn.step, turn.data, Press(Action.REPLY, ticket=7), TODAY)
    assert relay.add_to == 7 and relay.added == "still broken after restart"
    unclear = intake.advance(turn.step, turn.data, "hmm?", TODAY)  # asked again, in full
    assert unclear.step is Step.ROUTE and labels(unclear) == labels(turn)
    new = intake.advance(turn.step, turn.data, Press(Action.CHOOSE, "new"), TODAY)
    assert new.step in (Step.SUGGEST, Step.IMPACT)
    assert new.data["description"] == "still broken after restart"


@pytest.mark.parametrize("text", ["", "   ", "!!!???", "\u200b"])
def test_empty_or_symbol_only_description_is_reasked(intake: Intake, text: str) -> None:
    turn = intake.begin(text, [])
    assert turn.step is Step.DESCRIBE
    assert turn.draft is None


def test_no_details_step_when_disabled() -> None:
    intake = Intake(make_settings(intake__ask_details=False), KnowledgeIndex([]))
    turn = walk(intake, "screen flickers", "me", "no", "today", "hardware")
    assert turn.step is Step.CONFIRM
