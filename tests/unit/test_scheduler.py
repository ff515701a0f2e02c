"""The periodic jobs run late rather than never: a start-up that took a while, or a loop
busy at the digest's minute, must not cost a run (APScheduler skips a run more than one
second late by default)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from adapters.scheduler import DeskScheduler, PeriodicJob


@pytest.mark.parametrize("late", [timedelta(seconds=3), timedelta(minutes=10)])
async def test_a_run_that_comes_late_still_runs_once(
    late: timedelta, caplog: pytest.LogCaptureFixture
) -> None:
    runs: list[str] = []
    ran = asyncio.Event()

    async def job(name: str) -> None:
        runs.append(name)
        ran.set()

    jobs = [
        PeriodicJob("outbox", lambda: job("outbox"), 2.0),
        PeriodicJob("sla-tick", lambda: job("sla-tick"), 30.0),
    ]
    # its first runs were due ``late`` ago when the loop gets to them
    scheduler = DeskScheduler(jobs, now=lambda: datetime.now(UTC) - late)
    with caplog.at_level(logging.WARNING, logger="apscheduler"):
        scheduler.start()
        try:
            while len(runs) < len(jobs):
                await asyncio.wait_for(ran.wait(), 5)
                ran.clear()
        finally:
            await scheduler.stop()
    assert sorted(runs) == ["outbox", "sla-tick"]  # each once, none skipped
    assert "was missed" not in caplog.text
