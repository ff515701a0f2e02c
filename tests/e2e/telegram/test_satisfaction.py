"""On Telegram, the resolution asks "Did this solve it?": Yes closes and offers stars;
No asks why in the private chat and sends the ticket back to the agent who had it."""

from __future__ import annotations

from tests.e2e.telegram.conftest import ALICE, L1, SAM, TelegramWorld, open_ticket
from tests.fakes.telegram_api import Call


async def resolve(world: TelegramWorld) -> Call:
    card = await open_ticket(world, SAM, "printer on floor 3 jams")
    await world.feed(world.api.press(ALICE, card, "Claim"))
    sent = await world.feed(world.api.text(ALICE, "/resolve 1 cleared the paper jam", chat=L1))
    asked = next(c for c in sent if c.chat_id == str(SAM["id"]))
    assert "Did this solve it?" in asked.plain
    return asked


async def test_yes_closes_and_offers_stars(world: TelegramWorld) -> None:
    asked = await resolve(world)
    sent = await world.feed(world.api.press(SAM, asked, "Yes, solved"))
    to_sam = [c for c in sent if c.chat_id == str(SAM["id"])]
    assert any("Ticket #1 is now closed." in c.plain for c in to_sam)
    offer = next(c for c in to_sam if c.buttons)
    assert [label for label, _ in offer.buttons] == ["★" * n for n in range(1, 6)]
    sent = await world.feed(world.api.press(SAM, offer, "★★★★★"))
    assert any("rated #1 5/5" in c.plain for c in sent if c.chat_id == str(L1["id"]))


async def test_no_asks_why_and_goes_back_to_alice(world: TelegramWorld) -> None:
    asked = await resolve(world)
    sent = await world.feed(world.api.press(SAM, asked, "No, reopen"))
    assert "What is still not working on #1?" in sent[-1].plain
    sent = await world.feed(world.api.text(SAM, "still jams <b>on duplex</b>"))
    in_group = [c for c in sent if c.chat_id == str(L1["id"]) and c.method == "sendMessage"]
    assert any("#1 is not solved" in c.plain and "<b>on duplex</b>" in c.plain for c in in_group)
    assert any("#1 is not solved" in c.plain for c in sent if c.chat_id == str(ALICE["id"]))
    assert any("Ticket #1 is now in progress." in c.plain for c in sent)
