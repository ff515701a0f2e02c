"""Platform event ids already handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete

from storage.repositories.base import SqlRepository, rowcount, upsert
from storage.tables import (
    InboundEventRow,
)

_FIRST_TIME = upsert(
    InboundEventRow.__table__,  # type: ignore[arg-type]
    ("platform", "event_id"),
    returning="event_id",
)


class SqlInboundRepository(SqlRepository):
    """Platform event ids seen, so a redelivered event is handled once."""

    async def first_time(self, platform: str, event_id: str, at: datetime) -> bool:
        # RETURNING rather than rowcount: drivers disagree on INSERT rowcounts (psycopg's
        # is gone once SQLAlchemy closes the cursor), but a returned row means "inserted".
        values = {"platform": platform, "event_id": event_id, "received_at": at}
        result = await self._db.execute(_FIRST_TIME, values)
        return result.first() is not None

    async def prune(self, before: datetime) -> int:
        stmt = delete(InboundEventRow).where(InboundEventRow.received_at < before)
        return rowcount(await self._db.execute(stmt))
