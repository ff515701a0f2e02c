"""The connection pool serves the outbox's urgent checkouts before queued use cases, and a
waiter that gives up passes its connection on instead of losing it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage.db import make_engine
from storage.pool import UrgentFirstPool, urgent

WAIT = 10  # seconds: a guard against a hang only


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine whose pool has one connection, as SQLite's has."""
    engine = create_async_engine(
        database_url, poolclass=UrgentFirstPool, pool_size=1, max_overflow=0
    )
    try:
        yield engine
    finally:
        await engine.dispose()


async def queued() -> None:
    """Let the tasks just created run until they wait for a connection."""
    for _ in range(5):
        await asyncio.sleep(0)


async def take_turns(engine: AsyncEngine, urgent_ones: set[str], names: list[str]) -> list[str]:
    """Each name checks a connection out, in this order, while one is held; the order in
    which they got it."""
    order: list[str] = []

    async def one(name: str) -> None:
        with urgent() if name in urgent_ones else contextlib.nullcontext():
            async with engine.connect():
                order.append(name)

    async with engine.connect():  # the one connection is busy
        tasks = []
        for name in names:
            tasks.append(asyncio.create_task(one(name)))
            await queued()  # each is queued before the next comes
    await asyncio.wait_for(asyncio.gather(*tasks), WAIT)
    return order


def test_the_engines_of_both_databases_serve_urgent_checkouts_first(database_url: str) -> None:
    engine = make_engine(database_url)
    assert isinstance(engine.sync_engine.pool, UrgentFirstPool)


async def test_an_urgent_checkout_goes_before_those_queued(engine: AsyncEngine) -> None:
    order = await take_turns(engine, {"outbox"}, ["event 1", "event 2", "outbox", "event 3"])
    assert order == ["outbox", "event 1", "event 2", "event 3"]


async def test_urgent_checkouts_go_first_in_their_own_order(engine: AsyncEngine) -> None:
    order = await take_turns(engine, {"lease", "renew"}, ["event", "lease", "renew"])
    assert order == ["lease", "renew", "event"]


async def test_an_urgent_waiter_that_gives_up_leaves_the_connection_to_the_others(
    engine: AsyncEngine,
) -> None:
    got: list[str] = []

    async def checkout(name: str) -> None:
        async with engine.connect():
            got.append(name)

    async with engine.connect():
        with urgent():
            gave_up = asyncio.create_task(checkout("outbox"))
        waiting = asyncio.create_task(checkout("event"))
        await queued()
        gave_up.cancel()
        await asyncio.gather(gave_up, return_exceptions=True)
    await asyncio.wait_for(waiting, WAIT)
    assert got == ["event"]


async def test_an_urgent_checkout_takes_no_connection_promised_to_a_waiter(
    engine: AsyncEngine,
) -> None:
    """Going first means next, not before one already handed the connection: that one would
    go to the back of the line, and under a stream of urgent checkouts stay there."""
    got: list[str] = []

    async def checkout(name: str) -> None:
        async with engine.connect():
            got.append(name)

    held = await engine.connect()
    waiting = asyncio.create_task(checkout("event"))
    await queued()
    await held.close()  # the event's task is woken to take it, and has not run yet
    with urgent():
        await checkout("outbox")
    await asyncio.wait_for(waiting, WAIT)
    assert got == ["event", "outbox"]
