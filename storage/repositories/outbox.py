"""Messages waiting for delivery, and the platform ids of the cards already sent."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)

from bot.messages import OutboxItem, Route, RouteKind
from bot.ports import CardRef, RefKey
from storage.codec import decode_message, encode_message
from storage.pool import urgent
from storage.repositories.base import SqlRepository, rowcount
from storage.tables import (
    CARD,
    PENDING,
    MessageRefRow,
    OutboxRow,
)

OUTBOX: Table = OutboxRow.__table__  # type: ignore[assignment]


def _outbox_values(item: OutboxItem) -> dict[str, Any]:
    """A new message as a row: what varies (attempts, errors, leases start from defaults)."""
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
        "next_attempt_at": item.next_attempt_at,
    }


class SqlOutboxRepository(SqlRepository):
    """Messages waiting for delivery, and the platform ids of the cards already sent.

    An item is pending while ``delivered_at`` and ``failed_at`` are both unset. A failure with
    a retry time moves ``next_attempt_at``; one without gives up by setting ``failed_at``,
    which keeps the row (and its ``last_error``) for inspection but out of :meth:`due`.

    The statements that open the dispatcher's transactions (reading due items, recording,
    renewing leases) are :func:`~storage.pool.urgent`: they get the next free connection
    before the use cases queued for one, so replies go out while a burst is being handled.
    """

    async def add_many(self, items: Sequence[OutboxItem]) -> None:
        """One statement for every message of a command (or a tick's batch); sets their ids.

        An executemany SQLAlchemy sends as multi-row INSERTs ("insertmanyvalues") from a
        cached statement. Both databases number the rows in the order given, so the sorted
        ids match the items. (RETURNING's sort_by_parameter_order would promise it, but
        without a sentinel column SQLAlchemy then sends one INSERT per row.)"""
        if not items:
            return
        result = await self._db.execute(
            insert(OUTBOX).returning(OUTBOX.c.id), [_outbox_values(i) for i in items]
        )
        for item, item_id in zip(items, sorted(result.scalars().all()), strict=True):
            item.id = item_id

    async def due(self, now: datetime, platforms: Sequence[str], limit: int) -> list[OutboxItem]:
        if not platforms or limit <= 0:
            return []
        with urgent():
            rows = await self._db.execute(
                _DUE, {"platforms": list(platforms), "now": now, "limit": limit}
            )
        return [_outbox_from_row(r) for r in rows]

    async def mark_delivered(self, item_id: int, at: datetime, message_id: str = "") -> None:
        await self._update(
            item_id, attempts=OutboxRow.attempts + 1, delivered_at=at, sent_id=message_id
        )

    async def mark_delivered_many(self, sent: Mapping[int, str], at: datetime) -> None:
        """One statement (an executemany of one prepared UPDATE): item id → platform id."""
        if not sent:
            return
        rows = [{"b_id": i, "b_sent": s, "b_at": at} for i, s in sent.items()]
        with urgent():
            await self._db.execute(_DELIVERED, rows)

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
        await self.lease_many([item_id], until, owner=owner, at=at)

    async def lease_many(
        self,
        item_ids: Collection[int],
        until: datetime,
        *,
        owner: str = "",
        at: datetime | None = None,
    ) -> None:
        if not item_ids:
            return
        values = {"ids": list(item_ids), "until": until, "owner": owner}
        with urgent():
            if owner:  # a sender: it may be on the platform from ``at`` on
                await self._db.execute(_TAKEN, {**values, "at": at})
            else:
                await self._db.execute(_HIDDEN, values)

    async def release(self, items: Sequence[OutboxItem], until: datetime) -> None:
        """At most two UPDATEs: items never taken before forget this lease's time; the
        others keep theirs (a sender before this one may have sent them)."""
        never = [i.id for i in items if i.id is not None and i.leased_at is None]
        before = [i.id for i in items if i.id is not None and i.leased_at is not None]
        with urgent():
            for ids, statement in ((never, _RELEASED_FRESH), (before, _RELEASED)):
                if ids:
                    await self._db.execute(statement, {"ids": ids, "until": until})

    async def renew(self, owner: str, until: datetime) -> int:
        stmt = (
            update(OutboxRow)
            .where(PENDING, OutboxRow.lease_owner == owner)
            .values(next_attempt_at=until)
            .execution_options(synchronize_session=False)
        )
        with urgent():
            return rowcount(await self._db.execute(stmt))

    async def card_pending(self, platform: str, chat_id: str, card_key: str) -> datetime | None:
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
        found: datetime | None = await self._db.scalar(stmt)
        return found

    async def cards_pending(self, keys: Collection[RefKey]) -> dict[RefKey, datetime]:
        """One SELECT of every pending post of these cards, oldest first per card."""
        if not keys:
            return {}
        stmt = (
            select(
                OutboxRow.platform,
                OutboxRow.chat_id,
                OutboxRow.card_key,
                func.coalesce(OutboxRow.next_attempt_at, OutboxRow.created_at),
            )
            .where(
                tuple_(OutboxRow.platform, OutboxRow.chat_id, OutboxRow.card_key).in_(list(keys)),
                CARD,
                PENDING,
            )
            .order_by(OutboxRow.id)
        )
        found: dict[RefKey, datetime] = {}
        for platform, chat_id, key, when in await self._db.execute(stmt):
            found.setdefault((platform, chat_id, key), when)
        return found

    async def earlier_pending(self, items: Sequence[OutboxItem]) -> dict[int, datetime]:
        """One SELECT: card items with an earlier undelivered version of their card."""
        ids = [i.id for i in items if i.id is not None and i.route.card_key]
        if not ids:
            return {}
        older = OUTBOX.alias("older")
        stmt = (
            select(
                OUTBOX.c.id, func.min(func.coalesce(older.c.next_attempt_at, older.c.created_at))
            )
            .select_from(
                OUTBOX.join(
                    older,
                    and_(
                        older.c.platform == OUTBOX.c.platform,
                        older.c.chat_id == OUTBOX.c.chat_id,
                        older.c.card_key == OUTBOX.c.card_key,
                        older.c.card_key != "",  # the partial index's own condition
                        older.c.id < OUTBOX.c.id,
                        older.c.delivered_at.is_(None),
                        older.c.failed_at.is_(None),
                    ),
                )
            )
            .where(OUTBOX.c.id.in_(ids))
            .group_by(OUTBOX.c.id)
        )
        return {item_id: when for item_id, when in await self._db.execute(stmt)}

    async def superseded_among(self, items: Sequence[OutboxItem]) -> set[int]:
        """One SELECT: the card items among ``items`` with a later item for the same card."""
        ids = [i.id for i in items if i.id is not None and i.route.card_key]
        if not ids:
            return set()
        newer = OUTBOX.alias("newer")
        stmt = select(OutboxRow.id).where(
            OutboxRow.id.in_(ids),
            select(newer.c.id)
            .where(
                newer.c.platform == OutboxRow.platform,
                newer.c.chat_id == OutboxRow.chat_id,
                newer.c.card_key == OutboxRow.card_key,
                newer.c.card_key != "",  # the partial index's own condition
                newer.c.id > OutboxRow.id,
            )
            .exists(),
        )
        return set((await self._db.scalars(stmt)).all())

    async def superseded(self, item: OutboxItem) -> bool:
        """True if a later item for the same card was queued, whatever became of it: a late
        retry of an old version must not overwrite a newer one already shown."""
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
        return bool(await self._db.scalar(stmt))

    async def prune(self, before: datetime) -> int:
        stmt = delete(OutboxRow).where(
            or_(OutboxRow.delivered_at < before, OutboxRow.failed_at < before)
        )
        return rowcount(await self._db.execute(stmt))

    async def put_ref(
        self, platform: str, chat_id: str, key: str, message_id: str, digest: str = ""
    ) -> None:
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
        await self._db.execute(stmt)

    async def put_refs(self, refs: Mapping[RefKey, CardRef]) -> None:
        """One multi-row ``INSERT … ON CONFLICT DO UPDATE`` (the keys are distinct, as both
        databases require of one such statement)."""
        if not refs:
            return
        rows = [
            {"platform": p, "chat_id": c, "key": k, "message_id": r.message_id, "digest": r.digest}
            for (p, c, k), r in refs.items()
        ]
        stmt = self._insert(MessageRefRow).values(rows)
        stmt = stmt.on_conflict_do_update(
            index_elements=["platform", "chat_id", "key"],
            set_={"message_id": stmt.excluded.message_id, "digest": stmt.excluded.digest},
        )
        with urgent():
            await self._db.execute(stmt)

    async def card_refs(self, keys: Collection[RefKey]) -> dict[RefKey, CardRef]:
        if not keys:
            return {}
        stmt = select(
            MessageRefRow.platform,
            MessageRefRow.chat_id,
            MessageRefRow.key,
            MessageRefRow.message_id,
            MessageRefRow.digest,
        ).where(
            tuple_(MessageRefRow.platform, MessageRefRow.chat_id, MessageRefRow.key).in_(list(keys))
        )
        rows = await self._db.execute(stmt)
        return {(p, c, k): CardRef(message_id, digest) for p, c, k, message_id, digest in rows}

    async def card_ref(self, platform: str, chat_id: str, key: str) -> CardRef | None:
        stmt = select(MessageRefRow.message_id, MessageRefRow.digest).where(
            MessageRefRow.platform == platform,
            MessageRefRow.chat_id == chat_id,
            MessageRefRow.key == key,
        )
        row = (await self._db.execute(stmt)).first()
        return CardRef(row.message_id, row.digest) if row is not None else None

    async def get_ref(self, platform: str, chat_id: str, key: str) -> str | None:
        stmt = select(MessageRefRow.message_id).where(
            MessageRefRow.platform == platform,
            MessageRefRow.chat_id == chat_id,
            MessageRefRow.key == key,
        )
        found: str | None = await self._db.scalar(stmt)
        return found

    async def key_of(self, platform: str, chat_id: str, message_id: str) -> str | None:
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
        found: str | None = await self._db.scalar(stmt)
        return found

    async def _update(self, item_id: int, **values: Any) -> None:
        """One UPDATE (no read of the row and its message first)."""
        stmt = (
            update(OutboxRow)
            .where(OutboxRow.id == item_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        with urgent():
            result = await self._db.execute(stmt)
        if rowcount(result) == 0:
            raise LookupError(f"outbox item {item_id} does not exist")


def _outbox_from_row(row: Any) -> OutboxItem:
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
        leased_at=row.leased_at,
    )


# -- the delivery round's statements, built once (parameters only change) ------------------

_WHEN = OUTBOX.c.next_attempt_at.type
_IDS = bindparam("ids", expanding=True)
_DUE = (
    select(OUTBOX)
    .where(
        PENDING,
        OUTBOX.c.platform.in_(bindparam("platforms", expanding=True)),
        or_(
            OUTBOX.c.next_attempt_at.is_(None),
            OUTBOX.c.next_attempt_at <= bindparam("now", type_=_WHEN),
        ),
    )
    .order_by(OUTBOX.c.created_at, OUTBOX.c.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)  # SQLite has no row locks; it renders nothing
)
_DELIVERED = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("b_id"))
    .values(
        attempts=OUTBOX.c.attempts + 1,
        delivered_at=bindparam("b_at", type_=_WHEN),
        sent_id=bindparam("b_sent"),
    )
)
_HIDDEN = (
    update(OUTBOX)
    .where(OUTBOX.c.id.in_(_IDS))
    .values(next_attempt_at=bindparam("until", type_=_WHEN), lease_owner=bindparam("owner"))
)
_TAKEN = _HIDDEN.values(leased_at=func.coalesce(OUTBOX.c.leased_at, bindparam("at", type_=_WHEN)))
_RELEASED = (
    update(OUTBOX)
    .where(OUTBOX.c.id.in_(_IDS))
    .values(next_attempt_at=bindparam("until", type_=_WHEN), lease_owner="")
)
_RELEASED_FRESH = _RELEASED.values(leased_at=None)
