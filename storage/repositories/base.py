"""SQL implementations of the desk's repository ports (:mod:`bot.ports`).

Each repository works inside the one :class:`Transaction` of its unit of work and never
commits. Every statement is Core (no ORM session, no identity map); rows become ``bot``
dataclasses through :mod:`storage.mapping` and the repositories' own small mappers. Writes
are executed at once, so a constraint error surfaces at the call that caused it.

Concurrency, on both databases:

- ``tickets.get`` locks the ticket's row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's
  transactions take the write lock up front), so two agents claiming at once are serialised
  and the second sees the first's claim;
- ``inbound.first_time`` is one ``INSERT … ON CONFLICT DO NOTHING``: of two transactions
  recording the same event id, exactly one gets True;
- ``outbox.due`` skips rows another replica has locked (``FOR UPDATE SKIP LOCKED``);
- upserts (conversations, articles, message refs) are single statements, so they do not race.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Executable, Result, ScalarResult, Table, TextClause, bindparam, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.errors import Conflict


class Transaction:
    """The one database transaction of a unit of work, on a Core connection (no ORM session:
    every statement is Core, and the session's bookkeeping cost a quarter of each one).

    The connection is taken from the pool at the first statement, not when the unit of work
    opens, so the outbox's statements made under :func:`storage.pool.urgent` are the ones
    that check it out (and get the next free connection before queued use cases)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self.dialect = engine.dialect.name

    async def _open(self) -> AsyncConnection:
        if self._connection is None:
            self._connection = await self._engine.connect()
        return self._connection

    async def execute(self, statement: Executable, parameters: Any = None) -> Result[Any]:
        return await (await self._open()).execute(statement, parameters)

    async def scalar(self, statement: Executable, parameters: Any = None) -> Any:
        return await (await self._open()).scalar(statement, parameters)

    async def scalars(self, statement: Executable, parameters: Any = None) -> ScalarResult[Any]:
        return await (await self._open()).scalars(statement, parameters)

    async def commit(self) -> None:
        if self._connection is not None:
            await self._connection.commit()

    async def rollback(self) -> None:
        if self._connection is not None:
            await self._connection.rollback()

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()  # rolls back what was not committed


class SqlRepository:
    """Shared plumbing: the transaction and the dialect-specific ``INSERT … ON CONFLICT``."""

    def __init__(self, db: Transaction) -> None:
        self._db = db
        self._dialect = db.dialect

    def _insert(self, table: Any) -> sqlite.Insert | postgresql.Insert:
        return upsert_of(self._dialect, table)


def upsert_of(dialect: str, table: Any) -> sqlite.Insert | postgresql.Insert:
    """``INSERT`` with ``ON CONFLICT`` for ``dialect`` (a row class or a table)."""
    target: Table = getattr(table, "__table__", table)
    if dialect == "postgresql":
        return postgresql.insert(target)
    if dialect == "sqlite":
        return sqlite.insert(target)
    raise NotImplementedError(f"no upsert for {dialect}")


def rowcount(result: Result[Any]) -> int:
    """Rows a DELETE removed; both drivers report it for DELETE (not for every INSERT)."""
    return max(0, int(getattr(result, "rowcount", 0) or 0))


class IdentityTaken(Conflict, ValueError):
    """The platform account already belongs to a person (``people.add`` lost a race)."""


def upsert(
    table: Table, key: Sequence[str], *, update: Sequence[str] = (), returning: str = ""
) -> TextClause:
    """``INSERT … ON CONFLICT (key) DO NOTHING`` (or ``DO UPDATE`` of ``update``) of every
    column of ``table`` but its autoincrement key, as one textual statement both databases
    read alike, with each parameter typed by its column.

    SQLAlchemy 2.0 does not cache the compiled form of its ``on_conflict_*`` constructs, so
    the hot path's upserts (an event id, a dialog, a card's reference) would be compiled
    again at every call; a textual statement with typed parameters is compiled once.
    """
    columns = [c for c in table.columns if not (c.primary_key and c.autoincrement is True)]
    names = ", ".join(c.name for c in columns)
    values = ", ".join(f":{c.name}" for c in columns)
    action = (
        "DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in update)
        if update
        else "DO NOTHING"
    )
    conflict = ", ".join(key)
    sql = f"INSERT INTO {table.name} ({names}) VALUES ({values}) ON CONFLICT ({conflict}) {action}"
    if returning:
        sql += f" RETURNING {returning}"
    return text(sql).bindparams(*(bindparam(c.name, type_=c.type) for c in columns))
