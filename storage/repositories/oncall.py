"""On-call overrides taken from chat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.domain import (
    Identity,
)
from bot.domain.oncall import OnCallOverride
from storage.repositories.base import SqlRepository
from storage.tables import (
    OnCallOverrideRow,
)


class SqlOnCallRepository(SqlRepository):
    async def add(self, override: OnCallOverride) -> OnCallOverride:
        row = OnCallOverrideRow(
            tier=override.tier,
            platform=override.person.platform,
            external_id=override.person.external_id,
            starts_at=override.starts_at,
            ends_at=override.ends_at,
            created_at=override.created_at,
        )
        self._session.add(row)
        await self._session.flush()
        return OnCallOverride(
            override.tier,
            override.person,
            override.starts_at,
            override.ends_at,
            override.created_at,
            row.id,
        )

    async def overlapping(self, start: datetime, end: datetime) -> list[OnCallOverride]:
        """Overrides of any tier that are in force at some instant of [start, end)."""
        stmt = (
            select(OnCallOverrideRow)
            .where(OnCallOverrideRow.ends_at > start, OnCallOverrideRow.starts_at < end)
            .order_by(OnCallOverrideRow.created_at, OnCallOverrideRow.id)
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
            for r in await self._session.scalars(stmt)
        ]
