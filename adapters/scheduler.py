"""A thin wrapper over APScheduler's AsyncIOScheduler that runs the desk's periodic use cases.

Jobs are a handful of intervals (outbox delivery, intake time-outs, later the SLA tick);
never one job per ticket, so restarts and replicas need no scheduler state.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    name: str
    run: Callable[[], Awaitable[object]]
    every_seconds: float


class DeskScheduler:
    """Starts and stops the periodic jobs on the running event loop."""

    def __init__(self, jobs: list[PeriodicJob]) -> None:
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        for job in jobs:
            self._scheduler.add_job(
                _logged(job),
                "interval",
                seconds=job.every_seconds,
                id=job.name,
                max_instances=1,  # a slow run is never overlapped by the next one
                coalesce=True,  # after a pause, run once, not once per missed interval
                next_run_time=datetime.now(UTC),
            )

    def start(self) -> None:
        self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)


def _logged(job: PeriodicJob) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        try:
            await job.run()
        except Exception:  # a failing run must not stop the next one
            log.exception("periodic job %s failed", job.name)

    run.__name__ = job.name
    return run
