"""An agent answers a ticket with a suggested article from its card on Slack: the requester
gets the article, the ticket is resolved with it, and the article learns the question."""

from __future__ import annotations

from tests.e2e.slack.conftest import ALICE, L1, SAM, SlackWorld, dm
from tests.e2e.slack.test_story import open_ticket

QUESTION = "my vpn keeps disconnecting every ten minutes since the update, ticket 88123"


async def test_send_to_requester_on_the_card_answers_resolves_and_teaches(
    slack: SlackWorld,
) -> None:
    card = await open_ticket(slack, QUESTION)
    labels = [b["text"]["text"] for b in card.buttons]
    assert "Send to requester: VPN keeps disconnecting" in labels
    calls = await slack.press(ALICE, card, "Send to requester: VPN keeps disconnecting")
    to_sam = [c.shown for c in slack.posts(calls, dm(SAM))]
    assert "VPN keeps disconnecting" in to_sam[0] and "power saving" in to_sam[0]
    assert "Answered with the article “VPN keeps disconnecting”" in to_sam[1]
    updated = slack.post_to(calls, L1, "chat.update")
    assert updated.args["ts"] == card.ts and "Resolved" in updated.shown
    assert not any("Send to requester" in b["text"]["text"] for b in updated.buttons)
    learned = slack.runtime.desk.knowledge.index.get("vpn-disconnects").keywords[-1]
    assert learned == "my vpn keeps disconnecting every ten minutes since the update ticket id"
