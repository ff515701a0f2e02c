"""``/healthz``: 200 when every part answers, 503 naming the parts that do not.

The parts: the database (one real query), the scheduler (how long ago the SLA tick last
finished: a stuck loop or a tick failing every time shows), and each chat adapter's own
connection check (``auth.test`` / Socket Mode, ``getMe``). Each check has its own time
limit, so one hanging part cannot hang the probe; they run together.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiohttp import web

from adapters.scheduler import DeskScheduler

__all__ = ["CHECK_TIMEOUT", "Health", "scheduler_check"]

CHECK_TIMEOUT = 5.0
TICK_JOB = "sla-tick"
MIN_TICK_AGE = 60.0  # a tick may be late by this much (or 3 intervals) before it counts

Check = Callable[[], Awaitable[None]]  # raises when the part is unhealthy


@dataclass
class Health:
    """Named checks, run at each request of the probe."""

    checks: Mapping[str, Check]
    timeout: float = CHECK_TIMEOUT

    async def report(self) -> dict[str, str]:
        """Part → "ok" or why it failed."""
        names = list(self.checks)
        results = await asyncio.gather(*(self._run(self.checks[n]) for n in names))
        return dict(zip(names, results, strict=True))

    async def _run(self, check: Check) -> str:
        try:
            async with asyncio.timeout(self.timeout):
                await check()
        except TimeoutError:
            return f"no answer within {self.timeout:g} s"
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}".strip()[:300]
        return "ok"

    async def handle(self, request: web.Request) -> web.Response:
        parts = await self.report()
        failing = sorted(name for name, result in parts.items() if result != "ok")
        body = {"ok": not failing, "failing": failing, "checks": parts}
        return web.json_response(body, status=503 if failing else 200)


def scheduler_check(scheduler: DeskScheduler) -> Check:
    """Healthy while the SLA tick finished within three of its intervals (at least a minute)."""
    limit = max(MIN_TICK_AGE, 3 * scheduler.intervals.get(TICK_JOB, 0.0))

    async def check() -> None:
        age = scheduler.age(TICK_JOB)
        if age is None:
            raise RuntimeError("not running")
        if age > limit:
            raise RuntimeError(f"the SLA tick last finished {age:.0f} s ago (limit {limit:.0f})")

    return check
