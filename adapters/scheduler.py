"""A thin wrapper over APScheduler's AsyncIOScheduler that runs the desk's periodic use cases.

Jobs are a handful of intervals (outbox delivery, intake time-outs, later the SLA tick);
never one job per ticket, so restarts and replicas need no scheduler state.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

log = logging.getLogger(__name__)

STOP_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    """Run every ``every_seconds``, or once a day at ``daily_at`` ("08:30") in ``zone``."""

    name: str
    run: Callable[[], Awaitable[object]]
    every_seconds: float = 0.0
    daily_at: str = ""
    zone: str = "UTC"


class DeskScheduler:
    """Starts and stops the periodic jobs on the running event loop, and remembers when each
    last finished (``/healthz`` asks how long ago the SLA tick ran: a stuck loop shows)."""

    def __init__(
        self,
        jobs: list[PeriodicJob],
        *,
        monotonic: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._monotonic = monotonic
        self._now = now
        self._jobs = jobs
        self._started: float | None = None
        self._finished: dict[str, float] = {}
        self.intervals = {job.name: job.every_seconds for job in jobs if job.every_seconds}
        self._running: set[asyncio.Task[object]] = set()
        self._stopping = False

    def start(self) -> None:
        """Every interval job runs at once, then at its interval; daily jobs at their time.

        A run that comes late (a start-up longer than a second, a busy loop at 08:30) runs
        late rather than never: APScheduler's default skips a run more than one second
        late, which lost each job's first run at every start and could lose a day's
        digest. ``coalesce`` still makes one run of many missed ones."""
        for job in self._jobs:
            options = {"id": job.name, "max_instances": 1, "coalesce": True}
            if job.daily_at:
                hour, minute = (int(x) for x in job.daily_at.split(":")[:2])
                trigger = CronTrigger(hour=hour, minute=minute, timezone=ZoneInfo(job.zone))
                self._scheduler.add_job(
                    self._tracked(job), trigger, misfire_grace_time=None, **options
                )
                continue
            self._scheduler.add_job(
                self._tracked(job),
                "interval",
                seconds=job.every_seconds,
                next_run_time=self._now(),
                misfire_grace_time=None,
                **options,
            )
        self._started = self._monotonic()
        self._scheduler.start()

    def age(self, name: str) -> float | None:
        """Seconds since job ``name`` last finished (since the start before its first run);
        None when the scheduler is not running."""
        if self._started is None or self._stopping:
            return None
        return self._monotonic() - self._finished.get(name, self._started)

    async def stop(self) -> None:
        """Stop scheduling and let runs in progress finish: a run cut off mid-transaction
        would leave its database connection (and its thread) open at exit, and APScheduler's
        shutdown cancels the runs it still holds, so it comes last. A run handed to the loop
        but not begun returns at once: it would start after the database is closed."""
        self._stopping = True
        if not self._scheduler.running:
            return
        self._scheduler.pause()  # no new runs
        await asyncio.sleep(0)  # runs created but not begun take their first step now
        if self._running:
            await asyncio.wait(set(self._running), timeout=STOP_TIMEOUT)
        self._scheduler.shutdown(wait=False)

    def _tracked(self, job: PeriodicJob) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            if self._stopping:
                return
            task = asyncio.current_task()
            if task is not None:
                self._running.add(task)
            try:
                await job.run()
            except Exception:  # a failing run must not stop the next one
                log.exception("periodic job %s failed", job.name)
            else:
                self._finished[job.name] = self._monotonic()
            finally:
                if task is not None:
                    self._running.discard(task)

        run.__name__ = job.name
        return run
