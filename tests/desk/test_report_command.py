"""``/report [7d]``: the headline figures for support leads, politely refused to others."""

from __future__ import annotations

from datetime import timedelta

from bot.views.reports import REPORT_REFUSED
from tests.desk.conftest import World
from tests.desk.test_story import open_ticket
from tests.factories import command


async def test_a_lead_gets_the_headline_and_the_picture(world: World) -> None:
    await open_ticket(world)
    number = await open_ticket(world, "kim", "scanner is slow")
    await world.run(command("alice", f"/resolve {number} cleaned the glass"))
    world.clock.advance(timedelta(hours=1))
    (sent,) = await world.run(command("lead", "/report"))
    message = sent.message
    assert message.title == "Desk figures, last 7d"
    assert message.picture == "report:604800"
    fields = {f.label: f.value for f in message.fields}
    assert (fields["Tickets opened"], fields["Tickets resolved"], fields["Backlog at the end"]) == (
        "2",
        "1",
        "1",
    )
    assert "Major incidents" not in fields  # a period without any says nothing of them
    (sent,) = await world.run(command("lead", "/report 30d"))
    assert sent.message.title == "Desk figures, last 30d"
    assert sent.message.picture == "report:2592000"


async def test_others_are_refused_politely(world: World) -> None:
    for who in ("alice", "sam"):
        (sent,) = await world.run(command(who, "/report"))
        assert sent.text == REPORT_REFUSED
        assert not sent.message.picture


async def test_a_bad_span_is_explained(world: World) -> None:
    (sent,) = await world.run(command("lead", "/report soon"))
    assert sent.text.startswith("Usage: /report [7d]")
    (sent,) = await world.run(command("lead", "/report 5m"))
    assert sent.text == "Usage: /report [7d]: from 1h to 366d."
