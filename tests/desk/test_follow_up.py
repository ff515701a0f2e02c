"""Right after a ticket is opened, what the requester writes next belongs to it."""

from __future__ import annotations

from datetime import timedelta

from tests.desk.conftest import World
from tests.desk.test_story import open_ticket
from tests.factories import say


async def test_a_message_right_after_opening_goes_to_the_new_ticket(world: World) -> None:
    number = await open_ticket(world)
    world.clock.advance(timedelta(minutes=5))
    sent = await world.run(say("sam", "it also jams on floor 4"))
    told = [d.text for d in sent if d.where == "sam"]
    assert told == [f"Added to #{number}. (For a new problem, send /new.)"]
    assert any(d.where == "#L1" and "it also jams on floor 4" in d.message.quote for d in sent)


async def test_later_the_desk_asks_whether_it_is_about_the_open_ticket(world: World) -> None:
    await open_ticket(world)
    world.clock.advance(timedelta(minutes=31))
    sent = await world.run(say("sam", "my monitor flickers"))
    assert sent[0].text.startswith("Is this about one of your open tickets")
