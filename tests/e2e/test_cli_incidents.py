"""Leads see incidents: ``tierdesk tickets --incidents [--json]`` and the incident figures of
``tierdesk report`` (table and JSON), from a database a desk filled with one storm."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.platforms import PLATFORMS
from adapters.runtime import build
from bot.clock import FrozenClock
from bot.domain import Draft, Identity, Person
from bot.events import ChatRef
from bot.services import commands as c
from bot.services.notices import Actor, Work
from bot.services.outbox import Postman
from bot.settings import load_settings
from tests.e2e.console_process import write_config
from tests.e2e.test_cli import tierdesk
from tests.factories import command

STORM = (
    ("ann", "VPN keeps disconnecting"),
    ("ben", "the vpn drops every few minutes"),
    ("cat", "cannot stay connected to VPN"),
)


async def _storm(config: Path) -> None:
    """Three reports 4 minutes apart, declared 6 minutes later, resolved 2 hours after."""
    settings = load_settings(config, {}, platforms=PLATFORMS)
    clock = FrozenClock(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=5))
    runtime = await build(settings, clock=clock)
    try:
        for name, text in STORM:
            actor = Actor(Person(name), Identity("console", name), ChatRef("console", name, True))
            draft = Draft(text, text, "one", "limited", "today", category="network")
            async with runtime.uow_factory() as uow:
                work = Work(uow, clock.now())
                await runtime.desk.run(work, actor, c.OpenTicket(draft))
                await Postman(settings, uow, work.now).deliver(work)
                await uow.commit()
            clock.advance(timedelta(minutes=4))
        clock.advance(timedelta(minutes=2))
        await runtime.desk.handle(command("alice", "/incident declare 1"))
        clock.advance(timedelta(hours=2))
        await runtime.desk.handle(command("alice", "/incident resolve 1 gateway rolled back"))
    finally:
        await runtime.close()


def test_incidents_in_tickets_and_report(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    asyncio.run(_storm(config))

    listed = json.loads(
        tierdesk("tickets", "--incidents", "--json", "--config", str(config)).stdout
    )
    assert len(listed) == 1
    assert listed[0]["status"] == "resolved" and listed[0]["tickets"] == [1, 2, 3]
    assert listed[0]["priority"] == "S2" and listed[0]["resolution"] == "gateway rolled back"
    table = tierdesk("tickets", "--incidents", "--config", str(config)).stdout
    assert "resolved" in table and "#1 #2 #3" in table and "VPN keeps disconnecting" in table

    report = json.loads(tierdesk("report", "--format", "json", "--config", str(config)).stdout)
    incidents = report["incidents"]
    assert incidents["incidents_proposed"] == 1 and incidents["incidents_declared"] == 1
    assert incidents["incidents_resolved"] == 1 and incidents["incidents_dismissed"] == 0
    assert incidents["time_to_declare_median_min"] == 6.0
    assert incidents["time_to_resolve_median_h"] == 2.0
    assert incidents["tickets_per_incident"] == 3.0
    assert incidents["proposals_per_1000_tickets"] == 333.33
    shown = tierdesk("report", "--config", str(config)).stdout
    assert "Major incidents" in shown and "Time to declare, median (min)" in shown
