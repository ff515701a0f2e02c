"""Recorded SLA ping stages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select

from storage.repositories.base import SqlRepository
from storage.tables import (
    PingStageRow,
)


class SqlPingRepository(SqlRepository):
    """Recorded ping stages per ticket; the primary key makes each stage happen once."""

    async def stages_of(self, numbers: Sequence[int]) -> dict[int, dict[str, datetime]]:
        found: dict[int, dict[str, datetime]] = {n: {} for n in numbers}
        if not numbers:
            return found
        stmt = select(PingStageRow.ticket_number, PingStageRow.key, PingStageRow.at).where(
            PingStageRow.ticket_number.in_(list(numbers))
        )
        for number, key, at in (await self._db.execute(stmt)).all():
            found[number][key] = at
        return found

    async def record_many(
        self, stages: Sequence[tuple[int, str]], at: datetime, actor_id: int | None = None
    ) -> set[tuple[int, str]]:
        if not stages:
            return set()
        rows = [{"ticket_number": n, "key": k, "at": at, "actor_id": actor_id} for n, k in stages]
        # An executemany of a one-row statement (batched into multi-row INSERTs by
        # SQLAlchemy), not one statement of all the rows: that one was compiled anew for
        # every batch size (14 ms for a tick of 145 stages).
        stmt = (
            self._insert(PingStageRow)
            .on_conflict_do_nothing()
            .returning(PingStageRow.ticket_number, PingStageRow.key)
        )
        return {(n, k) for n, k in (await self._db.execute(stmt, rows)).all()}

    async def count_since(self, kind: str, since: datetime) -> dict[int, int]:
        """Stages whose key contains ``:kind`` recorded since ``since``, per ticket."""
        stmt = (
            select(PingStageRow.ticket_number, func.count())
            .where(PingStageRow.at >= since, PingStageRow.key.like(f"%:{kind}%"))
            .group_by(PingStageRow.ticket_number)
        )
        return {n: c for n, c in (await self._db.execute(stmt)).all()}
