"""Stored knowledge-base articles and self-service resolutions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.clock import FrozenClock
from bot.domain import ArticleFeedback, SelfServiceResolution, SuggestionOutcome
from bot.knowledge import Article
from storage.db import make_engine
from storage.tables import ArticleRow
from storage.uow import SqlUnitOfWorkFactory

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

VPN = Article(
    id="vpn-reset",
    title="Reset the VPN client",
    body="1. Quit the client.\n2. Delete the profile — then **re-import** it.",
    keywords=("vpn", "tunnel", "disconnect"),
    tags=("network",),
    source="ticket:42",
)
WIFI = Article(id="wifi", title="Join the office Wi-Fi", body="Use the *corp* network.")


@pytest.fixture
async def clocked(database_url: str) -> AsyncIterator[tuple[SqlUnitOfWorkFactory, FrozenClock]]:
    """Units of work whose clock the test moves."""
    engine = make_engine(database_url)
    clock = FrozenClock(T0)
    try:
        yield SqlUnitOfWorkFactory(engine, clock), clock
    finally:
        await engine.dispose()


async def test_put_get_and_list(uow_factory: SqlUnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.knowledge.articles() == []
        await uow.knowledge.put(WIFI)
        await uow.knowledge.put(VPN)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.knowledge.get("vpn-reset") == VPN
        assert await uow.knowledge.get("wifi") == WIFI
        assert await uow.knowledge.get("printer") is None
        assert await uow.knowledge.articles() == [VPN, WIFI]  # by id
        stored = await uow.knowledge.get("vpn-reset")
        assert stored is not None and isinstance(stored.keywords, tuple)


async def test_put_replaces_by_id_and_keeps_created_at(
    clocked: tuple[SqlUnitOfWorkFactory, FrozenClock],
) -> None:
    factory, clock = clocked
    async with factory() as uow:
        await uow.knowledge.put(VPN)
        await uow.commit()

    clock.advance(timedelta(days=2))
    revised = Article(id=VPN.id, title="Reset the VPN", body="Reinstall.", source="db")
    async with factory() as uow:
        await uow.knowledge.put(revised)
        assert await uow.knowledge.get(VPN.id) == revised  # read your own write
        await uow.commit()

    async with factory() as uow:
        assert await uow.knowledge.articles() == [revised]
        db = uow._db  # below the port: no port tells when an article was created
        assert db is not None
        row = (await db.execute(select(ArticleRow.__table__))).first()
        assert row is not None
        assert (row.created_at, row.updated_at) == (T0, T0 + timedelta(days=2))


async def test_self_service_resolutions_are_counted(
    uow_factory: SqlUnitOfWorkFactory, people: dict[str, int]
) -> None:
    async with uow_factory() as uow:
        assert await uow.knowledge.self_service_count() == 0
        for minutes in (0, 5, 9):
            await uow.knowledge.add_self_service(
                SelfServiceResolution(
                    people["alice"], "vpn-reset", "vpn keeps dropping", T0 + timedelta(minutes)
                )
            )
        # Articles from Markdown files are not in the database: no foreign key on article_id.
        await uow.knowledge.add_self_service(
            SelfServiceResolution(people["bob"], "file-only-article", "printer", T0)
        )
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.knowledge.self_service_count() == 4


async def test_self_service_needs_a_known_person(uow_factory: SqlUnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        with pytest.raises(IntegrityError):
            await uow.knowledge.add_self_service(SelfServiceResolution(404, "wifi", "wifi?", T0))


async def test_remove_deletes_only_that_article(uow_factory: SqlUnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        await uow.knowledge.put(VPN)
        await uow.knowledge.put(WIFI)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.knowledge.remove("vpn-reset") is True
        assert await uow.knowledge.remove("vpn-reset") is False  # already gone
        assert await uow.knowledge.remove("never-there") is False
        await uow.commit()
    async with uow_factory() as uow:
        assert [a.id for a in await uow.knowledge.articles()] == ["wifi"]


async def test_helpful_counts_per_article(
    uow_factory: SqlUnitOfWorkFactory, people: dict[str, int]
) -> None:
    async with uow_factory() as uow:
        assert await uow.knowledge.helpful_counts() == {}
        for person, article in (("alice", "vpn-reset"), ("bob", "vpn-reset"), ("bob", "wifi")):
            await uow.knowledge.add_self_service(
                SelfServiceResolution(people[person], article, "help", T0)
            )
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.knowledge.helpful_counts() == {"vpn-reset": 2, "wifi": 1}


async def test_offers_are_counted_per_article_in_one_statement(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        assert await uow.knowledge.feedback() == {}
        await uow.knowledge.add_outcome(SuggestionOutcome(("vpn-reset", "wifi"), "vpn-reset"))
        await uow.knowledge.add_outcome(SuggestionOutcome(("vpn-reset", "wifi"), rejected=True))
        await uow.knowledge.add_outcome(SuggestionOutcome(("wifi", "wifi")))  # counted once
        await uow.knowledge.add_outcome(SuggestionOutcome(()))
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.knowledge.feedback() == {
            "vpn-reset": ArticleFeedback(2, 1, 1),
            "wifi": ArticleFeedback(3, 0, 1),
        }


async def test_unanswered_questions_grouped_most_frequent_then_newest_first(
    clocked: tuple[SqlUnitOfWorkFactory, FrozenClock],
) -> None:
    uow_factory, clock = clocked
    async with uow_factory() as uow:
        for query in ("coffee machine leaks", "badge id fails", "coffee machine leaks", "fax"):
            clock.advance(timedelta(minutes=1))
            await uow.knowledge.add_unanswered(query, clock.now())
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.knowledge.unanswered(10) == [
            ("coffee machine leaks", 2),
            ("fax", 1),
            ("badge id fails", 1),
        ]
        assert await uow.knowledge.unanswered(1) == [("coffee machine leaks", 2)]


async def test_a_phrasing_is_learned_once_at_learn_after_and_moves_the_version(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        start = await uow.knowledge.version()
        assert not await uow.knowledge.confirm("vpn-reset", "tunnel keeps dropping", T0, 2)
        assert not await uow.knowledge.confirm("wifi", "tunnel keeps dropping", T0, 2)
        assert await uow.knowledge.learned() == {}
        assert await uow.knowledge.confirm("vpn-reset", "tunnel keeps dropping", T0, 2)
        assert not await uow.knowledge.confirm("vpn-reset", "tunnel keeps dropping", T0, 2)
        assert await uow.knowledge.confirm("vpn-reset", "vpn is gone", T0, 1)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.knowledge.version() == start + 2
        assert await uow.knowledge.learned() == {
            "vpn-reset": ["tunnel keeps dropping", "vpn is gone"]
        }


async def test_remove_forgets_what_was_learned_about_an_article(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        await uow.knowledge.put(WIFI)
        await uow.knowledge.add_outcome(SuggestionOutcome(("wifi", "vpn-reset"), "wifi"))
        await uow.knowledge.confirm("wifi", "wlan is gone", T0, 1)
        await uow.knowledge.confirm("vpn-reset", "vpn is gone", T0, 1)  # a Markdown article's
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.knowledge.remove("wifi")
        assert await uow.knowledge.remove("vpn-reset")  # its feedback and phrasings
        assert not await uow.knowledge.remove("vpn-reset")
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.knowledge.feedback() == {}
        assert await uow.knowledge.learned() == {}
