"""Outbox delivery: sends queued messages through the platform gateways.

A delivery round takes due items oldest first in batches (:data:`BATCH` per transaction;
replicas on PostgreSQL pass each other's rows by with ``SKIP LOCKED``) and leases them, so
other senders keep off while they are out. Everything an item needs is read for the whole
batch in that transaction: which card versions are superseded (skipped: a late retry never
overwrites fresher content), the card references (edit in place; an unchanged rendering is
not edited again, by the digest stored with the reference) and, for a threaded item whose
card is not posted yet, whether that card can still come (then the item waits for it instead
of landing outside the thread).

Sends happen with no transaction open, in *lanes*: one per destination (platform and chat, or
user), so one chat's messages go out in queue order, one after another, while different chats
go out in parallel (at most :data:`CONCURRENCY` sends at once). A threaded item queued with its
card is in the card's lane behind it and uses the id the card just got. A rate limit stops the
rest of that platform's items for the round (they go back to the queue untouched); any other
failure is that item's alone. Outcomes are recorded a batch at a time — one UPDATE for the
deliveries, one upsert for the message references — in the transaction that leases the next
batch, so a round is a pipeline: a slow chat holds up nobody, and the database is visited once
per batch, not twice per message.

Adapters call :meth:`Dispatcher.kick` after every event: a running round is told to look for
new items before it ends, or one round is started in the background; a burst of events never
queues more than one round behind the running one. Looks for what events queued are spaced
(:data:`SPACING`): storage serves the outbox's transactions before the events' own, so under
a stream of events one look serves several replies rather than each event paying for one.

Exactly once across crashes. A lease is short (:data:`LEASE`) and renewed by a heartbeat
while its round is still sending, so a live sender keeps its items however slow the platform
is, and a dead one's items are taken over seconds later. The platform may have accepted a
message just before the sender died, so an item taken before (``leased_at``) is first looked
for on a platform that can read messages back (Slack: every post carries its outbox id in
``metadata``; see :class:`~bot.ports.ReadBackGateway`): found, it is recorded with the
platform's id and not sent again. Items given back unsent (a rate limit, a thread waiting for
its card) get their old ``leased_at`` back, so they are not looked for needlessly. Telegram
cannot read its messages back, so there delivery is at least once: a crash between the
platform's answer and the record sends those messages again. Card edits are idempotent and
are simply repeated.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import itertools
import logging
import os
import uuid
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeGuard

from bot.clock import Clock
from bot.errors import GatewayError, RateLimited, RecipientUnavailable
from bot.messages import OutboxItem, RouteKind
from bot.ports import (
    CardRef,
    ChatGateway,
    ReadBackGateway,
    RefKey,
    Sent,
    UnitOfWork,
    UnitOfWorkFactory,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BASE_BACKOFF = timedelta(seconds=5)
MAX_BACKOFF = timedelta(minutes=10)
LEASE = timedelta(seconds=6)  # an item being sent is hidden this long from other senders
HEARTBEAT = 2.0  # seconds between lease renewals while a round is sending
READ_BACK_MARGIN = timedelta(minutes=2)  # looked back before the first lease (clock skew)
THREAD_WAIT = timedelta(seconds=1)  # a threaded item's card is pending: look again after
BATCH = 50  # items leased (and outcomes recorded) per transaction
CONCURRENCY = 32  # sends in flight at once, each to a different chat
ROUND_LIMIT = 200  # items one round takes at most
SPACING = 0.05  # seconds between looks for what events queued (see _Round._look_again_in)
GATHER_KICKS = 25  # … unless this many events came meanwhile

LaneKey = tuple[str, str]
"""(platform, chat or user id): the messages of one destination go out in queue order."""


def backoff(attempt: int) -> timedelta:
    """5 s, 10 s, 20 s … capped at 10 minutes."""
    return min(BASE_BACKOFF * (2 ** max(attempt - 1, 0)), MAX_BACKOFF)


def lane_of(item: OutboxItem) -> LaneKey:
    """Where an item goes: a direct message by its user, anything else by its chat."""
    route = item.route
    return route.platform, route.user_id if route.kind is RouteKind.USER else route.chat_id


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
        batch: int = BATCH,
        concurrency: int = CONCURRENCY,
        spacing: float = SPACING,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.gateways = dict(gateways)
        self.lease = lease
        self.heartbeat = heartbeat
        self.batch = batch
        self.concurrency = concurrency
        self.spacing = spacing
        self._last_look = float("-inf")  # loop time of the last look for due items
        self._read_back: dict[int, bool] = {}  # id(gateway) → can it read messages back
        self.owner = f"{os.getpid()}-{uuid.uuid4().hex[:16]}"  # this sender, in leases
        self._rounds = itertools.count(1)
        self._lock = asyncio.Lock()  # one delivery round at a time in this process
        self._round: _Round | None = None  # the one running
        self._wanted = False  # kicked since the running round last looked for due items
        self._runner: asyncio.Task[None] | None = None
        self._beats: set[asyncio.Task[None]] = set()  # heartbeats finishing a last renewal

    def kick(self) -> None:
        """Deliver what is due now, in the background: adapters call this right after an
        event, so replies go out at once instead of at the next scheduled round.

        Kicks coalesce: the running round looks again before it ends, and at most one more
        round is started, however many events come in meanwhile."""
        self._wanted = True
        if self._round is not None:
            self._round.wake()
        if self._runner is None or self._runner.done():
            self._runner = asyncio.get_running_loop().create_task(self._run_kicked())

    async def drain(self) -> None:
        """Wait for background deliveries started by :meth:`kick` (at shutdown)."""
        while self._runner is not None and not self._runner.done():
            await asyncio.gather(self._runner, return_exceptions=True)
        await asyncio.gather(*self._beats, return_exceptions=True)

    async def _run_kicked(self) -> None:
        while self._wanted:
            self._wanted = False
            try:
                async with self._lock:
                    round_ = await self._run_round(ROUND_LIMIT, paced=True)
            except Exception:  # the scheduled round will try again
                log.exception("background delivery failed")
                return
            if round_.cut:  # stopped at its limit with more due: go on
                self._wanted = True

    async def deliver_due(self, limit: int = ROUND_LIMIT) -> int:
        """Send up to ``limit`` due items; returns how many were delivered. Stopped at the
        limit with more due, it starts another round in the background at once, as a kick
        does (the scheduled round would come only seconds later)."""
        async with self._lock:
            round_ = await self._run_round(limit)
        if round_.cut:
            self.kick()
        return round_.delivered

    async def _run_round(self, limit: int, *, paced: bool = False) -> _Round:
        """One round; the caller holds the lock."""
        round_ = _Round(self, limit, paced=paced)
        self._round = round_
        try:
            await round_.run()
        finally:
            self._round = None
        return round_

    async def _send(self, item: OutboxItem, edit_id: str, thread_id: str, last_digest: str) -> Sent:
        """Post (or edit); a post taken before by a sender that may have died is looked
        for first where the platform can read it back, and not posted again if found."""
        assert item.id is not None
        gateway = self.gateways[item.route.platform]
        tag: dict[str, Any] = {}
        if self._reads_back(gateway):
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

    def _reads_back(self, gateway: ChatGateway) -> TypeGuard[ReadBackGateway]:
        """Whether ``gateway`` can read its messages back (a protocol check is slow: once)."""
        known = self._read_back.get(id(gateway))
        if known is None:
            known = self._read_back[id(gateway)] = isinstance(gateway, ReadBackGateway)
        return known

    @contextlib.asynccontextmanager
    async def _heartbeat(self, owner: str) -> AsyncIterator[None]:
        """Renew ``owner``'s leases every :attr:`heartbeat` seconds while the body runs."""
        done = asyncio.Event()

        async def beat() -> None:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), self.heartbeat)
                if done.is_set():
                    return
                try:
                    async with self.uow_factory() as uow:
                        await uow.outbox.renew(owner, self.clock.now() + self.lease)
                        await uow.commit()
                except Exception as exc:  # the database is away: the lease may run out
                    log.warning("outbox lease renewal failed: %s", exc)

        task = asyncio.get_running_loop().create_task(beat())
        self._beats.add(task)
        task.add_done_callback(self._beats.discard)
        try:
            yield
        finally:
            # Not awaited: a renewal under way may wait long for the database (behind a burst
            # of events on SQLite's one connection), and the round, its lock and the next
            # round must not wait with it. Late, it finds the round's items recorded, or at
            # worst delays the take-over of a failed round's items by one lease.
            done.set()


class _State(enum.Enum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"  # retried at ``until``, or given up (``until`` None)
    RELEASED = "released"  # not sent: back in the queue from ``until``


@dataclass(slots=True, eq=False)
class _Job:
    """One leased item on its way out, and what became of it."""

    item: OutboxItem
    card: _Job | None = None  # the post of its card, earlier in the same lane
    state: _State = _State.QUEUED
    sent: Sent | None = None
    edit_id: str = ""
    last_digest: str = ""
    error: str = ""
    until: datetime | None = None

    @property
    def id(self) -> int:
        assert self.item.id is not None
        return self.item.id


class _Round:
    """One delivery round: leases batches, sends them lane by lane, records the outcomes.

    The main loop only talks to the database; lane tasks only talk to the platforms. They
    meet in ``finished`` (outcomes to record) and the ``changed`` event."""

    def __init__(self, dispatcher: Dispatcher, limit: int, *, paced: bool = False) -> None:
        self.d = dispatcher
        self.limit = limit
        self.owner = f"{dispatcher.owner}.{next(dispatcher._rounds)}"  # renews this round's only
        self.platforms = set(dispatcher.gateways)
        self.paused: set[str] = set()  # rate limited: left alone for the rest of the round
        self.refs: dict[RefKey, CardRef] = {}  # as read from the database
        self.posted: dict[RefKey, CardRef] = {}  # sent this round, maybe not recorded yet
        self.cards: dict[RefKey, _Job] = {}  # card posts taken this round, by card
        self.lanes: dict[LaneKey, deque[_Job]] = {}
        self.tasks: dict[LaneKey, asyncio.Task[None]] = {}
        self.slots = asyncio.Semaphore(dispatcher.concurrency)
        self.finished: list[_Job] = []
        self.changed = asyncio.Event()
        self.fatal: BaseException | None = None
        self.in_flight = 0  # jobs taken and not finished
        self.taken = 0
        self.exhausted = False  # the last look found fewer items than it asked for
        self.kicked = False  # an event was handled since that look: items may be due
        self.kicks = 0  # kicks since that look
        self.paced = paced  # kicked, not asked: even the first look keeps the spacing
        self.looks = 0
        self.delivered = 0

    @property
    def cut(self) -> bool:
        return self.taken >= self.limit and (not self.exhausted or self.kicked)

    def wake(self) -> None:
        """New items may be due (an event was handled): look again before ending."""
        self.kicked = True
        self.kicks += 1
        self.changed.set()

    def _look_again_in(self) -> float | None:
        """Seconds until the next look for due items; None: none is needed now.

        After a full batch the next look is at once. Looks for what events queued are
        spaced by :data:`SPACING` (across rounds): each one takes the database's connection
        ahead of the events' own transactions, so under a stream of events it is one look
        per few replies, not one per event, and the events keep their turn."""
        if self.taken >= self.limit or self.in_flight >= self.d.batch:
            return None
        if not self.platforms - self.paused:
            return None
        if not self.exhausted and (self.looks or not self.paced):
            return 0.0
        if self.exhausted and not self.kicked:
            return None
        if self.kicks >= GATHER_KICKS:
            return 0.0
        return max(0.0, self.d._last_look + self.d.spacing - asyncio.get_running_loop().time())

    async def run(self) -> None:
        try:
            async with self.d._heartbeat(self.owner):
                await self._loop()
        except BaseException:
            for task in self.tasks.values():  # as good as dead: nothing more is sent
                task.cancel()
            await asyncio.gather(*self.tasks.values(), return_exceptions=True)
            raise

    async def _loop(self) -> None:
        while True:
            if self.fatal is not None:
                raise self.fatal
            wait = self._look_again_in()
            take = wait == 0.0
            record = bool(self.finished) and (
                take or len(self.finished) >= self.d.batch or (not self.in_flight and wait is None)
            )  # else kept for the look to come, in the same transaction
            if take or record:
                await self._transaction(take)
                continue
            if not self.in_flight and wait is None:
                return
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), wait)

    async def _transaction(self, take: bool) -> None:
        """Record what finished and lease the next batch, in one transaction."""
        finished, self.finished = self.finished, []
        now = self.d.clock.now()
        async with self.d.uow_factory() as uow:
            await self._record(uow, finished, now)
            jobs: list[_Job] = []
            if take:
                self.d._wanted = False  # whatever a kick wanted sent is seen by this look
                jobs = await self._lease(uow, now)
            await uow.commit()
        for job in finished:
            self.delivered += job.state is _State.SENT
        self._start(jobs)

    async def _lease(self, uow: UnitOfWork, now: datetime) -> list[_Job]:
        """Take the next batch; skip superseded cards, hold back threads whose card is yet
        to come, lease the rest to this round. Returns the jobs in lane order."""
        asked = min(self.d.batch, self.limit - self.taken)
        platforms = sorted(self.platforms - self.paused)
        self.kicked, self.kicks = False, 0  # seen by this look (a kick during it is not)
        self.looks += 1
        self.d._last_look = asyncio.get_running_loop().time()
        items = await uow.outbox.due(now, platforms, asked)
        self.taken += len(items)
        self.exhausted = len(items) < asked
        if not items:
            return []
        superseded = await uow.outbox.superseded_among(items)
        await uow.outbox.mark_delivered_many(dict.fromkeys(superseded, ""), now)
        live = [i for i in items if i.id not in superseded]
        wanted = {_card_of(i) for i in live if i.route.card_key}
        wanted |= {_thread_of(i) for i in live if i.route.thread_key}
        self.refs.update(await uow.outbox.card_refs(wanted - set(self.posted)))
        # A card not posted yet whose earlier version is still on its way (another replica
        # is sending it, or it waits for a retry) waits for it: sent now, it would post the
        # card a second time instead of editing the one that version posts.
        first = [i for i in live if i.route.card_key and self._ref(_card_of(i)) is None]
        held = await uow.outbox.earlier_pending(first) if first else {}
        live = [i for i in live if i.id not in held]
        in_batch = {_card_of(i) for i in live if i.route.card_key}
        orphans = {
            key
            for i in live
            if i.route.thread_key
            and (key := _thread_of(i)) not in in_batch
            and self._ref(key) is None
            and key not in self.cards
        }
        pending = await uow.outbox.cards_pending(orphans)
        jobs, waits = self._arrange(live, pending, now)
        for item_id, when in held.items():
            waits[max(when, now + THREAD_WAIT)].append(item_id)
            log.info("outbox item %s waits for an earlier version of its card", item_id)
        for until, ids in waits.items():
            await uow.outbox.lease_many(ids, until)
        await uow.outbox.lease_many(
            [j.id for j in jobs], now + self.d.lease, owner=self.owner, at=now
        )
        return jobs

    def _arrange(
        self, items: list[OutboxItem], pending: Mapping[RefKey, datetime], now: datetime
    ) -> tuple[list[_Job], dict[datetime, list[int]]]:
        """Jobs in queue order, except that a threaded item comes after its card when the
        card is further down the same batch; items whose card is pending elsewhere wait."""
        jobs: list[_Job] = []
        waits: dict[datetime, list[int]] = defaultdict(list)
        behind: dict[RefKey, list[_Job]] = defaultdict(list)
        later = {_card_of(i) for i in items if i.route.card_key}
        for item in items:
            assert item.id is not None
            job = _Job(item)
            if item.route.card_key:
                key = _card_of(item)
                later.discard(key)
                self.cards[key] = job
                jobs.append(job)
                for held in behind.pop(key, []):  # threaded under it: right behind it
                    held.card = job
                    jobs.append(held)
                continue
            if item.route.thread_key:
                key = _thread_of(item)
                if self._ref(key) is None:
                    if key in self.cards:
                        job.card = self.cards[key]
                    elif key in later:
                        behind[key].append(job)
                        continue
                    elif key in pending:
                        waits[max(pending[key], now + THREAD_WAIT)].append(item.id)
                        log.info("outbox item %s waits for its card %s", item.id, key[2])
                        continue
            jobs.append(job)
        return jobs, waits

    def _start(self, jobs: list[_Job]) -> None:
        for job in jobs:
            lane = lane_of(job.item)
            self.in_flight += 1
            if lane in self.lanes:
                self.lanes[lane].append(job)
                continue
            self.lanes[lane] = deque([job])
            self.tasks[lane] = asyncio.get_running_loop().create_task(self._drive(lane))

    async def _drive(self, lane: LaneKey) -> None:
        """Send one lane's jobs in order until it is empty."""
        queue = self.lanes[lane]
        try:
            while queue:
                await self._deliver(queue[0])
                self.finished.append(queue.popleft())
                self.in_flight -= 1
                self.changed.set()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # not a send failure: ends the round, as it would a loop
            self.fatal = exc
            self.changed.set()
        finally:
            del self.lanes[lane], self.tasks[lane]

    async def _deliver(self, job: _Job) -> None:
        item, route = job.item, job.item.route
        if route.platform in self.paused:
            job.state, job.until = _State.RELEASED, self.d.clock.now()
            return
        thread_id = ""
        if route.thread_key:
            key = _thread_of(item)
            ref = self._ref(key)
            card = job.card
            if ref is not None:
                thread_id = ref.message_id
            elif card is not None and (card.until is not None or card.state is _State.QUEUED):
                # its card is to be tried again (or went back to the queue): wait for it
                job.state = _State.RELEASED
                job.until = max(card.until or self.d.clock.now(), self.d.clock.now() + THREAD_WAIT)
                log.info("outbox item %s waits for its card %s", item.id, key[2])
                return
            else:  # its card was given up, or never queued
                log.warning(
                    "outbox item %s: card %s was never posted; posting outside its thread",
                    item.id,
                    key[2],
                )
        if route.card_key:
            ref = self._ref(_card_of(item))
            if ref is not None:
                job.edit_id, job.last_digest = ref.message_id, ref.digest
        try:
            async with self.slots:
                sent = await self.d._send(item, job.edit_id, thread_id, job.last_digest)
        except GatewayError as exc:
            self._failed(job, exc)
            return
        except Exception as exc:  # a bug in one send is that item's failure, not the round's
            log.exception("outbox item %s: sending failed", item.id)
            self._failed(job, GatewayError(f"{type(exc).__name__}: {exc}"))
            return
        job.state, job.sent = _State.SENT, sent
        if route.card_key:
            self.posted[_card_of(item)] = CardRef(sent.message_id, sent.digest)

    def _failed(self, job: _Job, error: GatewayError) -> None:
        now = self.d.clock.now()
        job.state, job.error = _State.FAILED, str(error)
        if isinstance(error, RateLimited):
            self.paused.add(job.item.route.platform)  # the rest of it waits for the next round
            job.until = now + timedelta(seconds=max(error.retry_after, 1))
        elif isinstance(error, RecipientUnavailable):
            log.warning("giving up on outbox item %s: %s", job.id, error)
        else:
            attempt = job.item.attempts + 1
            job.until = now + backoff(attempt) if attempt < MAX_ATTEMPTS else None
            log.warning("outbox item %s failed (attempt %s): %s", job.id, attempt, error)

    def _ref(self, key: RefKey) -> CardRef | None:
        return self.posted.get(key) or self.refs.get(key)

    async def _record(self, uow: UnitOfWork, finished: list[_Job], now: datetime) -> None:
        """Outcomes in a few statements: one UPDATE for the deliveries, one upsert for the
        message references, one UPDATE per failure, one per release time."""
        if not finished:
            return
        delivered: dict[int, str] = {}
        refs: dict[RefKey, CardRef] = {}
        released: dict[datetime, list[OutboxItem]] = defaultdict(list)
        for job in finished:
            item, route = job.item, job.item.route
            if job.state is _State.RELEASED:
                assert job.until is not None
                released[job.until].append(item)
            elif job.state is _State.FAILED:
                await uow.outbox.mark_failed(job.id, job.error, job.until, now)
            elif job.sent is not None:
                sent = job.sent
                delivered[job.id] = sent.message_id
                chat_id = sent.chat_id or route.chat_id
                if route.card_key:
                    if (sent.message_id, sent.digest) != (job.edit_id, job.last_digest):
                        refs[route.platform, chat_id, route.card_key] = CardRef(
                            sent.message_id, sent.digest
                        )
                elif item.ticket_number is not None and sent.message_id:
                    key = f"ticket:{item.ticket_number}:m{item.id}"
                    refs[route.platform, chat_id, key] = CardRef(sent.message_id)
        await uow.outbox.mark_delivered_many(delivered, now)
        for until, items in released.items():
            await uow.outbox.release(items, until)
        await uow.outbox.put_refs(refs)


def _card_of(item: OutboxItem) -> RefKey:
    return item.route.platform, item.route.chat_id, item.route.card_key


def _thread_of(item: OutboxItem) -> RefKey:
    return item.route.platform, item.route.chat_id, item.route.thread_key
