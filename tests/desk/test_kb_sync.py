"""The search index changes after the article's transaction commits, in every process."""

from __future__ import annotations

from bot.domain import Identity
from bot.knowledge import Article
from bot.services.commands import PublishArticle
from bot.services.notices import Actor, Work
from tests.desk.conftest import build_world
from tests.desk.test_kb_drafts import offered
from tests.desk.test_story import open_ticket
from tests.factories import command, dm

PRINTER = "Label printer prints blank labels"


async def _drafted(world) -> None:
    number = await open_ticket(world, text="my label printer prints blank labels")
    await world.run(command("alice", f"/resolve {number} recalibrate the label sensor"))
    await world.run(command("alice", f"/kbsave {number} {PRINTER}"))


async def test_a_publish_that_rolls_back_leaves_no_article_in_the_index(uow_factory) -> None:
    world = build_world(uow_factory)
    await _drafted(world)
    async with uow_factory() as uow:
        person = await uow.people.by_identity(Identity("console", "alice"))
    assert person is not None
    alice = Actor(person, Identity("console", "alice"), dm("alice"))
    async with uow_factory() as uow:
        work = Work(uow, world.clock.now())
        await world.desk.run(work, alice, PublishArticle("ticket-1"))
        assert world.desk.knowledge.index.get("ticket-1") is None  # not before the commit
        await uow.rollback()
    for then in work.afterwards:
        await then()  # even if someone ran them, the database has no published article
    assert world.desk.knowledge.index.get("ticket-1") is None
    assert PRINTER not in await offered(world, "kim")


async def test_another_process_learns_published_and_removed_articles_at_its_tick(
    uow_factory,
) -> None:
    here = build_world(uow_factory)
    there = build_world(uow_factory, clock=here.clock)  # a replica on the same database
    await there.desk.knowledge.sync()
    await _drafted(here)
    await here.run(command("alice", "/kbpublish ticket-1"))
    assert PRINTER in await offered(here, "kim")  # this process: right after the commit
    assert PRINTER not in await offered(there, "lee")
    await there.desk.tick()
    assert PRINTER in await offered(there, "lee")

    async with uow_factory() as uow:  # `tierdesk kb remove ticket-1` from a shell
        assert await uow.knowledge.remove("ticket-1")
        await uow.commit()
    await there.desk.tick()
    assert PRINTER not in await offered(there, "max")


async def test_a_database_article_replacing_a_markdown_one_gives_it_back_when_removed(
    uow_factory,
) -> None:
    world = build_world(uow_factory)
    original = world.desk.knowledge.index.get("vpn-drops")
    assert original is not None
    async with uow_factory() as uow:
        await uow.knowledge.put(Article("vpn-drops", "VPN drops (edited)", "Reconnect."))
        await uow.commit()
    assert await world.desk.knowledge.sync()
    assert world.desk.knowledge.index.get("vpn-drops").title == "VPN drops (edited)"
    assert not await world.desk.knowledge.sync()  # nothing moved: nothing to do
    async with uow_factory() as uow:
        await uow.knowledge.remove("vpn-drops")
        await uow.commit()
    await world.desk.knowledge.sync()
    assert world.desk.knowledge.index.get("vpn-drops") == original
