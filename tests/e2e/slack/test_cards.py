"""What a card and a message say about people and tickets on Slack: names, never raw ids;
the ticket's state now; requester text shown literally; refreshes that change nothing are
not sent."""

from __future__ import annotations

from typing import Any

from tests.e2e.slack.conftest import ALICE, BOB, CAROL, L1, L2, SAM, SlackWorld, dm
from tests.e2e.slack.test_story import open_ticket
from tests.fakes.slack_api import Call, slack_user


async def test_agents_first_met_in_a_modal_are_shown_by_name(slack: SlackWorld) -> None:
    card = await open_ticket(slack)
    # Alice's and Bob's first contact with the desk is a modal they submit.
    calls = await slack.press(ALICE, card, "Escalate")
    calls = await slack.submit(ALICE, slack.post_to(calls, "", "views.open"), "needs a driver")
    assert "Escalated from L1 by Alice" in slack.post_to(calls, L2).shown
    l2_card = slack.card_in(calls, L2)
    calls = await slack.press(BOB, l2_card, "Resolve")
    calls = await slack.submit(BOB, slack.post_to(calls, "", "views.open"), "driver updated")
    told = slack.post_to(calls, dm(SAM))
    assert "Bob marked it resolved" in told.shown
    assert BOB not in told.shown and BOB not in slack.post_to(calls, L2, "chat.update").shown


async def test_an_agent_first_met_in_a_mention_is_shown_by_name(slack: SlackWorld) -> None:
    card = await open_ticket(slack)
    calls = await slack.command(ALICE, L1, f"reassign 1 <@{CAROL}>")  # Carol never wrote
    updated = slack.post_to(calls, L1, "chat.update")
    assert "*Assignee*\nCarol" in updated.shown and CAROL not in updated.shown
    assert "Alice gave #1 to Carol." in slack.post_to(calls, L1).shown
    assert card.ts == updated.args["ts"]


async def test_a_changed_display_name_is_picked_up(slack: SlackWorld) -> None:
    card = await open_ticket(slack)
    calls = await slack.press(ALICE, card, "Reply")
    calls = await slack.submit(ALICE, slack.post_to(calls, "", "views.open"), "on it")
    assert "Alice replied to the requester." in slack.post_to(calls, L1).shown
    assert "*Alice* wrote:" in slack.post_to(calls, dm(SAM)).shown
    slack.api.users[ALICE] = slack_user(ALICE, "Alice Liddell")
    slack.adapter.directory.ttl = 0  # the next users.info answer is used at once
    calls = await slack.press(ALICE, card, "Claim")
    assert "Alice Liddell" in slack.post_to(calls, L1, "chat.update").shown
    assert "Alice Liddell is now working on #1" in slack.post_to(calls, dm(SAM)).shown


def field_labels(call: Call) -> list[str]:
    return [f["text"].split("\n")[0] for b in call.blocks for f in b.get("fields", ())]


async def test_cards_show_the_ticket_as_it_is_now(slack: SlackWorld) -> None:
    card = await open_ticket(slack)
    assert card.shown.startswith("*#1 · S1 Critical · printer on floor 3 jams*")
    assert "*Priority*" not in field_labels(card)  # the title says it once
    assert "*Status*" in field_labels(card) and "Open" in card.shown

    calls = await slack.press(ALICE, card, "Escalate")
    calls = await slack.submit(ALICE, slack.post_to(calls, "", "views.open"), "needs a driver")
    old = slack.post_to(calls, L1, "chat.update")
    assert old.args["ts"] == card.ts
    assert "Escalated to L2." in old.shown
    assert "Open" not in old.shown and "*Status*" not in field_labels(old)
    assert not any("due" in label for label in field_labels(old))  # L1's clocks are gone
    assert old.buttons == []
    l2_card = slack.card_in(calls, L2)
    assert "Open" in l2_card.shown and "Claim" in [b["text"]["text"] for b in l2_card.buttons]


def rich_elements(call: Call, kind: str) -> list[list[dict[str, Any]]]:
    """The text elements of every rich text section or quote (``kind``) of a message."""
    return [
        element["elements"]
        for block in call.blocks
        if block["type"] == "rich_text"
        for element in block["elements"]
        if element["type"] == kind
    ]


async def test_requester_text_is_shown_literally_with_inert_links_and_named_mentions(
    slack: SlackWorld,
) -> None:
    wire = f"printer *jams* _again_ `E42` <https://evil.example|click> ask <@{ALICE}>"
    card = await open_ticket(slack, wire, raw=True)
    summary = "printer *jams* _again_ `E42` click (https://evil.example) ask @Alice"

    title = rich_elements(card, "rich_text_section")[0]
    assert "".join(e["text"] for e in title) == f"#1 · S1 Critical · {summary}"
    assert all(e["style"].get("bold") for e in title)  # one bold title, unbroken by "*"
    (quote,) = rich_elements(card, "rich_text_quote")
    assert "".join(e["text"] for e in quote) == summary
    link = next(e for e in quote if "evil" in e["text"])
    assert link == {"type": "text", "text": "https://evil.example", "style": {"code": True}}
    assert card.rich_types == {"text"}  # no link, mention or broadcast elements
    mrkdwn = card.parsed.removeprefix(card.text)  # the blocks' mrkdwn, not the notification
    assert "https://evil.example" not in mrkdwn  # nothing in the card Slack would auto-link
    assert ALICE not in card.shown and ALICE not in card.text


async def test_a_card_refresh_that_changes_nothing_is_not_sent(slack: SlackWorld) -> None:
    card = await open_ticket(slack)
    calls = await slack.press(ALICE, card, "Claim")
    assert len(slack.posts(calls, L1, "chat.update")) == 1
    for text in ("Which tray?", "Try tray 2"):  # relayed both ways; the card stays the same
        calls = await slack.say(ALICE, L1, text, thread_ts=card.ts)
        assert text in slack.post_to(calls, dm(SAM)).shown
        calls += await slack.say(SAM, dm(SAM), f"answer to: {text}")
        assert "answer to" in slack.post_to(calls, L1).shown
        assert slack.posts(calls, L1, "chat.update") == []

    # a change that shows is still sent, once
    calls = await slack.command(ALICE, L1, "waiting 1 which tray is it?")
    (update,) = slack.posts(calls, L1, "chat.update")
    assert update.args["ts"] == card.ts and "Waiting" in update.shown
