"""Ticket cards on Telegram: what they say when the problem is long, and edits that change
nothing."""

from __future__ import annotations

from tests.e2e.telegram.conftest import ALICE, L1, SAM, TelegramWorld, open_ticket


async def test_a_long_problem_on_the_card_says_where_the_rest_is(world: TelegramWorld) -> None:
    words = " ".join(f"word{i}" for i in range(700))  # about 5 000 characters
    description = f"printer on floor 3 jams\n{words} the very end"
    card = await open_ticket(world, SAM, description)
    assert "the very end" not in card.plain
    assert "more characters: /show 1" in card.plain  # not a silent "…"

    (shown, *rest) = await world.feed(world.api.text(ALICE, "/show 1", chat=L1))
    assert "the very end" in "".join(c.plain for c in (shown, *rest))


async def test_a_card_refresh_that_changes_nothing_is_not_sent(world: TelegramWorld) -> None:
    api = world.api
    card = await open_ticket(world, SAM, "printer on floor 3 jams")
    sent = await world.feed(api.press(ALICE, card, "Claim"))
    assert [c.chat_id for c in sent if c.method == "editMessageText"] == [str(L1["id"])]
    mark = len(api.calls)
    for text in ("Which tray?", "Try tray 2"):  # relayed both ways; the card stays the same
        sent = await world.feed(api.text(ALICE, text, chat=L1, reply_to=card))
        assert any(c.chat_id == str(SAM["id"]) and text in c.plain for c in sent)
        sent = await world.feed(api.text(SAM, f"answer to: {text}"))
        assert any(c.chat_id == str(L1["id"]) and "answer to" in c.plain for c in sent)
    assert api.of("editMessageText", mark) == []

    # a change that shows is still sent, once
    sent = await world.feed(api.text(ALICE, "/waiting 1", chat=L1))
    (edit,) = [c for c in sent if c.method == "editMessageText"]
    assert "Waiting" in edit.plain
