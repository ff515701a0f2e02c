"""Outbox delivery: sends queued messages through the platform gateways.

Oldest first, one item at a time: a short transaction leases the item (so other senders,
and replicas on PostgreSQL with ``SKIP LOCKED``, pass it by), the send happens with no
transaction open, and a second transaction records the outcome right after it, before
anything else. A card already superseded by a newer version of itself is skipped, so a late
retry never overwrites fresher content; a threaded item whose card is not posted yet waits
for it instead of landing outside the thread; a card whose new rendering is what it
already shows is not edited (the gateway compares the digest stored with the card's
reference).

Exactly once across crashes. A lease is short (:data:`LEASE`) and renewed by a heartbeat
while its sender is still sending, so a live sender keeps its item however slow the
platform is, and a dead one's item is taken over seconds later. The platform may have
accepted the message just before the sender died, so an item taken before (``leased_at``)
is first looked for on a platform that can read messages back (Slack: every post carries
its outbox id in ``metadata``; see :class:`~bot.ports.ReadBackGateway`): found, it is
recorded with the platform's id and not sent again. Telegram cannot read its messages
back, so there delivery is at least once: a crash in the few milliseconds between the
platform's answer and the record sends that one message again. Card edits are idempotent
and are simply repeated.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from typing import Any

from bot.clock import Clock
from bot.errors import GatewayError, RateLimited, RecipientUnavailable
from bot.messages import OutboxItem
from bot.ports import ChatGateway, ReadBackGateway, Sent, UnitOfWorkFactory

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BASE_BACKOFF = timedelta(seconds=5)
MAX_BACKOFF = timedelta(minutes=10)
LEASE = timedelta(seconds=6)  # an item being sent is hidden this long from other senders
HEARTBEAT = 2.0  # seconds between lease renewals while a send is in flight
READ_BACK_MARGIN = timedelta(minutes=2)  # looked back before the first lease (clock skew)
THREAD_WAIT = timedelta(seconds=1)  # a threaded item's card is pending: look again after


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
        *,
        lease: timedelta = LEASE,
        heartbeat: float = HEARTBEAT,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.gateways = dict(gateways)
        self.lease = lease
        self.heartbeat = heartbeat
        self.owner = f"{os.getpid()}-{uuid.uuid4().hex[:16]}"  # this sender, in leases
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
                if not thread_id:
                    card_at = await uow.outbox.card_pending(
                        route.platform, route.chat_id, route.thread_key
                    )
                    if card_at is not None:  # its card is still coming: wait for it
                        await uow.outbox.lease(item.id, max(card_at, now + THREAD_WAIT))
                        await uow.commit()
                        log.info("outbox item %s waits for its card %s", item.id, route.thread_key)
                        return route.platform, False, False
                    log.warning(
                        "outbox item %s: card %s was never posted; posting outside its thread",
                        item.id,
                        route.thread_key,
                    )
            await uow.outbox.lease(item.id, now + self.lease, owner=self.owner, at=now)
            await uow.commit()
        # 2. send with no transaction open, renewing the lease while it takes
        error: GatewayError | None = None
        try:
            async with self._heartbeat():
                sent = await self._send(item, edit_id, thread_id, last_digest)
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
                await uow.outbox.mark_delivered(item.id, now, sent.message_id)
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

    async def _send(self, item: OutboxItem, edit_id: str, thread_id: str, last_digest: str) -> Sent:
        """Post (or edit); a post taken before by a sender that may have died is looked
        for first where the platform can read it back, and not posted again if found."""
        assert item.id is not None
        gateway = self.gateways[item.route.platform]
        tag: dict[str, Any] = {}
        if isinstance(gateway, ReadBackGateway):
            tag["outbox_id"] = item.id
            if item.leased_at is not None and not edit_id:
                since = item.leased_at - READ_BACK_MARGIN
                found = await gateway.find_sent(item.route, item.id, since, thread_id=thread_id)
                if found is not None:
                    log.info("outbox item %s was already delivered (%s)", item.id, found.message_id)
                    return found
        elif item.leased_at is not None:
            log.info("outbox item %s may have been sent before; sending again", item.id)
        return await gateway.send(
            item.route,
            item.message,
            edit_id=edit_id,
            thread_id=thread_id,
            last_digest=last_digest,
            **tag,
        )

    @contextlib.asynccontextmanager
    async def _heartbeat(self) -> AsyncIterator[None]:
        """Renew this sender's leases every :attr:`heartbeat` seconds while the body runs."""
        done = asyncio.Event()

        async def beat() -> None:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), self.heartbeat)
                if done.is_set():
                    return
                try:
                    async with self.uow_factory() as uow:
                        await uow.outbox.renew(self.owner, self.clock.now() + self.lease)
                        await uow.commit()
                except Exception as exc:  # the database is away: the lease may run out
                    log.warning("outbox lease renewal failed: %s", exc)

        task = asyncio.get_running_loop().create_task(beat())
        try:
            yield
        finally:
            done.set()
            await task
