"""Run a job in exactly one replica: the one holding its lock.

Every replica runs a :class:`Singleton`; the one that gets the lock starts the job, the
others try again every :data:`RETRY` seconds. The holder checks as often that it still
holds the lock (its database connection is alive) and stops the job when it does not, so
a replica killed or cut off from the database is replaced within about ``RETRY`` seconds
(plus a long poll in flight). Used for Telegram long polling, where a second poller would
get ``409 Conflict``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from adapters.host import ExclusiveLock

log = logging.getLogger(__name__)

RETRY = 5.0  # seconds between a standby's tries, and between the holder's checks

Step = Callable[[], Awaitable[None]]


class Singleton:
    """``start``/``stop`` the job as the lock is won and lost; :meth:`close` ends it all."""

    def __init__(
        self,
        name: str,
        lock: ExclusiveLock,
        start: Step,
        stop: Step,
        every: float | None = None,
    ) -> None:
        self.name = name
        self.lock = lock
        self._start = start
        self._stop = stop
        self.every = RETRY if every is None else every
        self.active = False
        self.changed = asyncio.Event()  # set at each start or stop (tests wait on it)
        self._closing = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def open(self) -> None:
        """Try once now (the job starts before this returns when the lock is free), then
        keep trying or checking in the background."""
        await self._step()
        self._task = asyncio.create_task(self._run(), name=f"singleton:{self.name}")

    async def close(self) -> None:
        self._closing.set()
        if self._task is not None:
            await self._task
        if self.active:
            await self._set(False)
        await self.lock.release()

    async def _run(self) -> None:
        while not self._closing.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.every)
            if not self._closing.is_set():
                await self._step()

    async def _step(self) -> None:
        try:
            if not self.active and await self.lock.acquire():
                log.info("%s: this replica runs it", self.name)
                await self._set(True)
            elif self.active and not await self.lock.held():
                log.warning("%s: lock lost, stopping here (another replica takes over)", self.name)
                await self._set(False)
        except Exception:  # never let the standby loop die: try again at the next step
            log.exception("%s: switching failed", self.name)

    async def _set(self, active: bool) -> None:
        self.active = active
        try:
            await (self._start() if active else self._stop())
        except BaseException:
            self.active = False  # a failed start is tried again at the next step
            raise
        finally:
            self.changed.set()
