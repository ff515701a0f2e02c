"""Numbers typed in the console mean what a person means by them, whatever else is shown."""

from __future__ import annotations

import asyncio
import io
import queue
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from adapters.console.app import ConsoleApp
from adapters.console.gateway import ConsoleGateway, Screen
from adapters.runtime import Runtime, build
from bot.clock import FrozenClock
from tests.factories import T0, make_settings


@dataclass
class Terminal:
    runtime: Runtime
    app: ConsoleApp
    lines: list[str]

    async def type(self, *texts: str) -> str:
        """Type lines; what the screen showed meanwhile."""
        start = len(self.lines)
        for text in texts:
            await self.app.feed(text)
        return "\n".join(self.lines[start:])

    async def self_service_count(self) -> int:
        async with self.runtime.uow_factory() as uow:
            return await uow.knowledge.self_service_count()


@pytest.fixture
async def terminal(database_url: str) -> AsyncIterator[Terminal]:
    settings = make_settings(database_url)
    clock = FrozenClock(T0)
    runtime = await build(settings, clock=clock, migrate=False)
    lines: list[str] = []
    screen = Screen(write=lines.append, zone=settings.timezone)
    runtime.add_gateway(ConsoleGateway(screen, clock))
    app = ConsoleApp(settings, runtime.desk, screen, runtime.dispatcher.deliver_due)
    try:
        yield Terminal(runtime, app, lines)
    finally:
        await runtime.close()


async def test_yes_at_the_resolution_then_5_rates_five_stars(terminal: Terminal) -> None:
    shown = await terminal.type("/new the office printer shows error 79")
    if "These articles might help" in shown:
        await terminal.type("still need help")
    shown = await terminal.type("just me", "blocked", "today", "2", "skip", "yes")
    assert "Ticket #1" in shown
    await terminal.type("/as agent alice", "/resolve 1 replaced the fuser", "/as requester sam")
    shown = "\n".join(terminal.lines[-12:])
    assert "Did this solve it?" in shown
    assert "[1] Yes, solved" in shown and "[2] No, reopen" in shown
    shown = await terminal.type("1")
    assert "Ticket #1 is now closed." in shown and "[5] ★★★★★" in shown
    assert "Thanks for rating #1." in await terminal.type("5")
    assert "rated: 5/5" in await terminal.type("/show 1")


@pytest.mark.parametrize(
    "problem",
    ["my vpn keeps disconnecting", "I forgot my password and my account is locked"],
)
async def test_i_still_need_help_is_always_1_and_solved_is_asked_again(
    terminal: Terminal, problem: str
) -> None:
    shown = await terminal.type(problem)
    assert "These articles might help" in shown
    assert "[1] I still need help" in shown
    shown = await terminal.type("3" if "[3] This solved it" in shown else "2")
    assert "solve your problem? Then no ticket is needed." in shown
    assert "[1] I still need help" in shown and "[2] Yes, it solved it" in shown
    assert await terminal.self_service_count() == 0
    assert "Who is affected?" in await terminal.type("1")
    assert await terminal.self_service_count() == 0


async def test_solved_counts_once_it_is_confirmed(terminal: Terminal) -> None:
    await terminal.type("my vpn keeps disconnecting", "2")
    shown = await terminal.type("2")
    assert "No ticket needed" in shown
    assert await terminal.self_service_count() == 1


class TypedLines(io.StringIO):
    """A terminal's input: lines typed once the test releases them."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = threading.Event()
        self.typed: queue.Queue[str] = queue.Queue()

    def isatty(self) -> bool:
        return True

    def readline(self, size: int | None = -1) -> str:
        self.waiting.set()
        return self.typed.get(timeout=10)


async def test_an_alert_is_printed_above_the_prompt_and_the_prompt_redrawn(
    database_url: str,
) -> None:
    settings = make_settings(database_url)
    runtime = await build(settings, clock=FrozenClock(T0), migrate=False)
    out = io.StringIO()
    screen = Screen(write=lambda line: print(line, file=out), zone=settings.timezone)
    app = ConsoleApp(settings, runtime.desk, screen, runtime.dispatcher.deliver_due)
    keys = TypedLines()
    try:
        running = asyncio.create_task(app.run(keys, out))
        await asyncio.to_thread(keys.waiting.wait, 10)
        screen.write("[#L1]")  # what the gateway prints when an SLA alert arrives
        keys.typed.put("")
        await running
    finally:
        await runtime.close()
    assert "sam> \r\x1b[K[#L1]\nsam> " in out.getvalue()


async def test_a_card_that_did_not_change_is_not_printed_again(terminal: Terminal) -> None:
    shown = await terminal.type("/new the office printer shows error 79")
    if "These articles might help" in shown:
        await terminal.type("still need help")
    shown = await terminal.type("just me", "blocked", "today", "2", "skip", "yes")
    assert "Ticket #1" in shown
    shown = await terminal.type("it is the one by the kitchen")
    assert "requester wrote" in shown and "(card updated)" not in shown
    shown = await terminal.type("/as agent alice", "/claim 1")
    assert shown.count("(card updated)") == 1 and "Assignee: alice" in shown


async def test_a_lead_reads_the_figures_and_where_the_pictures_are(terminal: Terminal) -> None:
    await terminal.type("/as requester lead")  # console:lead is the example's lead
    shown = await terminal.type("/report 7d")
    assert "*Desk figures, last 7d*" in shown and "Tickets opened: 0" in shown
    assert "(the pictures: tierdesk report --format png --out report.png)" in shown
    await terminal.type("/as requester sam")
    assert "for support leads" in await terminal.type("/report")
