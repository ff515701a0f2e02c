"""What replicas of one desk share beyond the units of work: Telegram's long button values,
and the lock that lets exactly one of them run a job that must not run twice at once
(Telegram long polling: a second poller gets ``409 Conflict``).

:class:`SingletonLock` is a PostgreSQL session-level advisory lock held on a connection of
its own: it is released the moment that connection ends, so a replica killed with ``kill -9``
(or cut off from the database) lets another take over at its next try. On SQLite there is
one process per database file, and the lock is always granted.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.clock import Clock, SystemClock
from storage.repositories.base import upsert
from storage.tables import ButtonValueRow

log = logging.getLogger(__name__)

__all__ = ["SingletonLock", "SqlButtonValues"]

_KEEP = upsert(ButtonValueRow.__table__, ("digest",))  # type: ignore[arg-type]
_RECALL = select(ButtonValueRow.value).where(ButtonValueRow.digest == bindparam("digest"))


class SqlButtonValues:
    """Long button values by digest, in the ``button_values`` table (one short transaction
    per call; never inside a use case's)."""

    def __init__(self, engine: AsyncEngine, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock: Clock = clock if clock is not None else SystemClock()

    async def keep(self, values: Mapping[str, str]) -> None:
        if not values:
            return
        now: datetime = self.clock.now()
        rows = [{"digest": k, "value": v, "created_at": now} for k, v in sorted(values.items())]
        async with self.engine.begin() as connection:
            await connection.execute(_KEEP, rows)

    async def recall(self, key: str) -> str | None:
        async with self.engine.connect() as connection:
            value = await connection.scalar(_RECALL, {"digest": key})
        return None if value is None else str(value)


# The key: 64 bits of md5(schema, name). Advisory locks are database-wide, and two desks
# (or test runs) in different schemas of one database must not hold each other's.
LOCK_KEY = "('x' || substr(md5(current_schema() || ':' || :name), 1, 16))::bit(64)::bigint"
_TRY_LOCK = text(f"SELECT pg_try_advisory_lock({LOCK_KEY})")
_UNLOCK = text(f"SELECT pg_advisory_unlock({LOCK_KEY})")


class SingletonLock:
    """``await lock.acquire()`` → True when this process now holds ``name`` (or already did);
    :meth:`held` checks that it still does (its connection is alive); :meth:`release`."""

    def __init__(self, engine: AsyncEngine, name: str) -> None:
        self.engine = engine
        self.name = name
        self._connection: AsyncConnection | None = None
        self._shared = engine.dialect.name != "postgresql"  # SQLite: one process per file

    async def acquire(self) -> bool:
        if self._shared:
            return True
        if self._connection is not None:
            return await self.held()
        try:
            connection = await self.engine.connect()
        except Exception as exc:  # the database is away: not the leader, try again later
            log.warning("lock %s: cannot reach the database: %s", self.name, exc)
            return False
        try:
            got = await connection.scalar(_TRY_LOCK, {"name": self.name})
            await connection.commit()  # the session lock outlives the transaction
        except Exception as exc:
            log.warning("lock %s: %s", self.name, exc)
            await _drop(connection)
            return False
        if not got:
            await connection.close()
            return False
        self._connection = connection
        return True

    async def held(self) -> bool:
        """True while the lock's connection answers; a dead one is dropped (the server
        released the lock when it saw the connection end)."""
        if self._shared:
            return True
        if self._connection is None:
            return False
        try:
            await self._connection.execute(text("SELECT 1"))
            await self._connection.commit()
        except Exception as exc:
            log.warning("lock %s lost: %s", self.name, exc)
            connection, self._connection = self._connection, None
            await _drop(connection)
            return False
        return True

    async def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            await connection.execute(_UNLOCK, {"name": self.name})
            await connection.commit()
        except Exception as exc:  # the connection is gone: so is the lock
            log.info("lock %s: unlock failed: %s", self.name, exc)
        await _drop(connection)


async def _drop(connection: AsyncConnection) -> None:
    """Close a connection that may be broken, without letting it back into the pool."""
    try:
        await connection.invalidate()
        await connection.close()
    except Exception as exc:
        log.debug("closing a broken connection: %s", exc)
