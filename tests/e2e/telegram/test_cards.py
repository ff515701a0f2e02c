"""What a card in a Telegram group says: the ticket as it is now, in times that stay true,
with requester text shown literally; long problems say where the rest is; edits that change
nothing are not sent."""

from __future__ import annotations

from datetime import timedelta

from tests.e2e.telegram.conftest import ALICE, L1, L2, SAM, TelegramWorld, open_ticket


async def test_cards_show_the_ticket_as_it_is_now(world: TelegramWorld) -> None:
    card = await open_ticket(world, SAM, "printer on floor 3 jams")
    assert card.text.startswith("<b>#1 · S1 Critical · printer on floor 3 jams</b>")
    assert card.plain.count("S1 Critical") == 1  # the title says it; no Priority line
    assert "Status: Open" in card.plain
    # due times are absolute in the desk's zone: a relative "(in 59m)" would freeze
    assert "Response due: 2026-11-23 10:15 CET" in card.plain
    assert " (in " not in card.plain and " ago)" not in card.plain

    world.clock.advance(timedelta(hours=2))
    sent = await world.feed(world.api.press(ALICE, card, "Claim"))
    edit = next(c for c in sent if c.method == "editMessageText")
    assert "Resolution due: " in edit.plain and " ago)" not in edit.plain

    sent = await world.feed(world.api.text(ALICE, "/escalate 1 needs a driver", chat=L1))
    old = next(c for c in sent if c.method == "editMessageText" and c.chat_id == str(L1["id"]))
    assert "Escalated to L2." in old.plain
    assert "Status:" not in old.plain and "Open" not in old.plain and "due" not in old.plain
    assert old.buttons == []
    l2_card = next(c for c in sent if c.chat_id == str(L2["id"]))
    assert "Status: Open" in l2_card.plain and "Claim" in [b for b, _ in l2_card.buttons]


async def test_requester_text_is_shown_literally_with_inert_links(world: TelegramWorld) -> None:
    text = "printer *jams* _again_ `E42`, see https://evil.example/login."
    card = await open_ticket(world, SAM, text)
    inert = "<code>https://evil.example/login</code>"
    assert card.text.startswith(
        f"<b>#1 · S1 Critical · printer *jams* _again_ `E42`, see {inert}.</b>"
    )
    assert f"<blockquote>printer *jams* _again_ `E42`, see {inert}.</blockquote>" in card.text
    assert card.params["link_preview_options"] == {"is_disabled": True}


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
    sent = await world.feed(api.text(ALICE, "/waiting 1 which tray is it?", chat=L1))
    (edit,) = [c for c in sent if c.method == "editMessageText"]
    assert "Waiting" in edit.plain
