"""A deep link to a ticket (``t.me/<bot>?start=ticket_N``) opens the private chat with
``/start ticket_N``: the requester sees the ticket, exactly as ``/show N`` shows it."""

from __future__ import annotations

from tests.e2e.telegram.conftest import KIM, SAM, TelegramWorld, open_ticket


async def test_a_deep_link_shows_the_ticket_as_show_does(world: TelegramWorld) -> None:
    api = world.api
    await open_ticket(world, SAM, "the printer on floor 3 jams")
    shown = (await world.feed(api.text(SAM, "/show 1")))[-1]
    assert "the printer on floor 3 jams" in shown.plain
    linked = await world.feed(api.text(SAM, "/start ticket_1"))
    assert [c.plain for c in linked] == [shown.plain]
    assert linked[0].chat_id == str(SAM["id"])


async def test_a_deep_link_hides_what_show_hides_and_plain_start_greets(
    world: TelegramWorld,
) -> None:
    api = world.api
    await open_ticket(world, SAM, "the printer on floor 3 jams")
    refused = [c.plain for c in await world.feed(api.text(KIM, "/show 1"))]
    assert [c.plain for c in await world.feed(api.text(KIM, "/start ticket_1"))] == refused
    assert not any("printer" in text for text in refused)
    greeting = [c.plain for c in await world.feed(api.text(KIM, "/start"))]
    assert greeting == [c.plain for c in await world.feed(api.text(KIM, "/help"))]
    assert greeting and greeting != refused
