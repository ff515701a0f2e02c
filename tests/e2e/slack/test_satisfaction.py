"""On Slack, "No, reopen" in the requester's DM asks for a one-line reason in the DM (no
modal there) and sends the ticket back to the agent who had it; silence closes it."""

from __future__ import annotations

from datetime import timedelta

from tests.e2e.slack.conftest import ALICE, L1, SAM, SlackWorld, dm
from tests.e2e.slack.test_story import open_ticket
from tests.fakes.slack_api import Call


async def resolve(slack: SlackWorld) -> Call:
    """Alice claims and resolves Sam's ticket; returns the question Sam got."""
    card = await open_ticket(slack)
    await slack.press(ALICE, card, "Claim")
    calls = await slack.command(ALICE, L1, "resolve 1 cleared the paper jam")
    asked = slack.post_to(calls, dm(SAM))
    assert "Did this solve it?" in asked.shown
    return asked


async def test_no_reopen_asks_why_and_goes_back_to_alice(slack: SlackWorld) -> None:
    resolved = await resolve(slack)
    calls = await slack.press(SAM, resolved, "No, reopen")
    assert slack.posts(calls, "", "views.open") == []  # asked in the DM itself
    assert "What is still not working on #1?" in slack.post_to(calls, dm(SAM)).shown
    calls = await slack.say(SAM, dm(SAM), "still jams on <b>duplex</b> pages")
    in_thread = [c for c in slack.posts(calls, L1) if c.args.get("thread_ts")]
    assert any("#1 is not solved" in c.shown and "duplex" in c.shown for c in in_thread)
    assert "#1 is not solved" in slack.post_to(calls, dm(ALICE)).shown
    assert "Ticket #1 is now in progress." in slack.post_to(calls, dm(SAM)).shown
    assert "In progress" in slack.post_to(calls, L1, "chat.update").shown


async def test_unanswered_resolution_closes_after_three_days(slack: SlackWorld) -> None:
    await resolve(slack)
    slack.api.take()
    slack.clock.advance(timedelta(days=3))
    assert await slack.runtime.desk.close_unanswered() == 1
    calls = await slack.settle()
    told = slack.post_to(calls, dm(SAM))
    assert "I closed #1" in told.shown and len(told.buttons) == 5
    calls = await slack.press(SAM, told, "★★★★")
    assert "Thanks for rating #1." in slack.post_to(calls, dm(SAM)).shown
