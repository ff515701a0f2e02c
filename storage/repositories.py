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

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Result, Table, delete, func, insert, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.domain import (
    ChatAddress,
    Comment,
    CommentKind,
    Conversation,
    HistoryEntry,
    Identity,
    OnCallOverride,
    Person,
    SelfServiceResolution,
    Status,
    Ticket,
)
from bot.errors import Conflict
from bot.knowledge import Article
from bot.messages import OutboxItem, Route, RouteKind
from bot.ports import CardRef
from storage.codec import decode_message, encode_message
from storage.tables import (
    CARD,
    PENDING,
    ArticleRow,
    CommentRow,
    ConversationRow,
    HistoryRow,
    IdentityRow,
    InboundEventRow,
    MessageRefRow,
    OnCallOverrideRow,
    OutboxRow,
    PersonRow,
    PingStageRow,
    SelfServiceRow,
    TicketRow,
)

__all__ = [
    "IdentityTaken",
    "SqlConversationRepository",
    "SqlInboundRepository",
    "SqlKnowledgeRepository",
    "SqlOnCallRepository",
    "SqlOutboxRepository",
    "SqlPersonRepository",
    "SqlPingRepository",
    "SqlTicketRepository",
]


class IdentityTaken(Conflict, ValueError):
    """The platform account already belongs to a person (``people.add`` lost a race)."""


class _SqlRepository:
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


# -- tickets -------------------------------------------------------------------------------


class SqlTicketRepository(_SqlRepository):
    """Tickets, their history and their comments.

    Rows read in this unit of work are kept referenced, so ``save`` updates them without
    reading them again (the session itself holds them only weakly).
    """

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._rows: dict[int, TicketRow] = {}
        self._history: list[dict[str, Any]] = []

    async def write_queued(self) -> None:
        """Write the history lines queued by ``add_history`` in one statement."""
        if self._history:
            rows, self._history = self._history, []
            await self._session.execute(insert(HistoryRow), rows)

    def discard_queued(self) -> None:
        """Forget queued history and the rows kept for ``save`` (the transaction rolled back)."""
        self._history.clear()
        self._rows.clear()

    def _keep(self, row: TicketRow) -> Ticket:
        self._rows[row.number] = row
        return _ticket_from_row(row)

    async def add(self, ticket: Ticket) -> Ticket:
        if ticket.number is not None:
            raise ValueError(f"ticket {ticket.ref} is already stored")
        row = TicketRow()
        _ticket_to_row(ticket, row)
        self._session.add(row)
        await self._session.flush()
        ticket.number = row.number
        self._rows[row.number] = row
        return ticket

    async def get(self, number: int) -> Ticket | None:
        # Locked and re-read: the caller is about to decide something from this state.
        stmt = (
            select(TicketRow)
            .where(TicketRow.number == number)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        row = await self._session.scalar(stmt)
        return None if row is None else self._keep(row)

    async def save(self, ticket: Ticket) -> None:
        if ticket.number is None:
            raise ValueError("ticket has no number; add it first")
        row = self._rows.get(ticket.number) or await self._session.get(TicketRow, ticket.number)
        if row is None:
            raise LookupError(f"ticket {ticket.ref} does not exist")
        _ticket_to_row(ticket, row)  # written at the next flush (a query or the commit)

    async def add_history(self, entry: HistoryEntry) -> None:
        self._history.append(  # written with the others before a read or at commit
            {
                "ticket_number": entry.ticket_number,
                "at": entry.at,
                "action": entry.action,
                "actor_id": entry.actor_id,
                "source": entry.source,
                "detail": entry.detail,
            }
        )

    async def history(self, number: int) -> list[HistoryEntry]:
        await self.write_queued()
        stmt = (
            select(HistoryRow)
            .where(HistoryRow.ticket_number == number)
            .order_by(HistoryRow.at, HistoryRow.id)
        )
        return [
            HistoryEntry(
                ticket_number=r.ticket_number,
                at=r.at,
                action=r.action,
                actor_id=r.actor_id,
                source=r.source,
                detail=r.detail,
                id=r.id,
            )
            for r in await self._session.scalars(stmt)
        ]

    async def add_comment(self, comment: Comment) -> None:
        self._session.add(
            CommentRow(
                ticket_number=comment.ticket_number,
                at=comment.at,
                author_id=comment.author_id,
                kind=comment.kind.value,
                text=comment.text,
                source=comment.source,
            )
        )
        # inserted with the others at the next flush

    async def comments(
        self, number: int, *, kind: CommentKind | None = None, limit: int | None = None
    ) -> list[Comment]:
        stmt = (
            select(CommentRow)
            .where(CommentRow.ticket_number == number)
            .order_by(CommentRow.at, CommentRow.id)
            .limit(limit)
        )
        if kind is not None:
            stmt = stmt.where(CommentRow.kind == kind.value)
        return [
            Comment(
                ticket_number=r.ticket_number,
                at=r.at,
                author_id=r.author_id,
                kind=CommentKind(r.kind),
                text=r.text,
                source=r.source,
                id=r.id,
            )
            for r in await self._session.scalars(stmt)
        ]

    # Last in the class: a method named ``list`` shadows the builtin in annotations after it.
    async def list(
        self,
        *,
        statuses: Sequence[Status] = (),
        tiers: Sequence[str] = (),
        requester_id: int | None = None,
        limit: int | None = None,
    ) -> list[Ticket]:
        stmt = select(TicketRow).order_by(TicketRow.number.desc())
        if statuses:
            stmt = stmt.where(TicketRow.status.in_([Status(s).value for s in statuses]))
        if tiers:
            stmt = stmt.where(TicketRow.tier.in_(list(tiers)))
        if requester_id is not None:
            stmt = stmt.where(TicketRow.requester_id == requester_id)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [_ticket_from_row(r) for r in await self._session.scalars(stmt)]

    async def due_for_ping(self, now: datetime, limit: int) -> list[Ticket]:
        """Tickets whose ``next_ping_at`` has come, by that index alone; locked, and on
        PostgreSQL skipping rows another replica's tick holds."""
        stmt = (
            select(TicketRow)
            .where(TicketRow.next_ping_at <= now)
            .order_by(TicketRow.next_ping_at, TicketRow.number)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        return [self._keep(r) for r in await self._session.scalars(stmt)]


def _ticket_to_row(ticket: Ticket, row: TicketRow) -> None:
    row.requester_id = ticket.requester_id
    row.requester_chat_platform = ticket.requester_chat.platform
    row.requester_chat_id = ticket.requester_chat.chat_id
    row.summary = ticket.summary
    row.details = ticket.details
    row.impact = ticket.impact
    row.can_work = ticket.can_work
    row.urgency = ticket.urgency
    row.priority = ticket.priority
    row.tier = ticket.tier
    row.chain = list(ticket.chain)
    row.category = ticket.category
    row.product = ticket.product
    row.version = ticket.version
    row.version_supported = ticket.version_supported
    row.status = Status(ticket.status).value
    row.assignee_id = ticket.assignee_id
    row.created_at = ticket.created_at
    row.updated_at = ticket.updated_at
    row.response_due_at = ticket.response_due_at
    row.resolution_due_at = ticket.resolution_due_at
    row.first_response_at = ticket.first_response_at
    row.resolved_at = ticket.resolved_at
    row.closed_at = ticket.closed_at
    row.resolution_note = ticket.resolution_note
    row.rating = ticket.rating
    row.policy = ticket.policy
    row.response_warn_at = ticket.response_warn_at
    row.resolution_warn_at = ticket.resolution_warn_at
    row.resolution_started_at = ticket.resolution_started_at
    row.paused_at = ticket.paused_at
    row.paused_seconds = ticket.paused_seconds
    row.update_due_at = ticket.update_due_at
    row.next_ping_at = ticket.next_ping_at
    row.escalation = dict(ticket.escalation) if ticket.escalation is not None else None


def _ticket_from_row(row: TicketRow) -> Ticket:
    return Ticket(
        number=row.number,
        requester_id=row.requester_id,
        requester_chat=ChatAddress(row.requester_chat_platform, row.requester_chat_id),
        summary=row.summary,
        details=row.details,
        impact=row.impact,
        can_work=row.can_work,
        urgency=row.urgency,
        priority=row.priority,
        tier=row.tier,
        chain=tuple(row.chain),
        category=row.category,
        product=row.product,
        version=row.version,
        version_supported=row.version_supported,
        status=Status(row.status),
        assignee_id=row.assignee_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        response_due_at=row.response_due_at,
        resolution_due_at=row.resolution_due_at,
        first_response_at=row.first_response_at,
        resolved_at=row.resolved_at,
        closed_at=row.closed_at,
        resolution_note=row.resolution_note,
        rating=row.rating,
        policy=row.policy,
        response_warn_at=row.response_warn_at,
        resolution_warn_at=row.resolution_warn_at,
        resolution_started_at=row.resolution_started_at,
        paused_at=row.paused_at,
        paused_seconds=row.paused_seconds,
        update_due_at=row.update_due_at,
        next_ping_at=row.next_ping_at,
        escalation=dict(row.escalation) if row.escalation is not None else None,
    )


# -- people --------------------------------------------------------------------------------


class SqlPersonRepository(_SqlRepository):
    """People and the platform accounts that identify them."""

    async def get(self, person_id: int) -> Person | None:
        row = await self._session.get(PersonRow, person_id)
        return None if row is None else _person_from_row(row)

    async def names(self, person_ids: Iterable[int | None]) -> dict[int, str]:
        wanted = {i for i in person_ids if i is not None}
        if not wanted:
            return {}
        stmt = select(PersonRow.id, PersonRow.display_name).where(PersonRow.id.in_(wanted))
        found = dict((await self._session.execute(stmt)).tuples().all())
        return {i: found.get(i, "?") for i in wanted}

    async def by_identity(self, identity: Identity) -> Person | None:
        stmt = (
            select(PersonRow)
            .join(IdentityRow, IdentityRow.person_id == PersonRow.id)
            .where(
                IdentityRow.platform == identity.platform,
                IdentityRow.external_id == identity.external_id,
            )
        )
        row = await self._session.scalar(stmt)
        return None if row is None else _person_from_row(row)

    async def add(self, person: Person, identity: Identity) -> Person:
        """Store ``person`` with ``identity``; :class:`IdentityTaken` if it is someone's."""
        if person.id is not None:
            raise ValueError(f"person {person.id} is already stored")
        row = PersonRow(display_name=person.display_name, timezone=person.timezone)
        try:
            # A savepoint, so a lost race leaves the caller's transaction usable.
            async with self._session.begin_nested():
                self._session.add(row)
                await self._session.flush()
                self._session.add(
                    IdentityRow(
                        platform=identity.platform,
                        external_id=identity.external_id,
                        person_id=row.id,
                    )
                )
                await self._session.flush()
        except IntegrityError as exc:
            raise IdentityTaken(f"{identity} already belongs to a person") from exc
        person.id = row.id
        return person

    async def save(self, person: Person) -> None:
        if person.id is None:
            raise ValueError("person has no id; add them first")
        row = await self._session.get(PersonRow, person.id)
        if row is None:
            raise LookupError(f"person {person.id} does not exist")
        row.display_name = person.display_name
        row.timezone = person.timezone
        await self._session.flush()

    async def identities(self, person_id: int) -> list[Identity]:
        stmt = (
            select(IdentityRow.platform, IdentityRow.external_id)
            .where(IdentityRow.person_id == person_id)
            .order_by(IdentityRow.platform, IdentityRow.external_id)
        )
        return [Identity(p, e) for p, e in await self._session.execute(stmt)]


def _person_from_row(row: PersonRow) -> Person:
    return Person(display_name=row.display_name, timezone=row.timezone, id=row.id)


# -- conversations -------------------------------------------------------------------------


class SqlConversationRepository(_SqlRepository):
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


# -- knowledge -----------------------------------------------------------------------------


class SqlKnowledgeRepository(_SqlRepository):
    """Articles written in chat (or imported), and self-service resolutions."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        super().__init__(session)
        self._clock = clock

    async def articles(self) -> list[Article]:
        stmt = select(ArticleRow).order_by(ArticleRow.id).execution_options(populate_existing=True)
        return [_article_from_row(r) for r in await self._session.scalars(stmt)]

    async def get(self, article_id: str) -> Article | None:
        row = await self._session.get(ArticleRow, article_id, populate_existing=True)
        return None if row is None else _article_from_row(row)

    async def put(self, article: Article) -> None:
        now = self._clock.now()
        values = {
            "title": article.title,
            "body": article.body,
            "keywords": list(article.keywords),
            "tags": list(article.tags),
            "source": article.source,
            "draft": article.draft,
            "updated_at": now,
        }
        stmt = self._insert(ArticleRow).values(id=article.id, created_at=now, **values)
        await self._session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=values))

    async def remove(self, article_id: str) -> bool:
        result = await self._session.execute(delete(ArticleRow).where(ArticleRow.id == article_id))
        return _rowcount(result) > 0

    async def add_self_service(self, record: SelfServiceResolution) -> None:
        self._session.add(
            SelfServiceRow(
                person_id=record.person_id,
                article_id=record.article_id,
                query=record.query,
                at=record.at,
            )
        )
        await self._session.flush()

    async def self_service_count(self) -> int:
        count = await self._session.scalar(select(func.count()).select_from(SelfServiceRow))
        return int(count or 0)

    async def helpful_counts(self) -> dict[str, int]:
        stmt = select(SelfServiceRow.article_id, func.count()).group_by(SelfServiceRow.article_id)
        return {article_id: int(n) for article_id, n in (await self._session.execute(stmt)).all()}


def _article_from_row(row: ArticleRow) -> Article:
    return Article(
        id=row.id,
        title=row.title,
        body=row.body,
        keywords=tuple(row.keywords),
        tags=tuple(row.tags),
        source=row.source,
        draft=row.draft,
    )


def _rowcount(result: Result[Any]) -> int:
    """Rows a DELETE removed; both drivers report it for DELETE (not for every INSERT)."""
    return max(0, int(getattr(result, "rowcount", 0) or 0))


# -- inbound -------------------------------------------------------------------------------


class SqlInboundRepository(_SqlRepository):
    """Platform event ids seen, so a redelivered event is handled once."""

    async def first_time(self, platform: str, event_id: str, at: datetime) -> bool:
        # RETURNING rather than rowcount: drivers disagree on INSERT rowcounts (psycopg's
        # is gone once SQLAlchemy closes the cursor), but a returned row means "inserted".
        stmt = (
            self._insert(InboundEventRow)
            .values(platform=platform, event_id=event_id, received_at=at)
            .on_conflict_do_nothing(index_elements=["platform", "event_id"])
            .returning(InboundEventRow.event_id)
        )
        result = await self._session.execute(stmt)
        return result.first() is not None

    async def prune(self, before: datetime) -> int:
        stmt = delete(InboundEventRow).where(InboundEventRow.received_at < before)
        return _rowcount(await self._session.execute(stmt))


# -- outbox --------------------------------------------------------------------------------


def _outbox_values(item: OutboxItem) -> dict[str, Any]:
    route = item.route
    return {
        "platform": route.platform,
        "kind": RouteKind(route.kind).value,
        "chat_id": route.chat_id,
        "user_id": route.user_id,
        "card_key": route.card_key,
        "thread_key": route.thread_key,
        "label": route.label,
        "zone": route.zone,
        "message": encode_message(item.message),
        "ticket_number": item.ticket_number,
        "created_at": item.created_at,
        "attempts": item.attempts,
        "next_attempt_at": item.next_attempt_at,
        "delivered_at": item.delivered_at,
        "failed_at": None,
        "last_error": item.last_error,
        "extra": dict(item.extra),
    }


class SqlOutboxRepository(_SqlRepository):
    """Messages waiting for delivery, and the platform ids of the cards already sent.

    An item is pending while ``delivered_at`` and ``failed_at`` are both unset. A failure with
    a retry time moves ``next_attempt_at``; one without gives up by setting ``failed_at``,
    which keeps the row (and its ``last_error``) for inspection but out of :meth:`due`.
    """

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._queued: list[OutboxItem] = []

    async def add(self, item: OutboxItem) -> None:
        """Queue ``item``; rows are written together (one statement) before the next read of
        the outbox or at commit, which also sets ``item.id``."""
        self._queued.append(item)

    def discard_queued(self) -> None:
        """Forget items not yet written (the transaction rolled back)."""
        self._queued.clear()

    async def write_queued(self) -> None:
        if not self._queued:
            return
        queued, self._queued = self._queued, []
        table: Table = OutboxRow.__table__  # type: ignore[assignment]
        # One executemany: SQLAlchemy batches it into multi-row INSERTs ("insertmanyvalues")
        # from a cached statement. Both databases number the rows in the order given, so the
        # sorted ids match the items. (RETURNING's sort_by_parameter_order would promise it,
        # but without a sentinel column SQLAlchemy then sends one INSERT per row: the SLA
        # tick went from 48 to 110 ms.)
        result = await self._session.execute(
            insert(table).returning(table.c.id), [_outbox_values(i) for i in queued]
        )
        for item, item_id in zip(queued, sorted(result.scalars().all()), strict=True):
            item.id = item_id

    async def due(self, now: datetime, platforms: Sequence[str], limit: int) -> list[OutboxItem]:
        await self.write_queued()
        if not platforms or limit <= 0:
            return []
        stmt = (
            select(OutboxRow)
            .where(
                PENDING,
                OutboxRow.platform.in_(list(platforms)),
                or_(OutboxRow.next_attempt_at.is_(None), OutboxRow.next_attempt_at <= now),
            )
            .order_by(OutboxRow.created_at, OutboxRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # SQLite has no row locks; it renders nothing
            .execution_options(populate_existing=True)
        )
        return [_outbox_from_row(r) for r in await self._session.scalars(stmt)]

    async def mark_delivered(self, item_id: int, at: datetime, message_id: str = "") -> None:
        await self._update(
            item_id, attempts=OutboxRow.attempts + 1, delivered_at=at, sent_id=message_id
        )

    async def mark_failed(
        self, item_id: int, error: str, retry_at: datetime | None, at: datetime
    ) -> None:
        """Also ends the sender's lease, so its heartbeat cannot push the retry time back."""
        when = {"failed_at": at} if retry_at is None else {"next_attempt_at": retry_at}
        await self._update(
            item_id, attempts=OutboxRow.attempts + 1, last_error=error, lease_owner="", **when
        )

    async def lease(
        self, item_id: int, until: datetime, *, owner: str = "", at: datetime | None = None
    ) -> None:
        values: dict[str, Any] = {"next_attempt_at": until, "lease_owner": owner}
        if owner:
            first = literal(at, OutboxRow.__table__.c.leased_at.type)  # type: ignore[attr-defined]
            values["leased_at"] = func.coalesce(OutboxRow.leased_at, first)
        await self._update(item_id, **values)

    async def renew(self, owner: str, until: datetime) -> int:
        await self.write_queued()
        stmt = (
            update(OutboxRow)
            .where(PENDING, OutboxRow.lease_owner == owner)
            .values(next_attempt_at=until)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(await self._session.execute(stmt))

    async def card_pending(self, platform: str, chat_id: str, card_key: str) -> datetime | None:
        await self.write_queued()
        stmt = (
            select(func.coalesce(OutboxRow.next_attempt_at, OutboxRow.created_at))
            .where(
                OutboxRow.platform == platform,
                OutboxRow.chat_id == chat_id,
                OutboxRow.card_key == card_key,
                CARD,
                PENDING,
            )
            .order_by(OutboxRow.id)
            .limit(1)
        )
        found: datetime | None = await self._session.scalar(stmt)
        return found

    async def superseded(self, item: OutboxItem) -> bool:
        """True if a later item for the same card was queued, whatever became of it: a late
        retry of an old version must not overwrite a newer one already shown."""
        await self.write_queued()
        route = item.route
        if not route.card_key or item.id is None:
            return False
        stmt = select(
            select(OutboxRow.id)
            .where(
                OutboxRow.platform == route.platform,
                OutboxRow.chat_id == route.chat_id,
                OutboxRow.card_key == route.card_key,
                CARD,  # the partial index's own condition, so the planner can use it
                OutboxRow.id > item.id,
            )
            .exists()
        )
        return bool(await self._session.scalar(stmt))

    async def prune(self, before: datetime) -> int:
        await self.write_queued()
        stmt = delete(OutboxRow).where(
            or_(OutboxRow.delivered_at < before, OutboxRow.failed_at < before)
        )
        return _rowcount(await self._session.execute(stmt))

    async def put_ref(
        self, platform: str, chat_id: str, key: str, message_id: str, digest: str = ""
    ) -> None:
        await self.write_queued()
        stmt = (
            self._insert(MessageRefRow)
            .values(
                platform=platform, chat_id=chat_id, key=key, message_id=message_id, digest=digest
            )
            .on_conflict_do_update(
                index_elements=["platform", "chat_id", "key"],
                set_={"message_id": message_id, "digest": digest},
            )
        )
        await self._session.execute(stmt)

    async def card_ref(self, platform: str, chat_id: str, key: str) -> CardRef | None:
        await self.write_queued()
        stmt = select(MessageRefRow.message_id, MessageRefRow.digest).where(
            MessageRefRow.platform == platform,
            MessageRefRow.chat_id == chat_id,
            MessageRefRow.key == key,
        )
        row = (await self._session.execute(stmt)).first()
        return CardRef(row.message_id, row.digest) if row is not None else None

    async def get_ref(self, platform: str, chat_id: str, key: str) -> str | None:
        await self.write_queued()
        stmt = select(MessageRefRow.message_id).where(
            MessageRefRow.platform == platform,
            MessageRefRow.chat_id == chat_id,
            MessageRefRow.key == key,
        )
        found: str | None = await self._session.scalar(stmt)
        return found

    async def key_of(self, platform: str, chat_id: str, message_id: str) -> str | None:
        await self.write_queued()
        stmt = (
            select(MessageRefRow.key)
            .where(
                MessageRefRow.platform == platform,
                MessageRefRow.chat_id == chat_id,
                MessageRefRow.message_id == message_id,
            )
            .order_by(MessageRefRow.key)
            .limit(1)
        )
        found: str | None = await self._session.scalar(stmt)
        return found

    async def _update(self, item_id: int, **values: Any) -> None:
        """One UPDATE (no read of the row and its message first)."""
        await self.write_queued()
        stmt = (
            update(OutboxRow)
            .where(OutboxRow.id == item_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(await self._session.execute(stmt)) == 0:
            raise LookupError(f"outbox item {item_id} does not exist")


def _outbox_from_row(row: OutboxRow) -> OutboxItem:
    return OutboxItem(
        id=row.id,
        route=Route(
            platform=row.platform,
            kind=RouteKind(row.kind),
            chat_id=row.chat_id,
            user_id=row.user_id,
            card_key=row.card_key,
            thread_key=row.thread_key,
            label=row.label,
            zone=row.zone,
        ),
        message=decode_message(row.message),
        created_at=row.created_at,
        ticket_number=row.ticket_number,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        delivered_at=row.delivered_at,
        last_error=row.last_error,
        extra={str(k): str(v) for k, v in row.extra.items()},
        leased_at=row.leased_at,
    )


# -- SLA ping stages and on-call overrides ------------------------------------------------


class SqlPingRepository(_SqlRepository):
    """Recorded ping stages per ticket; the primary key makes each stage happen once."""

    async def stages_of(self, numbers: Sequence[int]) -> dict[int, dict[str, datetime]]:
        found: dict[int, dict[str, datetime]] = {n: {} for n in numbers}
        if not numbers:
            return found
        stmt = select(PingStageRow.ticket_number, PingStageRow.key, PingStageRow.at).where(
            PingStageRow.ticket_number.in_(list(numbers))
        )
        for number, key, at in (await self._session.execute(stmt)).all():
            found[number][key] = at
        return found

    async def record_many(
        self, stages: Sequence[tuple[int, str]], at: datetime, actor_id: int | None = None
    ) -> set[tuple[int, str]]:
        if not stages:
            return set()
        rows = [{"ticket_number": n, "key": k, "at": at, "actor_id": actor_id} for n, k in stages]
        stmt = (
            self._insert(PingStageRow)
            .values(rows)
            .on_conflict_do_nothing()
            .returning(PingStageRow.ticket_number, PingStageRow.key)
        )
        return {(n, k) for n, k in (await self._session.execute(stmt)).all()}

    async def count_since(self, kind: str, since: datetime) -> dict[int, int]:
        """Stages whose key contains ``:kind`` recorded since ``since``, per ticket."""
        stmt = (
            select(PingStageRow.ticket_number, func.count())
            .where(PingStageRow.at >= since, PingStageRow.key.like(f"%:{kind}%"))
            .group_by(PingStageRow.ticket_number)
        )
        return {n: c for n, c in (await self._session.execute(stmt)).all()}


class SqlOnCallRepository(_SqlRepository):
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
