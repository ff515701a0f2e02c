"""``/healthz``'s scheduler check: the SLA tick's age against three intervals (at least a
minute), on a monotonic clock the test moves; and the probe's own time limit per part."""

from __future__ import annotations

import asyncio

from adapters.health import Health, scheduler_check
from adapters.scheduler import DeskScheduler, PeriodicJob


class Ticking:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_the_scheduler_is_unhealthy_until_started_and_when_the_tick_is_late() -> None:
    monotonic = Ticking()
    ran = asyncio.Event()

    async def tick() -> None:
        ran.set()

    scheduler = DeskScheduler([PeriodicJob("sla-tick", tick, 30.0)], monotonic=monotonic)
    health = Health({"scheduler": scheduler_check(scheduler)})
    assert (await health.report())["scheduler"] == "RuntimeError: not running"
    scheduler.start()
    try:
        await asyncio.wait_for(ran.wait(), 5)
        await asyncio.sleep(0)  # the run records its end
        assert (await health.report())["scheduler"] == "ok"
        monotonic.now += 90  # three intervals: still fine
        assert (await health.report())["scheduler"] == "ok"
        monotonic.now += 1
        late = (await health.report())["scheduler"]
        assert late == "RuntimeError: the SLA tick last finished 91 s ago (limit 90)"
    finally:
        await scheduler.stop()


async def test_a_part_that_hangs_is_named_within_the_time_limit() -> None:
    async def hangs() -> None:
        await asyncio.Event().wait()

    async def fine() -> None:
        return None

    health = Health({"database": fine, "slack": hangs}, timeout=0.05)
    assert await health.report() == {"database": "ok", "slack": "no answer within 0.05 s"}
