"""The console chat loop: reads lines, turns them into desk events, prints what comes back.

``/as agent NAME`` and ``/as requester NAME`` switch persona; a number presses the
matching button of the latest choices shown to you; ``/quit`` (or end of input) leaves.
:class:`ConsoleSession` is the console as ``tierdesk run`` starts it, like any adapter.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sys
import threading
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TextIO

from adapters.console.gateway import PLATFORM, ConsoleGateway, Screen
from adapters.console.options import parse_options
from bot.desk import Desk
from bot.domain import Identity
from bot.events import ActionPressed, ChatRef, CommandInvoked, MessageReceived, UserRef
from bot.settings import Settings

if TYPE_CHECKING:
    from adapters.host import Host

CONSOLE_OFF = (
    "tierdesk: console off: stdin is not a terminal (`tierdesk run --console` reads it "
    "anyway); running until SIGTERM or SIGINT"
)

CONSOLE_HELP = """\
Console: you are a requester chatting with the desk. Just describe a problem.
  a number        press that choice
  /as agent NAME  become agent NAME (see the tiers in the config)
  /as requester NAME
  /whoami         who you are now
  /quit           leave
Desk commands: /help, /new, /mytickets, /show N, /queue, /claim N, /reply N text, …"""


class ConsoleApp:
    """Drives the desk from a terminal (or any pair of text streams)."""

    def __init__(
        self,
        settings: Settings,
        desk: Desk,
        screen: Screen,
        deliver: Callable[[], Awaitable[int]],
        *,
        requester: str = "",
    ) -> None:
        self.settings = settings
        self.desk = desk
        self.screen = screen
        self.deliver = deliver
        self._seq = itertools.count(1)
        self._session = uuid.uuid4().hex[:8]
        self._prompting = False  # a prompt is on the terminal's last line, awaiting input
        self._closed = False
        self._reading: asyncio.Future[str] | None = None
        self.options = parse_options(settings.adapters[PLATFORM])
        self.become(requester or self.options.requester)

    # -- persona -------------------------------------------------------------------------

    def become(self, name: str) -> None:
        self.name = name
        identity = Identity(PLATFORM, name)
        channels = {
            tier.channels[PLATFORM]
            for tier in self.settings.agent_tiers(identity)
            if PLATFORM in tier.channels
        }
        self.screen.viewer = name
        self.screen.visible = frozenset(channels)
        self.screen.zone = self.options.timezone or self.settings.timezone

    def agent_tiers(self) -> list[str]:
        identity = Identity(PLATFORM, self.name)
        return [t.name for t in self.settings.agent_tiers(identity)]

    # -- input ---------------------------------------------------------------------------

    async def run(self, stream: TextIO | None = None, out: TextIO | None = None) -> None:
        """Read lines until /quit or end of input. On a terminal a prompt shows, and what
        arrives while it waits (an SLA alert) is printed above it, the prompt redrawn."""
        stream = stream or sys.stdin
        terminal = out or sys.stdout
        self.screen.write(CONSOLE_HELP)
        self._whoami()
        tty = stream.isatty()
        if tty:
            self._keep_prompt_below(terminal)
        while not self._closed:
            if tty:
                self._prompt(terminal)
            self._reading = read_line(stream)
            line = await self._reading
            self._prompting = False
            if not line:
                break
            if not await self.feed(line.rstrip("\n")):
                break
        await self.deliver()

    def close(self) -> None:
        """End :meth:`run` as end of input would; a line being handled is finished first."""
        self._closed = True
        if self._reading is not None and not self._reading.done():
            self._reading.set_result("")

    def _prompt(self, terminal: TextIO) -> None:
        print(f"{self.name}> ", end="", file=terminal, flush=True)
        self._prompting = True

    def _keep_prompt_below(self, terminal: TextIO) -> None:
        write = self.screen.write

        def above_prompt(line: str) -> None:
            if not self._prompting:
                write(line)
                return
            print("\r\x1b[K", end="", file=terminal, flush=True)  # erase the prompt line
            write(line)
            self._prompt(terminal)

        self.screen.write = above_prompt

    async def feed(self, line: str) -> bool:
        """Handle one typed line; False when the user asked to leave."""
        text = line.strip()
        if not text:
            return True
        if text in ("/quit", "/exit"):
            return False
        if text.startswith("/as "):
            self._switch(text[4:].split())
        elif text == "/whoami":
            self._whoami()
        else:
            await self.desk.handle(self._event(text))
            await self.deliver()
        return True

    def _switch(self, words: list[str]) -> None:
        if len(words) != 2 or words[0] not in ("agent", "requester"):
            self.screen.write("Usage: /as agent NAME  or  /as requester NAME")
            return
        role, name = words
        self.become(name)
        if role == "agent" and not self.agent_tiers():
            agents = sorted(self.settings.agent_ids(PLATFORM))
            self.screen.write(
                f"Note: {name} is no agent in any tier (console agents: "
                f"{', '.join(agents) or 'none'}); you can look, not act."
            )
        self._whoami()

    def _whoami(self) -> None:
        tiers = self.agent_tiers()
        role = f"agent of {', '.join(tiers)}" if tiers else "requester"
        self.screen.write(f"You are {self.name} ({role}).")

    def _event(self, text: str) -> MessageReceived | ActionPressed | CommandInvoked:
        event_id = f"{self._session}-{next(self._seq)}"
        user = UserRef(PLATFORM, self.name, self.name)
        chat = ChatRef(PLATFORM, self.name, direct=True)
        if text.isdigit():
            choices = self.screen.latest_choices()
            index = int(text) - 1
            if 0 <= index < len(choices):
                button = choices[index]
                return ActionPressed(
                    event_id, user, chat, button.action, button.ticket, button.value
                )
        if text.startswith("/") and len(text) > 1:
            name, _, args = text[1:].partition(" ")
            return CommandInvoked(event_id, user, chat, name, args)
        return MessageReceived(event_id, user, chat, text)


def read_line(stream: TextIO) -> asyncio.Future[str]:
    """The next line of ``stream`` ("" at its end), read in a daemon thread: a process told
    to stop need not wait for someone to press Enter, as it would for an executor's thread."""
    loop = asyncio.get_running_loop()
    line: asyncio.Future[str] = loop.create_future()

    def settle(text: str, error: Exception | None) -> None:
        if line.done():  # closed meanwhile
            return
        if error is not None:
            line.set_exception(error)
        else:
            line.set_result(text)

    def read() -> None:
        text, error = "", None
        try:
            text = stream.readline()
        except (OSError, ValueError) as exc:  # a broken or closed stream
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits any more
            loop.call_soon_threadsafe(settle, text, error)

    threading.Thread(target=read, name="console-input", daemon=True).start()
    return line


class ConsoleSession:
    """The console as a running adapter of ``tierdesk run``.

    When someone types on the terminal it registers its gateway at once (so the start-up
    line lists it), starts the chat once the desk serves, and ends the process when the
    chat ends; otherwise it only says, after the start-up line, why it is off.
    """

    def __init__(self, runtime: Host) -> None:
        self.runtime = runtime
        self.app: ConsoleApp | None = None
        terminal = runtime.terminal
        if terminal.interactive:
            screen = Screen(write=terminal.write, zone=runtime.settings.timezone)
            runtime.add_gateway(ConsoleGateway(screen, runtime.clock))
            self.app = ConsoleApp(
                runtime.settings, runtime.desk, screen, runtime.dispatcher.deliver_due
            )
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        await self.runtime.serving.wait()
        terminal = self.runtime.terminal
        if self.app is None:
            terminal.write(CONSOLE_OFF)
            return
        try:
            await self.app.run(terminal.stdin, terminal.stdout)
        finally:
            self.runtime.stop()

    async def stop(self) -> None:
        """Stop reading; the line in hand is handled and delivered first."""
        if self.app is not None and self.runtime.serving.is_set():
            self.app.close()
        else:
            self._task.cancel()
        await asyncio.wait({self._task})
        if not self._task.cancelled():
            self._task.result()  # the chat's own error, if it ended in one
