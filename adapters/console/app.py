"""The console chat loop: reads lines, turns them into desk events, prints what comes back.

``/as agent NAME`` and ``/as requester NAME`` switch persona; a number presses the
matching button of the latest choices shown to you; ``/quit`` (or end of input) leaves.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import uuid
from collections.abc import Awaitable, Callable
from typing import TextIO

from adapters.console.gateway import PLATFORM, Screen
from adapters.console.options import parse_options
from bot.desk import Desk
from bot.domain import Identity
from bot.events import ActionPressed, ChatRef, CommandInvoked, MessageReceived, UserRef
from bot.settings import Settings

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
        loop = asyncio.get_running_loop()
        while True:
            if tty:
                self._prompt(terminal)
            line = await loop.run_in_executor(None, stream.readline)
            self._prompting = False
            if not line:
                break
            if not await self.feed(line.rstrip("\n")):
                break
        await self.deliver()

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
