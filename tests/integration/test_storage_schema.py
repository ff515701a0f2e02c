"""Migrations: the migrated schema is exactly :mod:`storage.tables`, on every database."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from storage import migrate
from storage.db import make_engine
from storage.tables import Base


def _schema_diff(connection: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


def _predicates(connection: Connection) -> dict[str, str]:
    """Partial-index predicates, which ``compare_metadata`` does not compare."""
    found = {}
    inspector = sa.inspect(connection)
    for table in Base.metadata.sorted_tables:
        for index in inspector.get_indexes(table.name):
            options = index.get("dialect_options", {})
            where = options.get("postgresql_where", options.get("sqlite_where"))
            if where is not None:
                found[str(index["name"])] = _normalised(where)
    return found


def _expected_predicates(dialect: str) -> dict[str, str]:
    return {
        str(index.name): _normalised(index.dialect_options[dialect]["where"])
        for table in Base.metadata.sorted_tables
        for index in table.indexes
        if index.dialect_options[dialect]["where"] is not None
    }


def _normalised(clause: object) -> str:
    text = str(clause).lower()
    text = re.sub(r"::[a-z ]+", "", text)  # PostgreSQL's casts ('')::text
    return re.sub(r"[()\s]", "", text)


async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_schema_diff) == []
            predicates = await connection.run_sync(_predicates)
        assert predicates == _expected_predicates(engine.dialect.name)
        assert set(predicates) == {"ix_outbox_pending", "ix_outbox_card"}
        assert await migrate.current(engine) == migrate.head() is not None
    finally:
        await engine.dispose()


async def test_downgrade_to_nothing_and_back(database_url: str) -> None:
    await migrate.downgrade(database_url, "base")
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: sa.inspect(c).get_table_names())
        assert set(tables) <= {"alembic_version", "sqlite_sequence"}
        assert await migrate.current(engine) is None
        await migrate.upgrade(engine)
        await migrate.upgrade(engine)  # at head: nothing to do
        async with engine.connect() as connection:
            assert await connection.run_sync(_schema_diff) == []
    finally:
        await engine.dispose()


async def test_replicas_starting_together_migrate_once(database_url: str) -> None:
    await migrate.downgrade(database_url, "base")
    # Replicas are processes: each upgrade gets a thread and an event loop of its own. (In one
    # loop, SQLite's inline statements would make the loop itself wait in the busy handler for
    # the transaction it should be finishing: 10 s per upgrade, a deadlock no replica meets.)
    await asyncio.gather(
        *(asyncio.to_thread(asyncio.run, migrate.upgrade(database_url)) for _ in range(3))
    )
    assert await migrate.current(database_url) == migrate.head()


async def test_upgrade_works_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = "sqlite+aiosqlite:///fresh.db"  # relative to the working directory
    assert await migrate.current(url) is None
    await migrate.upgrade(url)
    assert await migrate.current(url) == migrate.head()
    assert (tmp_path / "fresh.db").exists()


async def test_an_in_memory_database_is_migrated_through_its_engine() -> None:
    engine = make_engine("sqlite+aiosqlite://")
    try:
        await migrate.upgrade(engine)
        async with engine.connect() as connection:
            assert await connection.run_sync(_schema_diff) == []
    finally:
        await engine.dispose()


async def test_sqlite_tables_can_be_rebuilt_under_referencing_rows(database_url: str) -> None:
    """Alembic's batch mode recreates a table; enforced foreign keys would refuse the drop."""
    if not database_url.startswith("sqlite"):
        pytest.skip("batch table rebuilds are SQLite's way of altering tables")
    engine = make_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(sa.text("INSERT INTO people (display_name) VALUES ('Al')"))
            await connection.execute(
                sa.text(
                    "INSERT INTO identities (platform, external_id, person_id) VALUES ('x', 'y', 1)"
                )
            )

        def rebuild_people(config: object) -> None:
            from alembic.operations import Operations

            connection = config.attributes["connection"]  # type: ignore[attr-defined]
            operations = Operations(MigrationContext.configure(connection))
            with operations.batch_alter_table("people", recreate="always") as batch:
                batch.alter_column("display_name", existing_type=sa.String(255), nullable=False)

        await migrate._run(engine, rebuild_people)
        async with engine.connect() as connection:
            assert await connection.scalar(sa.text("PRAGMA foreign_keys")) == 1
            assert await connection.scalar(sa.text("SELECT count(*) FROM identities")) == 1
    finally:
        await engine.dispose()


def test_the_migration_template_ships_with_the_package() -> None:
    assert (migrate.MIGRATIONS / "script.py.mako").is_file()
    assert (migrate.MIGRATIONS / "env.py").is_file()
    shipped = sorted(p.name for p in (migrate.MIGRATIONS / "versions").glob("*.py"))
    assert shipped[0] == "0001_initial.py"
    assert shipped[-1].startswith(migrate.head() or "?")
