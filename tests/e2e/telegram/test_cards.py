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
