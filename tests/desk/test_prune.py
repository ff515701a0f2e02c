"""Nightly pruning keeps the outbox and the dedupe table small without losing anything a
user would notice: old cards still update in place, recent retries are still refused."""

from __future__ import annotations

from datetime import timedelta

from tests.desk.conftest import World
from tests.desk.test_story import open_ticket
from tests.factories import command


async def test_prune_forgets_old_messages_and_event_ids_but_cards_still_edit(
    world: World,
) -> None:
    number = await open_ticket(world)
    assert await world.desk.prune() == (0, 0)  # everything is younger than storage.keep

    world.clock.advance(world.settings.storage_keep + timedelta(days=1))
    recent = command("sam", "/mytickets", event_id="recent")
    await world.run(recent)
    sent, events = await world.desk.prune()
    assert sent > 5 and events > 5  # the intake's questions, the card, the answers

    claimed = await world.run(command("alice", f"/claim {number}"))
    card = next(d for d in claimed if d.route.card_key == f"ticket:{number}:L1")
    assert card.edit_id  # the month-old card is edited in place, not posted again
    assert await world.run(recent) == []  # a retry of a recent event is still ignored
    assert await world.desk.prune() == (0, 0)
