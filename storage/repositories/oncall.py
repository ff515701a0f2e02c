"""On-call overrides taken from chat, in Core statements."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import Table, insert, select

from bot.domain import Identity
from bot.domain.oncall import OnCallOverride
from storage.repositories.base import SqlRepository
from storage.tables import OnCallOverrideRow

OVERRIDES: Table = OnCallOverrideRow.__table__  # type: ignore[assignment]


class SqlOnCallRepository(SqlRepository):
    async def add(self, override: OnCallOverride) -> OnCallOverride:
        stmt = insert(OVERRIDES).values(
            tier=override.tier,
            platform=override.person.platform,
            external_id=override.person.external_id,
            starts_at=override.starts_at,
            ends_at=override.ends_at,
            created_at=override.created_at,
        )
        override_id = (await self._db.execute(stmt.returning(OVERRIDES.c.id))).scalar_one()
        return replace(override, id=override_id)

    async def overlapping(self, start: datetime, end: datetime) -> list[OnCallOverride]:
        """Overrides of any tier that are in force at some instant of [start, end)."""
        stmt = (
            select(OVERRIDES)
            .where(OVERRIDES.c.ends_at > start, OVERRIDES.c.starts_at < end)
            .order_by(OVERRIDES.c.created_at, OVERRIDES.c.id)
        )
        return [
            OnCallOverride(
                r.tier,
                Identity(r.platform, r.external_id),
                r.starts_at,
                r.ends_at,
                r.created_at,
                r.id,
            )
            for r in await self._db.execute(stmt)
        ]
