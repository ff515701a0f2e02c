"""The composition root: settings → storage → knowledge → desk → gateways → scheduler.

Tests call :func:`build` with a frozen clock and fake gateways; ``tierdesk run`` calls it
with the real ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.console.app import ConsoleApp
from adapters.console.gateway import ConsoleGateway, Screen
from adapters.http import HttpServer
from adapters.platforms import ADAPTERS, RunningAdapter
from adapters.scheduler import DeskScheduler, PeriodicJob
from bot.clock import Clock, SystemClock
from bot.desk import Desk
from bot.errors import ConfigError
from bot.knowledge import Article, KnowledgeIndex, load_markdown_dir
from bot.ports import ChatGateway
from bot.services.delivery import Dispatcher
from bot.settings import Settings
from storage.db import make_engine, make_session_factory
from storage.migrate import current, head, upgrade
from storage.uow import SqlUnitOfWorkFactory

log = logging.getLogger(__name__)

DELIVERY_INTERVAL = 2.0
EXPIRY_INTERVAL = 30.0
PRUNE_AT = "03:30"  # daily, in the desk's zone: old sent messages and event ids go


@dataclass
class Runtime:
    """Everything one process runs, wired together."""

    settings: Settings
    clock: Clock
    engine: AsyncEngine
    uow_factory: SqlUnitOfWorkFactory
    knowledge: KnowledgeIndex
    desk: Desk
    dispatcher: Dispatcher

    def add_gateway(self, gateway: ChatGateway) -> None:
        self.dispatcher.gateways[gateway.platform] = gateway

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
) -> Runtime:
    """Wire a runtime; migrates the database first so a fresh SQLite file just works.

    ``read_only`` (the CLI's look-ups) opens the existing database read-only and never
    creates or migrates it: :class:`DatabaseNotReady` says so instead.
    """
    clock = clock or SystemClock()
    knowledge = knowledge_index(settings)
    if read_only:
        engine = await _open_read_only(settings.storage_url)
    else:
        engine = make_engine(settings.storage_url)
    if migrate and not read_only:
        await upgrade(engine)  # the same engine: one pool, and ":memory:" is the same database
    uow_factory = SqlUnitOfWorkFactory(make_session_factory(engine), clock)
    desk = Desk(settings, uow_factory, clock, knowledge)
    await desk.load_knowledge()
    dispatcher = Dispatcher(uow_factory, clock, dict(gateways or {}))
    return Runtime(settings, clock, engine, uow_factory, knowledge, desk, dispatcher)


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
        PeriodicJob("sla-tick", runtime.desk.sla.tick, runtime.settings.sla.tick.total_seconds()),
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


async def start_chat_adapters(runtime: Runtime, http: HttpServer) -> list[RunningAdapter]:
    """Start every enabled platform adapter but the console (``adapters.<name>.start``)."""
    running: list[RunningAdapter] = []
    for name in runtime.settings.enabled_platforms:
        if name == "console":
            continue
        running.append(await ADAPTERS[name].start(runtime, http))
    return running


async def run(
    settings: Settings,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    console: bool = False,
) -> None:
    """``tierdesk run``: the desk with its enabled adapters until /quit or a signal.

    The enabled console runs only when stdin is a terminal (``console`` forces it, for
    scripted input): under a service manager or in a container stdin is /dev/null, and the
    process serves its other adapters until SIGTERM or SIGINT, then stops cleanly.
    """
    out = stdout or sys.stdout
    source = stdin or sys.stdin

    def write(line: str) -> None:
        print(line, file=out, flush=True)

    console_on = console or (settings.adapters["console"].enabled and _is_terminal(source))
    stop = None if console_on else _stop_on_signals()  # before start-up: none is missed
    runtime = await build(settings)
    scheduler = DeskScheduler(periodic_jobs(runtime))
    http = HttpServer(settings.http.host, settings.http.port)
    adapters: list[RunningAdapter] = []
    try:
        screen = Screen(write=write, zone=settings.timezone)
        if console_on:
            runtime.add_gateway(ConsoleGateway(screen, runtime.clock))
        adapters = await start_chat_adapters(runtime, http)
        await http.start()
        write(
            f"tierdesk: {len(runtime.knowledge)} knowledge-base articles, storage "
            f"{safe_url(settings.storage_url)}, "
            f"platforms {', '.join(runtime.dispatcher.gateways) or 'none'}"
        )
        if settings.adapters["console"].enabled and not console_on:
            write(
                "tierdesk: console off: stdin is not a terminal (`tierdesk run --console` "
                "reads it anyway); running until SIGTERM or SIGINT"
            )
        scheduler.start()
        if console_on:
            app = ConsoleApp(settings, runtime.desk, screen, runtime.dispatcher.deliver_due)
            await app.run(source)
        elif stop is not None:
            await stop.wait()
    finally:
        await scheduler.stop()  # periodic runs in progress (deliveries too) finish
        await runtime.dispatcher.drain()  # and deliveries kicked by events, while clients are open
        for adapter in adapters:
            await adapter.stop()
        await http.stop()
        await runtime.dispatcher.drain()  # kicked by events handled while the adapters stopped
        await runtime.close()


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
