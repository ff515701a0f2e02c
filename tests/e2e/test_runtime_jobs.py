"""The periodic jobs the running desk schedules, wired to the real desk and storage."""

from __future__ import annotations

from adapters.runtime import build, periodic_jobs
from bot.clock import FrozenClock
from tests.factories import T0, make_settings


async def test_pruning_runs_nightly_in_the_desk_zone(database_url: str) -> None:
    runtime = await build(make_settings(database_url), clock=FrozenClock(T0), migrate=False)
    try:
        jobs = {job.name: job for job in periodic_jobs(runtime)}
        assert set(jobs) == {
            *("deliver-outbox", "expire-intakes", "sla-tick", "daily-digest", "prune"),
            "close-unanswered",
        }
        prune = jobs["prune"]
        assert (prune.daily_at, prune.zone) == ("03:30", runtime.settings.timezone)
        assert await prune.run() == (0, 0)  # a new desk has nothing old to forget
    finally:
        await runtime.close()
