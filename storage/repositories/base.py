"""SQL implementations of the desk's repository ports (:mod:`bot.ports`).

Each repository works inside the one ``AsyncSession`` of its unit of work and never commits.
Rows are mapped to fresh ``bot`` dataclasses on the way out, so the desk never holds an ORM
object. Writes are flushed at once, so a constraint error surfaces at the call that caused it.

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

from typing import Any

from sqlalchemy import Result, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import Conflict


class SqlRepository:
    """Shared plumbing: the session and the dialect-specific ``INSERT … ON CONFLICT``."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._dialect = session.get_bind().dialect.name

    def _insert(self, table: Any) -> sqlite.Insert | postgresql.Insert:
        target: Table = table.__table__
        if self._dialect == "postgresql":
            return postgresql.insert(target)
        if self._dialect == "sqlite":
            return sqlite.insert(target)
        raise NotImplementedError(f"no upsert for {self._dialect}")


def rowcount(result: Result[Any]) -> int:
    """Rows a DELETE removed; both drivers report it for DELETE (not for every INSERT)."""
    return max(0, int(getattr(result, "rowcount", 0) or 0))


class IdentityTaken(Conflict, ValueError):
    """The platform account already belongs to a person (``people.add`` lost a race)."""
