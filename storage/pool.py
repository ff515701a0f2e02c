"""A connection pool that serves the outbox's bookkeeping before queued use cases.

Under a burst of events every handler's unit of work waits for a connection (SQLite has
one; PostgreSQL a few), first come first served. The outbox's transactions — lease a batch,
record a batch, renew leases — are a few statements each, and every reply waits on them:
queued behind a thousand handlers, the first reply would go out only after the last event
was handled, and a lease renewal could come too late. A checkout made inside
:func:`urgent` is therefore handed the next free connection before any other waiter; the
outbox repository makes its own statements urgent. Use cases are not starved: an urgent
transaction is short and there is at most one per delivery round at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.util.queue import AsyncAdaptedQueue, Empty

__all__ = ["UrgentFirstPool", "urgent"]

_URGENT: ContextVar[bool] = ContextVar("tierdesk_urgent_checkout", default=False)


@contextlib.contextmanager
def urgent() -> Iterator[None]:
    """Connections checked out in this block (in this task) go before queued ones."""
    token = _URGENT.set(True)
    try:
        yield
    finally:
        _URGENT.reset(token)


class _UrgentFirstQueue(AsyncAdaptedQueue[Any]):
    """The pool's queue: a returned connection goes to an urgent waiter if there is one.

    An urgent checkout never takes an idle connection while others wait: that one may be
    promised to a waiter just woken, who would then go to the back of the line (and under a
    stream of urgent checkouts, again and again). It waits for the next one returned.
    """

    def __init__(self, maxsize: int = 0, use_lifo: bool = False) -> None:
        super().__init__(maxsize, use_lifo)
        self._urgent: deque[asyncio.Future[Any]] = deque()
        self._others = 0  # checkouts of the other kind under way

    def put_nowait(self, item: Any) -> None:
        while self._urgent:
            waiter = self._urgent.popleft()
            if not waiter.done():
                waiter.set_result(item)
                return
        super().put_nowait(item)

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if self._urgent:
            self.put_nowait(item)
            return
        super().put(item, block, timeout)

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        if not (block and _URGENT.get()):
            self._others += 1
            try:
                return super().get(block, timeout)
            finally:
                self._others -= 1
        if not self._others:
            with contextlib.suppress(Empty):
                return self.get_nowait()
        return self.await_(self._get_urgently(seconds=timeout))

    async def _get_urgently(self, *, seconds: float | None) -> Any:
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._urgent.append(waiter)
        try:
            async with asyncio.timeout(seconds):
                return await waiter
        except BaseException as exc:
            if waiter.done() and not waiter.cancelled():
                self.put_nowait(waiter.result())  # handed over just as we gave up: pass it on
            else:
                waiter.cancel()
                with contextlib.suppress(ValueError):
                    self._urgent.remove(waiter)
            if isinstance(exc, TimeoutError):
                raise Empty() from exc  # the pool turns it into its own timeout error
            raise


class UrgentFirstPool(AsyncAdaptedQueuePool):
    """SQLAlchemy's asyncio queue pool, with :func:`urgent` checkouts served first."""

    _queue_class = _UrgentFirstQueue
