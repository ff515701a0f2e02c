"""Dialog state, one row per (platform, chat, user)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.domain import (
    Conversation,
)
from storage.repositories.base import SqlRepository
from storage.tables import (
    ConversationRow,
)


class SqlConversationRepository(SqlRepository):
    """Intake dialog state, one row per (platform, chat, user)."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        super().__init__(session)
        self._clock = clock

    async def get(self, platform: str, chat_id: str, user_id: str) -> Conversation | None:
        row = await self._session.get(
            ConversationRow, (platform, chat_id, user_id), populate_existing=True
        )
        return None if row is None else _conversation_from_row(row)

    async def save(self, conversation: Conversation) -> None:
        """Insert or replace; stamps ``updated_at`` with now if the desk left it unset."""
        if conversation.updated_at is None:
            conversation.updated_at = self._clock.now()
        values = {
            "person_id": conversation.person_id,
            "state": conversation.state,
            "data": dict(conversation.data),
            "updated_at": conversation.updated_at,
        }
        stmt = self._insert(ConversationRow).values(
            platform=conversation.platform,
            chat_id=conversation.chat_id,
            user_id=conversation.user_id,
            **values,
        )
        await self._session.execute(
            stmt.on_conflict_do_update(
                index_elements=["platform", "chat_id", "user_id"], set_=values
            )
        )

    async def delete(self, conversation: Conversation) -> None:
        await self._session.execute(
            delete(ConversationRow)
            .where(
                ConversationRow.platform == conversation.platform,
                ConversationRow.chat_id == conversation.chat_id,
                ConversationRow.user_id == conversation.user_id,
            )
            .execution_options(synchronize_session="fetch")
        )

    async def idle_since(self, cutoff: datetime) -> list[Conversation]:
        stmt = (
            select(ConversationRow)
            .where(ConversationRow.updated_at < cutoff)
            .order_by(ConversationRow.updated_at)
            .execution_options(populate_existing=True)
        )
        return [_conversation_from_row(r) for r in await self._session.scalars(stmt)]


def _conversation_from_row(row: ConversationRow) -> Conversation:
    return Conversation(
        platform=row.platform,
        chat_id=row.chat_id,
        user_id=row.user_id,
        person_id=row.person_id,
        state=row.state,
        data=dict(row.data),
        updated_at=row.updated_at,
    )
