"""The escalation chain end to end through the console adapter, with a frozen clock."""

from __future__ import annotations

from datetime import timedelta

from adapters.console.app import ConsoleApp
from adapters.console.gateway import ConsoleGateway, Screen
from adapters.runtime import build
from bot.clock import FrozenClock
from tests.factories import T0, make_settings


async def test_breach_walks_the_chain_until_someone_acknowledges(database_url: str) -> None:
    settings = make_settings(database_url)
    clock = FrozenClock(T0)  # Monday 10:00 in Berlin: dave has the L1 office shift
    runtime = await build(settings, clock=clock, migrate=False)
    lines: list[str] = []
    screen = Screen(write=lines.append, zone=settings.timezone)
    runtime.add_gateway(ConsoleGateway(screen, clock))
    app = ConsoleApp(settings, runtime.desk, screen, runtime.dispatcher.deliver_due)

    async def type_(*texts: str) -> str:
        start = len(lines)
        for text in texts:
            await app.feed(text)
        return "\n".join(lines[start:])

    async def later(minutes: int) -> str:
        clock.advance(timedelta(minutes=minutes))
        start = len(lines)
        await runtime.desk.sla.tick()
        await runtime.dispatcher.deliver_due()
        return "\n".join(lines[start:])

    try:
        shown = await type_("the whole office has no internet", "I still need help")
        if "Who is affected?" not in shown:
            shown = await type_("still need help")
        await type_("a group", "no", "right now", "network", "skip", "yes")

        shown = await later(12)
        assert "[#L1]" in shown and "⚠ #1 (S1 Critical): response due soon" in shown
        shown = await later(4)
        assert "[@dave]" in shown and "🔥 #1 (S1 Critical): response SLA breached" in shown
        assert "[1] Acknowledge" in shown

        shown = await later(30)  # nobody acknowledged: the next person in the rotation
        assert "[@alice]" in shown and "breach not acknowledged — escalated" in shown
        shown = await later(30)  # still nobody: the next tier's on-call and channel
        assert "[@bob]" in shown and "[#L2]" in shown

        shown = await type_("/as agent bob", "/ack 1")
        assert "Acknowledged #1; reminders stop." in shown
        shown = await later(60)
        assert "response SLA" not in shown
    finally:
        await runtime.close()


async def test_stages_are_not_sent_again_after_a_restart(database_url: str) -> None:
    settings = make_settings(database_url)
    clock = FrozenClock(T0)
    first = await build(settings, clock=clock, migrate=False)
    lines: list[str] = []
    screen = Screen(write=lines.append, zone=settings.timezone)
    first.add_gateway(ConsoleGateway(screen, clock))
    app = ConsoleApp(settings, first.desk, screen, first.dispatcher.deliver_due)
    for text in (
        "the whole office has no internet",
        "still need help",
        "a group",
        "no",
        "right now",
        "network",
        "skip",
        "yes",
    ):
        await app.feed(text)
    clock.advance(timedelta(minutes=16))
    assert await first.desk.sla.tick() == 1
    await first.close()

    second = await build(settings, clock=clock, migrate=False)  # the process restarted
    try:
        assert await second.desk.sla.tick() == 0
        clock.advance(timedelta(minutes=15))
        assert await second.desk.sla.tick() == 1  # only the next reminder
    finally:
        await second.close()
