"""What an adapter package may use of the process that starts it, and what it gives back.

The runtime (:mod:`adapters.runtime`) is the one host; adapters see it through
:class:`Host` only, so they import nothing of the composition root that imports them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TextIO

from bot.clock import Clock
from bot.desk import Desk
from bot.ports import ChatGateway
from bot.services.delivery import Dispatcher
from bot.settings import AdapterSettings, Platform, Settings

if TYPE_CHECKING:
    from adapters.http import HttpServer
    from adapters.telegram.callback_data import ButtonValueStore


@dataclass(frozen=True, slots=True)
class Terminal:
    """The process's standard streams, which an adapter (the console) may chat on."""

    stdin: TextIO
    stdout: TextIO
    interactive: bool = False  # someone types on stdin: a terminal, or `run --console`

    def write(self, line: str) -> None:
        print(line, file=self.stdout, flush=True)


class ExclusiveLock(Protocol):
    """Held by one process of all replicas at a time (``storage.shared.SingletonLock``)."""

    async def acquire(self) -> bool:
        """True when this process holds the lock now (it may have already)."""
        ...

    async def held(self) -> bool:
        """Still held: False once the lock was lost (its database connection ended)."""
        ...

    async def release(self) -> None: ...


class Host(Protocol):
    """The running desk as an adapter sees it."""

    settings: Settings
    clock: Clock
    desk: Desk
    dispatcher: Dispatcher
    terminal: Terminal
    serving: asyncio.Event  # set once everything is up
    button_values: ButtonValueStore  # long Telegram button values, shared by replicas

    def lock(self, name: str) -> ExclusiveLock:
        """A lock only one replica holds at a time (a job that must run once)."""
        ...

    def add_gateway(self, gateway: ChatGateway) -> None: ...

    def stop(self) -> None:
        """Ask the process to shut down (the console's user left)."""
        ...


class RunningAdapter(Protocol):
    """What an adapter's ``start(host, http)`` returns. One that talks to a platform also
    has ``async def check() -> None``, raising when its connection does not work
    (``/healthz`` names the adapter then)."""

    async def stop(self) -> None: ...


class Adapter(Protocol):
    """The face of an adapter package (the module itself satisfies it)."""

    DESCRIPTOR: Platform

    def parse_options(self, adapter: AdapterSettings) -> object: ...

    async def start(self, runtime: Host, http: HttpServer) -> RunningAdapter: ...
