"""What replicas share outside the units of work, on the real database: a long Telegram
button value drawn by one replica is understood by another; the singleton lock is held by
one process at a time and passes on when its holder's connection dies."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from adapters.singleton import Singleton
from adapters.telegram.callback_data import LongValues, StaleButton, decode, encode
from bot.messages import Action, Button
from storage.db import make_engine
from storage.shared import LOCK_KEY, SingletonLock, SqlButtonValues
from storage.uow import SqlUnitOfWorkFactory


async def test_a_long_button_value_drawn_on_one_replica_is_read_on_another(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    store = SqlButtonValues(uow_factory.engine)
    button = Button("Open", Action.CHOOSE, value="category:" + "very-long-product-name" * 4)
    drawer = LongValues(store=store)
    await drawer.keep([button, Button("Claim", Action.CLAIM, ticket=7)])
    data = encode(button, drawer)
    assert len(data.encode()) <= 64

    other = LongValues(store=store)  # another replica, or this one restarted
    with pytest.raises(StaleButton):
        decode(data, other)
    await other.load(data)
    assert decode(data, other).value == button.value
    await drawer.keep([button])  # drawn again: recorded once, no conflict
    forged = data[:-3] + "AAA"
    await other.load(forged)
    with pytest.raises(StaleButton):
        decode(forged, other)


@pytest.mark.pg
async def test_one_replica_holds_the_lock_and_another_takes_over_when_it_dies(
    database_url: str,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one process per database file: the lock is always granted")
    engines = [make_engine(database_url) for _ in range(2)]
    try:
        runs: list[str] = []
        singletons = []
        for name, engine in zip(("a", "b"), engines, strict=True):

            async def start(name: str = name) -> None:
                runs.append(f"{name} starts")

            async def stop(name: str = name) -> None:
                runs.append(f"{name} stops")

            lock = SingletonLock(engine, "polling")
            singletons.append(Singleton("polling", lock, start, stop, every=0.05))
        first, second = singletons
        await first.open()
        await second.open()
        await asyncio.sleep(0.2)  # the standby tries a few times
        assert (first.active, second.active) == (True, False)
        assert runs == ["a starts"]

        # The holder's connection dies (kill -9 of its process, a cut network).
        async with engines[1].connect() as admin:
            pid = await _lock_holder(admin)
            await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await _until(lambda: second.active and not first.active)
        assert runs == ["a starts", "b starts", "a stops"] or runs == [
            "a starts",
            "a stops",
            "b starts",
        ]
        await second.close()  # a clean stop releases it at once
        await _until(lambda: first.active)
        await first.close()
        assert runs[-2:] == ["a starts", "a stops"]
    finally:
        for engine in engines:
            await engine.dispose()


async def _lock_holder(connection: object) -> int:
    # this singleton's key only: other tests' transactions take advisory locks of their own
    # (migrations, incident detection) in the same database at the same time
    rows = await connection.execute(  # type: ignore[attr-defined]
        text(
            f"SELECT pid FROM pg_locks, (SELECT {LOCK_KEY} AS k) AS mine "
            "WHERE locktype = 'advisory' AND pid <> pg_backend_pid() "
            "AND classid = ((k >> 32) & 4294967295)::oid AND objid = (k & 4294967295)::oid"
        ),
        {"name": "polling"},
    )
    pids = [r.pid for r in rows]
    assert len(pids) == 1, pids
    return int(pids[0])


async def _until(condition: object, within: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():  # type: ignore[operator]
        if loop.time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.02)
