"""The composition root: settings → storage → knowledge → desk → adapters → scheduler.

Tests call :func:`build` with a frozen clock and fake gateways; ``tierdesk run`` calls it
with the real ones and starts every enabled adapter of :mod:`adapters.platforms` the same
way, the console included.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import logging
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.health import Check, scheduler_check
from adapters.host import Terminal
from adapters.http import HttpServer
from adapters.platforms import ADAPTERS
from adapters.scheduler import DeskScheduler, PeriodicJob
from adapters.service_pages import add_service_routes, database_check
from bot.clock import Clock, SystemClock
from bot.desk import Desk
from bot.errors import ConfigError
from bot.knowledge import Article, KnowledgeIndex, load_markdown_dir
from bot.ports import ChatGateway
from bot.services.delivery import Dispatcher
from bot.settings import Settings
from bot.views import counted
from storage.db import make_engine
from storage.migrate import current, head, upgrade
from storage.shared import SingletonLock, SqlButtonValues
from storage.uow import SqlUnitOfWorkFactory

log = logging.getLogger(__name__)

DELIVERY_INTERVAL = 2.0
EXPIRY_INTERVAL = 30.0
PRUNE_AT = "03:30"  # daily, in the desk's zone: old sent messages and event ids go


@dataclass
class Runtime:
    """Everything one process runs, wired together.

    ``serving`` is set once every adapter, the HTTP server and the scheduler are up;
    :meth:`stop` (a signal, or an adapter such as the console when its user leaves) asks
    ``tierdesk run`` to shut down.
    """

    settings: Settings
    clock: Clock
    engine: AsyncEngine
    uow_factory: SqlUnitOfWorkFactory
    desk: Desk
    dispatcher: Dispatcher
    terminal: Terminal
    serving: asyncio.Event = field(default_factory=asyncio.Event)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def button_values(self) -> SqlButtonValues:
        return SqlButtonValues(self.engine, self.clock)

    def lock(self, name: str) -> SingletonLock:
        """Held by one replica at a time: a PostgreSQL advisory lock on a connection of its
        own (always granted on SQLite, one process per file)."""
        return SingletonLock(self.engine, name)

    def add_gateway(self, gateway: ChatGateway) -> None:
        self.dispatcher.gateways[gateway.platform] = gateway

    def stop(self) -> None:
        self.stopping.set()

    async def close(self) -> None:
        await self.engine.dispose()


def knowledge_index(settings: Settings) -> KnowledgeIndex:
    """The index with the configured Markdown sources loaded (database articles come later)."""
    options = (
        {} if settings.knowledge.threshold is None else {"threshold": settings.knowledge.threshold}
    )
    index = KnowledgeIndex(limit=settings.knowledge.limit, **options)
    for article in load_sources(settings):
        index.add(article)
    return index


def load_sources(settings: Settings) -> list[Article]:
    articles: list[Article] = []
    for i, source in enumerate(settings.knowledge.sources):
        if not source.is_dir():
            raise ConfigError(f"knowledge.sources[{i}]", f"{source} is not a folder")
        try:
            articles.extend(load_markdown_dir(source))
        except ValueError as exc:
            raise ConfigError(f"knowledge.sources[{i}]", str(exc)) from exc
    return articles


class DatabaseNotReady(Exception):
    """A read-only runtime found no database it can read; the message says what to run."""


def missing_database(url: str) -> Path | None:
    """The SQLite file ``url`` names when it does not exist (yet)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database)
    return None if path.exists() else path


async def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    gateways: Mapping[str, ChatGateway] | None = None,
    migrate: bool = True,
    read_only: bool = False,
    terminal: Terminal | None = None,
    stopping: asyncio.Event | None = None,
) -> Runtime:
    """Wire a runtime; migrates the database first so a fresh SQLite file just works.

    ``read_only`` (the CLI's look-ups) opens the existing database read-only and never
    creates or migrates it: :class:`DatabaseNotReady` says so instead. ``terminal``
    defaults to the standard streams, no one typing; ``stopping`` to a new event.
    """
    clock = clock or SystemClock()
    knowledge = knowledge_index(settings)
    if read_only:
        engine = await _open_read_only(settings.storage_url)
    else:
        engine = make_engine(settings.storage_url)
    if migrate and not read_only:
        await upgrade(engine)  # the same engine: one pool, and ":memory:" is the same database
    uow_factory = SqlUnitOfWorkFactory(engine, clock)
    desk = Desk(settings, uow_factory, clock, knowledge)  # with the process's one Likeness
    await desk.knowledge.sync()
    dispatcher = Dispatcher(uow_factory, clock, dict(gateways or {}))
    return Runtime(
        settings,
        clock,
        engine,
        uow_factory,
        desk,
        dispatcher,
        terminal or Terminal(sys.stdin, sys.stdout),
        stopping=stopping or asyncio.Event(),
    )


async def _open_read_only(url: str) -> AsyncEngine:
    where = safe_url(url)
    missing = missing_database(url)
    if missing is not None:
        raise DatabaseNotReady(
            f"no database at {missing} (`tierdesk migrate` or `tierdesk run` creates it)"
        )
    engine = make_engine(url, read_only=True)
    try:
        at = await current(engine)
    except DBAPIError as exc:
        await engine.dispose()
        raise DatabaseNotReady(f"cannot read the database at {where}: {exc.orig}") from None
    if at != head():
        await engine.dispose()
        state = "has no tierdesk tables" if at is None else f"is at schema {at}, not {head()}"
        raise DatabaseNotReady(f"the database at {where} {state}: run `tierdesk migrate`")
    return engine


def periodic_jobs(runtime: Runtime) -> list[PeriodicJob]:
    return [
        PeriodicJob("deliver-outbox", runtime.dispatcher.deliver_due, DELIVERY_INTERVAL),
        PeriodicJob("expire-intakes", runtime.desk.expire_intakes, EXPIRY_INTERVAL),
        PeriodicJob("close-unanswered", runtime.desk.close_unanswered, EXPIRY_INTERVAL),
        PeriodicJob("sla-tick", runtime.desk.tick, runtime.settings.sla.tick.total_seconds()),
        PeriodicJob(
            "daily-digest",
            runtime.desk.sla.digest,
            daily_at=runtime.settings.sla.digest_at,
            zone=runtime.settings.timezone,
        ),
        PeriodicJob("prune", runtime.desk.prune, daily_at=PRUNE_AT, zone=runtime.settings.timezone),
    ]


def check_adapter_options(settings: Settings) -> None:
    """Validate each enabled adapter's section (its package's ``parse_options``), so
    ``check-config`` names a mistyped key before ``run`` would."""
    for name in settings.enabled_platforms:
        ADAPTERS[name].parse_options(settings.adapters[name])


async def run(
    settings: Settings,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    interactive: bool = False,
) -> None:
    """``tierdesk run``: the desk with its enabled adapters until a signal or an adapter
    ends it (the console's ``/quit``).

    Every enabled adapter starts the same way, ``start(runtime, http)``. Whether someone
    types on stdin is decided here: a terminal does, and ``interactive`` (``run --console``)
    says scripted input counts. Under a service manager or in a container stdin is
    /dev/null, and the process serves until SIGTERM or SIGINT, then stops cleanly after
    the deliveries in flight.
    """
    source = stdin or sys.stdin
    terminal = Terminal(source, stdout or sys.stdout, interactive or _is_terminal(source))
    stop = _stop_on_signals()  # before start-up: none is missed
    runtime = await build(settings, terminal=terminal, stopping=stop)
    # the incident detector's memory of the day: a restart must not make routine news
    remembered = await runtime.desk.incidents.warm_up(runtime.uow_factory, runtime.clock)
    scheduler = DeskScheduler(periodic_jobs(runtime))
    http = HttpServer(settings.http.host, settings.http.port, enabled=settings.http.enabled)
    checks: dict[str, Check] = {
        "database": database_check(runtime.engine),
        "scheduler": scheduler_check(scheduler),
    }
    add_service_routes(runtime, runtime.engine, http, checks)  # before events arrive
    async with contextlib.AsyncExitStack() as stack:  # undone in reverse, each step surely
        stack.push_async_callback(runtime.close)
        stack.push_async_callback(runtime.dispatcher.drain)  # kicked while adapters stopped
        stack.push_async_callback(http.stop)
        for name in settings.enabled_platforms:
            adapter = await ADAPTERS[name].start(runtime, http)
            stack.push_async_callback(adapter.stop)
            check = getattr(adapter, "check", None)  # a connection to a platform to check
            if check is not None:
                checks[name] = check
        stack.push_async_callback(runtime.dispatcher.drain)  # kicked by events, clients open
        await http.start()
        terminal.write(
            f"tierdesk: {len(runtime.desk.knowledge.index)} knowledge-base articles, storage "
            f"{safe_url(settings.storage_url)}, "
            f"platforms {', '.join(runtime.dispatcher.gateways) or 'none'}, "
            f"incident detection primed with {counted(remembered, 'ticket')} of the last day"
        )
        scheduler.start()
        stack.push_async_callback(scheduler.stop)  # periodic runs in progress finish
        runtime.serving.set()
        _return_startup_memory()
        await runtime.stopping.wait()


def _return_startup_memory() -> None:
    """Hand the heap that start-up freed (calibrating the knowledge index, compiling
    statements) back to the system: glibc keeps freed pages mapped until asked, and a
    service is judged by its resident size while it waits."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _is_terminal(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except ValueError:  # a closed stdin
        return False


def _stop_on_signals() -> asyncio.Event:
    """An event SIGINT and SIGTERM set, instead of killing the process mid-delivery."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop


def safe_url(url: str) -> str:
    """The storage URL without a password."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        credentials, _, host = rest.rpartition("@")
        user = credentials.split(":", 1)[0]
        return f"{scheme}{sep}{user}:***@{host}"
    return url
