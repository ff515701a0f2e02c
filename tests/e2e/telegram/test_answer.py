"""An agent answers a ticket with a suggested article from its card on Telegram (the
article id travels in 64-byte callback data): the requester gets it, the ticket is resolved
with it, and the article learns the question."""

from __future__ import annotations

from tests.e2e.telegram.conftest import ALICE, L1, SAM, TelegramWorld

QUESTION = "my vpn keeps disconnecting every ten minutes, call me on +49 170 1234567"


async def test_send_to_requester_on_the_card_answers_resolves_and_teaches(
    world: TelegramWorld,
) -> None:
    api = world.api
    question = (await world.feed(api.text(SAM, QUESTION)))[-1]
    question = (await world.feed(api.press(SAM, question, "I still need help")))[-1]
    for label in ("Just me", "Yes, but limited", "It can wait", "Network, VPN & Wi-Fi"):
        question = (await world.feed(api.press(SAM, question, label)))[-1]
    question = (await world.feed(api.press(SAM, question, "Skip")))[-1]
    sent = await world.feed(api.press(SAM, question, "Open ticket"))
    card = next(c for c in sent if c.chat_id == str(L1["id"]))
    offers = [(label, data) for label, data in card.buttons if label.startswith("Send to")]
    assert offers[0] == ("Send to requester: VPN keeps disconnecting", "1|an|1|vpn-disconnects")
    assert all(len(data.encode()) <= 64 for _, data in card.buttons)

    sent = await world.feed(api.press(ALICE, card, "Send to requester: VPN keeps disconnecting"))
    to_sam = [c.plain for c in sent if c.chat_id == str(SAM["id"])]
    assert "VPN keeps disconnecting" in to_sam[0] and "power saving" in to_sam[0]
    assert "Answered with the article “VPN keeps disconnecting”" in to_sam[1]
    edited = next(c for c in sent if c.method == "editMessageText")
    assert "Resolved" in edited.plain
    assert not any(label.startswith("Send to") for label, _ in edited.buttons)
    learned = world.runtime.desk.knowledge.index.get("vpn-disconnects").keywords[-1]
    assert learned == "my vpn keeps disconnecting every ten minutes call me on phone"
