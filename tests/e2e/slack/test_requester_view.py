"""On Slack, a stranger learns nothing about someone's ticket, and the Waiting button asks
the agent what they need before the requester is told."""

from __future__ import annotations

from tests.e2e.slack.conftest import ALICE, L1, MALLORY, SAM, SlackWorld, dm
from tests.e2e.slack.test_story import open_ticket


async def test_a_stranger_typing_reply_hears_there_is_no_such_ticket(slack: SlackWorld) -> None:
    await open_ticket(slack)
    said = []
    for number in (1, 2):
        calls = await slack.command(MALLORY, dm(MALLORY), f"reply {number} hi")
        said.append(" ".join(c.shown for c in calls if c.args.get("channel") == dm(MALLORY)))
    assert said == ["You have no ticket #1.", "You have no ticket #2."]


async def test_waiting_button_asks_what_is_needed_in_a_modal(slack: SlackWorld) -> None:
    card = await open_ticket(slack)
    calls = await slack.press(ALICE, card, "Waiting on requester")
    opened = slack.post_to(calls, "", "views.open")
    assert opened.view["title"]["text"] == "Ask the requester of #1"
    assert slack.posts(calls, dm(SAM)) == []  # nothing is said before the question is given
    calls = await slack.submit(ALICE, opened, "Which floor is the printer on?")
    told = slack.post_to(calls, dm(SAM))
    assert "needs your answer on #1" in told.shown
    assert "Which floor is the printer on?" in told.shown
    assert "Waiting on requester" in slack.post_to(calls, L1, "chat.update").shown
