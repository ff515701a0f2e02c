"""Engine set-up: SQLite pragmas really applied, foreign keys enforced, instants kept in UTC."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from bot.domain import Identity
from storage.db import SQLITE_BUSY_TIMEOUT_MS, make_engine
from storage.sqlite_inline import CommitTimer
from storage.tables import IdentityRow, InboundEventRow

EVENTS = InboundEventRow.__table__


@pytest.fixture
def sqlite_url(database_url: str) -> str:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only")
    return database_url


async def test_sqlite_pragmas_are_on_for_every_connection(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:

        async def pragmas() -> tuple[object, ...]:
            async with engine.connect() as connection:
                values = []
                for name in ("journal_mode", "foreign_keys", "busy_timeout"):
                    values.append(await connection.scalar(text(f"PRAGMA {name}")))
                return tuple(values)

        # Several connections at once, so the pool opens more than one.
        results = await asyncio.gather(*(pragmas() for _ in range(3)))
        assert set(results) == {("wal", 1, SQLITE_BUSY_TIMEOUT_MS)}
    finally:
        await engine.dispose()


async def test_sqlite_writers_take_turns(sqlite_url: str) -> None:
    """BEGIN IMMEDIATE: a second writer waits for the first instead of failing."""
    engine = make_engine(sqlite_url)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        async with engine.connect() as first:
            await first.scalar(select(EVENTS).limit(1))  # a read takes the lock too

            async def second_writer() -> None:
                async with engine.connect() as second:
                    await second.execute(
                        insert(EVENTS).values(platform="x", event_id="2", received_at=at)
                    )
                    await second.commit()

            task = asyncio.create_task(second_writer())
            await asyncio.sleep(0.1)
            assert not task.done()
            await first.execute(insert(EVENTS).values(platform="x", event_id="1", received_at=at))
            await first.commit()
        await asyncio.wait_for(task, timeout=5)
    finally:
        await engine.dispose()


async def test_foreign_keys_are_enforced(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            identity = Identity("slack", "U1")
            row = {"platform": identity.platform, "external_id": "U1", "person_id": 404}
            with pytest.raises(IntegrityError):
                await connection.execute(insert(IdentityRow.__table__).values(row))
    finally:
        await engine.dispose()


async def test_instants_come_back_in_utc_and_naive_ones_are_refused(database_url: str) -> None:
    engine = make_engine(database_url)
    east = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    try:
        async with engine.connect() as session:
            await session.execute(
                insert(EVENTS).values(platform="x", event_id="1", received_at=east)
            )
            await session.commit()
        async with engine.connect() as session:
            stored = await session.scalar(select(InboundEventRow.received_at))
            assert stored == east
            assert stored is not None and stored.tzinfo is UTC
            assert stored == datetime(2026, 3, 28, 20, 0, tzinfo=UTC)
            # Comparisons happen in UTC too, whatever zone the parameter is in.
            later = await session.scalar(
                select(InboundEventRow.event_id).where(
                    InboundEventRow.received_at < datetime(2026, 3, 28, 20, 0, 1, tzinfo=UTC)
                )
            )
            assert later == "1"
        async with engine.connect() as session:
            naive = {"platform": "x", "event_id": "2", "received_at": datetime(2026, 1, 1)}
            with pytest.raises(StatementError, match="naive datetime"):
                await session.execute(insert(EVENTS).values(naive))
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "mysql+aiomysql://root@127.0.0.1/tierdesk",
        "sqlite:///tierdesk.db",
        "postgresql+asyncpg://postgres@127.0.0.1/test",
    ],
)
def test_unsupported_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"driver|supported"):
        make_engine(url)


def test_sqlite_commits_leave_the_event_loop_once_the_disk_is_slow() -> None:
    timer = CommitTimer()
    for _ in range(20):
        timer.took(0.0002)  # an SSD: a fifth of a millisecond
    assert not timer.slow
    for _ in range(20):
        timer.took(0.015)  # a slow volume
    assert timer.slow
    for _ in range(40):
        timer.took(0.0002)
    assert not timer.slow  # and back when the disk is fast again
