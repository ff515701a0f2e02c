"""A lead's /report on Telegram: the headline figures, then the pictures with sendPhoto
(multipart upload, against the fake Bot API); others refused."""

from __future__ import annotations

from datetime import timedelta

from tests.e2e.telegram.conftest import ALICE, L1, SAM, TelegramWorld, open_ticket


async def test_a_lead_gets_figures_and_the_photo(world: TelegramWorld) -> None:
    await open_ticket(world, SAM, "printer on floor 3 jams")
    world.clock.advance(timedelta(minutes=5))
    mark = len(world.api.calls)
    sent = await world.feed(world.api.text(ALICE, "/report 7d", chat=L1))
    told = next(c for c in sent if c.chat_id == str(ALICE["id"]))
    assert "Desk figures, last 7d" in told.plain and "Tickets opened: 1" in told.plain
    (photo,) = world.api.photos(mark)
    assert photo.chat_id == str(ALICE["id"])
    assert photo.params["caption"] == "Desk figures, last 7d"
    assert photo.params["photo"].startswith(b"\x89PNG\r\n\x1a\n")


async def test_a_requester_is_refused_without_a_photo(world: TelegramWorld) -> None:
    mark = len(world.api.calls)
    sent = await world.feed(world.api.text(SAM, "/report"))
    assert any("for support leads" in c.plain for c in sent)
    assert world.api.photos(mark) == []
