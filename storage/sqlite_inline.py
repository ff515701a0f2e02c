"""SQLite for the async engine without a thread hand-off per call: statements run inline.

SQLAlchemy's ``sqlite+aiosqlite`` dialect drives an aiosqlite connection, which runs every
call (cursor, execute, fetch, close: four per query) in a worker thread and wakes the event
loop for each answer. On a local file a statement takes microseconds and each hand-off
costs tens of them, plus a second thread fighting the loop for the GIL: under load that
was a quarter of the process's CPU. This module gives the dialect an object with
aiosqlite's interface whose calls run the statement right away on the loop's thread.

``COMMIT`` is the one call that may wait for the disk: in WAL mode with ``synchronous=FULL``
it syncs the log, which takes a tenth of a millisecond on an SSD and can take tens on a
slow volume, where the loop must not wait for it. So commits run inline while they are
fast, and in a worker thread once they are slow (:class:`CommitTimer`): a thread hand-off
costs about what a fast sync does. The desk has one SQLite connection (``pool_size=1``),
so a connection is never used by two threads at once. A writer of another process
(``tierdesk kb import``) can make a statement wait in SQLite's busy handler; that wait
happens inline too, for as long as that other transaction lasts.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

__all__ = ["CommitTimer", "InlineConnection", "connect"]


class _Queue:
    """What SQLAlchemy's adapter puts a function into to set ``isolation_level`` (its
    workaround for aiosqlite's own setter): run it now and answer the future."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def put_nowait(self, job: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = job
        try:
            future.set_result(function())
        except Exception as exc:
            future.set_exception(exc)


class InlineCursor:
    """aiosqlite's ``Cursor`` interface over a ``sqlite3`` cursor, running inline."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        if parameters is None:
            self._cursor.execute(sql)
        else:
            self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> InlineCursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size) if size is not None else self._cursor.fetchmany()

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid


class InlineConnection:
    """aiosqlite's ``Connection`` interface over a ``sqlite3`` connection, running inline
    but for ``commit``."""

    def __init__(self, conn: sqlite3.Connection, timer: CommitTimer) -> None:
        self._conn = conn
        self._tx = _Queue(conn)
        self._timer = timer

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    async def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        cursor = InlineCursor(self._conn.cursor())
        return await cursor.execute(sql, parameters)

    async def commit(self) -> None:
        if not self._conn.in_transaction:
            return
        start = time.perf_counter()
        if self._timer.slow:  # the disk sync, off the event loop
            await asyncio.to_thread(self._conn.commit)
        else:
            self._conn.commit()
        self._timer.took(time.perf_counter() - start)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self._conn.close()

    def stop(self) -> None:
        """What SQLAlchemy calls to terminate a connection it gives up on."""
        self._conn.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)


class CommitTimer:
    """How long this database's commits take (a moving average): above :attr:`SLOW` they
    leave the event loop's thread."""

    SLOW = 0.001  # seconds
    WEIGHT = 0.1  # of the newest commit in the average

    def __init__(self) -> None:
        self.average = 0.0

    @property
    def slow(self) -> bool:
        return self.average > self.SLOW

    def took(self, seconds: float) -> None:
        self.average += self.WEIGHT * (seconds - self.average)


def connect(database: str, *, uri: bool = False) -> Callable[[], Any]:
    """An ``async_creator`` for :func:`sqlalchemy.ext.asyncio.create_async_engine`."""
    timer = CommitTimer()  # shared by the engine's connections: one disk

    async def creator() -> InlineConnection:
        conn = sqlite3.connect(
            database,
            uri=uri,
            isolation_level=None,  # the engine's BEGIN event controls transactions
            check_same_thread=False,  # commit runs in a worker thread, never concurrently
            detect_types=0,
        )
        return InlineConnection(conn, timer)

    return creator
