"""Ticket cards on Slack: a refresh that changes nothing is not sent."""

from __future__ import annotations

from tests.e2e.slack.conftest import ALICE, L1, SAM, SlackWorld, dm
from tests.e2e.slack.test_story import open_ticket


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
    calls = await slack.command(ALICE, L1, "waiting 1")
    (update,) = slack.posts(calls, L1, "chat.update")
    assert update.args["ts"] == card.ts and "Waiting" in update.shown
