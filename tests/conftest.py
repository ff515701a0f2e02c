"""Fixtures shared by the whole suite.

- Every test runs offline: a connection to anything but loopback or a Unix socket fails it.
- ``database_url`` / ``uow_factory`` give a clean, migrated database, once on SQLite and once
  on PostgreSQL when ``TIERDESK_TEST_PG_URL`` is set (for example
  ``postgresql+psycopg://postgres@127.0.0.1:5432/test``; each run works in schemas of its
  own there, dropped at the end).
  PostgreSQL is migrated once per session and emptied before each test; SQLite tests each get
  a copy of a file migrated once per session.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import shutil
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from storage.uow import SqlUnitOfWorkFactory

PG_URL_ENV = "TIERDESK_TEST_PG_URL"

# -- no network --------------------------------------------------------------------------


def _is_local(host: object) -> bool:
    if host is None:  # getaddrinfo(None, port): the local wildcard
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    host = host.strip("[]").split("%", 1)[0].lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _is_local_address(address: object) -> bool:
    if isinstance(address, str | bytes):  # a Unix socket path
        return True
    if isinstance(address, tuple) and address:
        return _is_local(address[0])
    return False


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Refuse connections to non-loopback hosts, and fail the test even if code swallowed the
    error. Yields the refused targets (a test of the guard itself may clear them)."""
    attempts: list[str] = []

    def refuse(target: object) -> OSError:
        attempts.append(repr(target))
        return ConnectionRefusedError(f"tests may not reach the network: {target!r}")

    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_create_connection = socket.create_connection
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        if not _is_local_address(address):
            raise refuse(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not _is_local_address(address):
            raise refuse(address)
        return real_connect_ex(self, address)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if not _is_local_address(address):
            raise refuse(address)
        return real_create_connection(address, *args, **kwargs)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_local(host):
            raise refuse(host)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts
    if attempts:
        pytest.fail(f"test tried to reach the network: {', '.join(attempts)}")


# -- databases ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test gets a copy (much faster than migrating each time)."""
    from storage.migrate import upgrade

    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    asyncio.run(upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def _pg_database() -> Iterator[tuple[str, Callable[[], None]]]:
    """``TIERDESK_TEST_PG_URL``, wiped and migrated, and a function that empties it again.

    Each worker gets a schema of its own in that database (``search_path`` set on every
    connection, subprocesses included), so workers never see each other's rows.
    """
    url = os.environ.get(PG_URL_ENV)
    if not url:
        pytest.skip(f"set {PG_URL_ENV} to run against PostgreSQL")
    import sqlalchemy as sa

    from storage.migrate import upgrade
    from storage.tables import Base

    # A schema per worker and per run: two suites running at once on one machine (two
    # checkouts, say) must not drop each other's tables. xdist workers share their parent.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    run = os.getppid() if worker != "main" else os.getpid()
    schema = f"test_{worker}_{run}" if worker.isidentifier() else f"test_{run}"
    parsed = sa.engine.make_url(url)
    url = parsed.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )
    engine = sa.create_engine(url, pool_size=1)
    with engine.begin() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    asyncio.run(upgrade(url))
    with engine.connect() as connection:
        sequences = connection.exec_driver_sql(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = %(schema)s",
            {"schema": schema},
        ).scalars()
        restarts = [f'ALTER SEQUENCE "{name}" RESTART' for name in sequences]
    deletes = [f'DELETE FROM "{t.name}"' for t in reversed(Base.metadata.sorted_tables)]

    def empty() -> None:
        # Several times faster than TRUNCATE on tables this small.
        with engine.begin() as connection:
            for statement in deletes + restarts:
                connection.exec_driver_sql(statement)

    yield url, empty
    with engine.begin() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    engine.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)],
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database migrated to head, on each supported backend."""
    if request.param == "sqlite":
        path = tmp_path / "tierdesk.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url, empty = request.getfixturevalue("_pg_database")
    empty()
    return str(url)


@pytest.fixture
async def uow_factory(database_url: str) -> AsyncIterator[SqlUnitOfWorkFactory]:
    """Units of work on ``database_url``; the engine is disposed after the test."""
    from storage.db import make_engine
    from storage.uow import SqlUnitOfWorkFactory

    engine = make_engine(database_url)
    try:
        yield SqlUnitOfWorkFactory(engine)
    finally:
        await engine.dispose()


# -- the starter kit, built once -------------------------------------------------------------


def _fingerprint(folder: Path) -> tuple[object, ...]:
    return tuple(
        (str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(folder.rglob("*"))
    )


@pytest.fixture(autouse=True, scope="session")
def _knowledge_built_once() -> Iterator[None]:
    """Most desks a test builds load the same Markdown folders: each index is built once per
    worker and every desk gets a copy (``KnowledgeIndex.copy``, what a process does for each
    new version), so a test still owns its index. A folder that is missing or changed is
    loaded afresh, errors included."""
    from adapters import runtime

    real = runtime.knowledge_index
    built: dict[tuple[object, ...], Any] = {}

    def once(settings: Any) -> Any:
        sources = settings.knowledge.sources
        if not all(source.is_dir() for source in sources):
            return real(settings)
        key = (
            settings.knowledge.limit,
            settings.knowledge.threshold,
            tuple(_fingerprint(source) for source in sources),
        )
        if key not in built:
            built[key] = real(settings)
        return built[key].copy()

    patch = pytest.MonkeyPatch()
    patch.setattr(runtime, "knowledge_index", once)
    yield
    patch.undo()
