"""Engines and sessions for the two databases the desk runs on.

SQLite (``sqlite+aiosqlite:///path``) is the single-process default. Every connection gets
WAL (readers never block the writer), ``foreign_keys=ON`` (SQLite leaves it off) and a busy
timeout, and every transaction starts with ``BEGIN IMMEDIATE``: the driver's legacy mode runs
SELECTs outside any transaction, so two concurrent "read the ticket, change it" units of work
could both read the old state; taking the write lock up front serialises them instead, and the
busy timeout makes the second one wait rather than fail. The price: a unit of work holds the
database from its first statement to its end, so network calls inside one stall every other.

PostgreSQL (``postgresql+psycopg://…``) is for replicas: a pool with pre-ping, so a restarted
server costs a reconnect rather than an error.

``read_only=True`` (the CLI's look-ups) opens an existing SQLite file with ``mode=ro`` and
plain ``BEGIN``, and makes PostgreSQL transactions read-only: nothing is created or changed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    create_async_engine,
)

from storage import sqlite_inline
from storage.pool import UrgentFirstPool

__all__ = ["SQLITE_BUSY_TIMEOUT_MS", "make_engine"]

SQLITE_BUSY_TIMEOUT_MS = 10_000
"""How long a SQLite writer waits for another one before ``database is locked``."""


def make_engine(url: str | URL, *, echo: bool = False, read_only: bool = False) -> AsyncEngine:
    """An async engine for ``url``, configured for its database.

    A SQLite ``:memory:`` database lives on one shared connection (SQLAlchemy's default for
    it): fine for tests that run one unit of work at a time; migrate it by passing the engine
    itself to :func:`storage.migrate.upgrade`, since another engine would see another database.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.get_driver_name() != "aiosqlite":
            raise ValueError(f"{parsed.render_as_string()}: use the sqlite+aiosqlite driver")
        # One connection: SQLite has one writer anyway, and every unit of work writes
        # (``BEGIN IMMEDIATE``), so more connections only spin in the busy handler and make
        # the tail; queued in the pool they are served in order instead.
        database = parsed.database or ":memory:"
        options: dict[str, Any] = {}
        if database != ":memory:":
            # the outbox's bookkeeping goes before queued use cases
            options = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 60}
            options["poolclass"] = UrgentFirstPool
        uri = read_only and database != ":memory:"
        if uri:  # a missing file is an error, never created
            database = f"file:{quote(database)}?mode=ro"
        options["async_creator"] = sqlite_inline.connect(database, uri=uri)
        engine = create_async_engine(parsed, echo=echo, **options)
        _configure_sqlite(engine, read_only=read_only)
        return engine
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            raise ValueError(f"{parsed.render_as_string()}: use the postgresql+psycopg driver")
        if read_only:  # added to the URL's own libpq options (a search_path, say), not instead
            options = f"{parsed.query.get('options', '')} -c default_transaction_read_only=on"
            parsed = parsed.update_query_dict({"options": options.strip()})
        return create_async_engine(
            parsed,
            echo=echo,
            poolclass=UrgentFirstPool,
            pool_size=5,
            max_overflow=10,
            pool_pre_ping=True,
            pool_recycle=1800,
        )
    raise ValueError(f"{parsed.render_as_string()}: only SQLite and PostgreSQL are supported")


def _configure_sqlite(engine: AsyncEngine, *, read_only: bool = False) -> None:
    pragmas = (
        *(() if read_only else ("PRAGMA journal_mode=WAL",)),
        "PRAGMA foreign_keys=ON",
        f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    )
    begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"  # a reader takes no write lock

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver; ``_on_begin`` emits BEGIN instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql(begin)
