"""Dialog state, one row per (platform, chat, user), in Core statements."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, Table, bindparam, delete, exists, select

from bot.clock import Clock
from bot.domain import ACTIVE_STATUSES, Conversation, Identity, Person
from bot.ports import Arrival
from storage.repositories.base import SqlRepository, Transaction, upsert
from storage.tables import ConversationRow, IdentityRow, PersonRow, TicketRow

CONVERSATIONS: Table = ConversationRow.__table__  # type: ignore[assignment]
IDENTITIES: Table = IdentityRow.__table__  # type: ignore[assignment]
PEOPLE: Table = PersonRow.__table__  # type: ignore[assignment]
TICKETS: Table = TicketRow.__table__  # type: ignore[assignment]
_SAVE = upsert(
    CONVERSATIONS,
    ("platform", "chat_id", "user_id"),
    update=("person_id", "state", "data", "updated_at"),
)


class SqlConversationRepository(SqlRepository):
    """Dialog state, one row per (platform, chat, user)."""

    def __init__(self, db: Transaction, clock: Clock) -> None:
        super().__init__(db)
        self._clock = clock

    async def get(self, platform: str, chat_id: str, user_id: str) -> Conversation | None:
        stmt = select(CONVERSATIONS).where(
            CONVERSATIONS.c.platform == platform,
            CONVERSATIONS.c.chat_id == chat_id,
            CONVERSATIONS.c.user_id == user_id,
        )
        row = (await self._db.execute(stmt)).first()
        return None if row is None else _conversation(row._mapping)

    async def with_person(self, identity: Identity, chat_id: str) -> Arrival:
        """Who an account belongs to, their dialog in ``chat_id`` and whether they have an
        open ticket, in one statement."""
        row = (
            await self._db.execute(
                _WITH_PERSON,
                {
                    "platform": identity.platform,
                    "external_id": identity.external_id,
                    "chat_id": chat_id,
                },
            )
        ).one()
        person = (
            None
            if row.id is None
            else Person(display_name=row.display_name, timezone=row.timezone, id=row.id)
        )
        conversation = None
        if row.state is not None:
            conversation = Conversation(
                platform=identity.platform,
                chat_id=chat_id,
                user_id=identity.external_id,
                person_id=row.person_id,
                state=row.state,
                data=dict(row.data),
                updated_at=row.updated_at,
            )
        return Arrival(person, conversation, bool(row.has_open_tickets))

    async def save(self, conversation: Conversation) -> None:
        """Insert or replace; stamps ``updated_at`` with now if the desk left it unset."""
        if conversation.updated_at is None:
            conversation.updated_at = self._clock.now()
        values = {
            "platform": conversation.platform,
            "chat_id": conversation.chat_id,
            "user_id": conversation.user_id,
            "person_id": conversation.person_id,
            "state": conversation.state,
            "data": dict(conversation.data),
            "updated_at": conversation.updated_at,
        }
        await self._db.execute(_SAVE, values)

    async def delete(self, conversation: Conversation) -> None:
        await self._db.execute(
            delete(CONVERSATIONS).where(
                CONVERSATIONS.c.platform == conversation.platform,
                CONVERSATIONS.c.chat_id == conversation.chat_id,
                CONVERSATIONS.c.user_id == conversation.user_id,
            )
        )

    async def idle_since(self, cutoff: datetime) -> list[Conversation]:
        stmt = (
            select(CONVERSATIONS)
            .where(CONVERSATIONS.c.updated_at < cutoff)
            .order_by(CONVERSATIONS.c.updated_at)
            .with_for_update(skip_locked=True)  # replicas expire each dialog once
        )
        return [_conversation(r._mapping) for r in await self._db.execute(stmt)]


def _conversation(row: Mapping[str, Any]) -> Conversation:
    return Conversation(
        platform=row["platform"],
        chat_id=row["chat_id"],
        user_id=row["user_id"],
        person_id=row["person_id"],
        state=row["state"],
        data=dict(row["data"]),
        updated_at=row["updated_at"],
    )


def _with_person() -> Select[Any]:
    """Built once: a statement rebuilt at each call costs its cache key every time."""
    key = select(
        bindparam("platform", type_=String()).label("platform"),
        bindparam("external_id", type_=String()).label("external_id"),
        bindparam("chat_id", type_=String()).label("chat_id"),
    ).subquery("key")
    return (
        select(
            PEOPLE.c.id,
            PEOPLE.c.display_name,
            PEOPLE.c.timezone,
            CONVERSATIONS.c.person_id,
            CONVERSATIONS.c.state,
            CONVERSATIONS.c.data,
            CONVERSATIONS.c.updated_at,
            exists()
            .where(
                TICKETS.c.requester_id == PEOPLE.c.id,
                TICKETS.c.status.in_(sorted(s.value for s in ACTIVE_STATUSES)),
            )
            .label("has_open_tickets"),
        )
        .select_from(key)
        .outerjoin(
            IDENTITIES,
            (IDENTITIES.c.platform == key.c.platform)
            & (IDENTITIES.c.external_id == key.c.external_id),
        )
        .outerjoin(PEOPLE, PEOPLE.c.id == IDENTITIES.c.person_id)
        .outerjoin(
            CONVERSATIONS,
            (CONVERSATIONS.c.platform == key.c.platform)
            & (CONVERSATIONS.c.chat_id == key.c.chat_id)
            & (CONVERSATIONS.c.user_id == key.c.external_id),
        )
    )


_WITH_PERSON = _with_person()
