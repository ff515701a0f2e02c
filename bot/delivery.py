"""Outbox delivery: sends queued messages through the platform gateways.

Oldest first, one item at a time: a short transaction leases the item (so other senders,
and replicas on PostgreSQL with ``SKIP LOCKED``, pass it by), the send happens with no
transaction open, and a second transaction records the outcome. A crash in between
re-sends that one message after the lease runs out; nothing is lost. A card already
superseded by a newer version of itself is skipped, so a late retry never overwrites
fresher content; a card whose new rendering is what it already shows is not edited (the
gateway compares the digest stored with the card's reference).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import timedelta

from bot.clock import Clock
from bot.errors import GatewayError, RateLimited, RecipientUnavailable
from bot.ports import ChatGateway, UnitOfWorkFactory

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BASE_BACKOFF = timedelta(seconds=5)
MAX_BACKOFF = timedelta(minutes=10)
LEASE = timedelta(seconds=60)  # an item being sent is hidden this long from other senders


def backoff(attempt: int) -> timedelta:
    """5 s, 10 s, 20 s … capped at 10 minutes."""
    return min(BASE_BACKOFF * (2 ** max(attempt - 1, 0)), MAX_BACKOFF)


class Dispatcher:
    """Delivers due outbox items to the gateways of the running platforms."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        gateways: Mapping[str, ChatGateway],
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.gateways = dict(gateways)
        self._lock = asyncio.Lock()  # one delivery round at a time in this process
        self._background: set[asyncio.Task[int]] = set()

    def kick(self) -> None:
        """Deliver what is due now, in the background: adapters call this right after an
        event, so replies go out at once instead of at the next scheduled round."""
        task = asyncio.get_running_loop().create_task(self._deliver_logged())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Wait for background deliveries started by :meth:`kick` (at shutdown)."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    async def _deliver_logged(self) -> int:
        try:
            return await self.deliver_due()
        except Exception:  # the scheduled round will try again
            log.exception("background delivery failed")
            return 0

    async def deliver_due(self, limit: int = 200) -> int:
        """Send up to ``limit`` due items; returns how many were delivered."""
        async with self._lock:
            return await self._deliver_round(limit)

    async def _deliver_round(self, limit: int) -> int:
        platforms = set(self.gateways)
        delivered = 0
        for _ in range(limit):
            if not platforms:
                break
            outcome = await self._deliver_one(sorted(platforms))
            if outcome is None:
                break
            platform, ok, pause = outcome
            delivered += ok
            if pause:
                platforms.discard(platform)  # rate limited: leave the rest for the next round
        return delivered

    async def _deliver_one(self, platforms: list[str]) -> tuple[str, bool, bool] | None:
        now = self.clock.now()
        # 1. take the oldest due item and lease it, in a short transaction of its own
        async with self.uow_factory() as uow:
            items = await uow.outbox.due(now, platforms, 1)
            if not items:
                return None
            item = items[0]
            assert item.id is not None
            route = item.route
            if route.card_key and await uow.outbox.superseded(item):
                await uow.outbox.mark_delivered(item.id, now)
                await uow.commit()
                return route.platform, False, False
            edit_id = thread_id = last_digest = ""
            if route.card_key:
                ref = await uow.outbox.card_ref(route.platform, route.chat_id, route.card_key)
                if ref is not None:
                    edit_id, last_digest = ref.message_id, ref.digest
            if route.thread_key:
                thread_id = (
                    await uow.outbox.get_ref(route.platform, route.chat_id, route.thread_key) or ""
                )
            await uow.outbox.lease(item.id, now + LEASE)
            await uow.commit()
        # 2. send with no transaction open; a crash here re-sends after the lease
        error: GatewayError | None = None
        try:
            sent = await self.gateways[route.platform].send(
                route, item.message, edit_id=edit_id, thread_id=thread_id, last_digest=last_digest
            )
        except GatewayError as exc:
            error = exc
        # 3. record the outcome
        now = self.clock.now()
        async with self.uow_factory() as uow:
            if isinstance(error, RateLimited):
                retry_at = now + timedelta(seconds=max(error.retry_after, 1))
                await uow.outbox.mark_failed(item.id, str(error), retry_at, now)
            elif isinstance(error, RecipientUnavailable):
                log.warning("giving up on outbox item %s: %s", item.id, error)
                await uow.outbox.mark_failed(item.id, str(error), None, now)
            elif error is not None:
                attempt = item.attempts + 1
                retry = now + backoff(attempt) if attempt < MAX_ATTEMPTS else None
                log.warning("outbox item %s failed (attempt %s): %s", item.id, attempt, error)
                await uow.outbox.mark_failed(item.id, str(error), retry, now)
            else:
                await uow.outbox.mark_delivered(item.id, now)
                chat_id = sent.chat_id or route.chat_id
                if route.card_key:
                    if (sent.message_id, sent.digest) != (edit_id, last_digest):
                        await uow.outbox.put_ref(
                            route.platform, chat_id, route.card_key, sent.message_id, sent.digest
                        )
                elif item.ticket_number is not None and sent.message_id:
                    key = f"ticket:{item.ticket_number}:m{item.id}"
                    await uow.outbox.put_ref(route.platform, chat_id, key, sent.message_id)
            await uow.commit()
        return route.platform, error is None, isinstance(error, RateLimited)
