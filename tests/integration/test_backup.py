"""``tierdesk backup`` / ``restore`` on SQLite: a consistent copy taken while another
connection is writing, restored over a changed database, and clear refusals."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import pytest

from adapters.cli import main
from bot.domain import Identity, Person
from storage.db import make_engine
from storage.uow import SqlUnitOfWorkFactory
from tests.e2e.console_process import write_config
from tests.factories import new_ticket

SAM = Identity("console", "sam")


def summaries(db: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(db)) as connection:
        return [r[0] for r in connection.execute("SELECT summary FROM tickets ORDER BY number")]


async def add_ticket(url: str, summary: str) -> None:
    engine = make_engine(url)
    try:
        async with SqlUnitOfWorkFactory(engine)() as uow:
            sam = await uow.people.by_identity(SAM) or await uow.people.add(Person("Sam"), SAM)
            await uow.tickets.add(new_ticket(summary=summary, requester_id=sam.id))
            await uow.commit()
    finally:
        await engine.dispose()


@pytest.fixture
def desk_db(tmp_path: Path) -> tuple[Path, Path]:
    """A config and its migrated SQLite database."""
    config = write_config(tmp_path)
    assert main(["migrate", "--config", str(config)]) == 0
    return config, tmp_path / "desk.db"


async def test_backup_while_written_then_restore(
    desk_db: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, db = desk_db
    await add_ticket(f"sqlite+aiosqlite:///{db}", "printer jams")
    with contextlib.closing(sqlite3.connect(db, isolation_level=None)) as writer:
        writer.execute("BEGIN IMMEDIATE")  # a desk mid-transaction holds the write lock
        writer.execute("UPDATE tickets SET summary = 'half-written'")
        code = await _cli("backup", str(tmp_path / "copy.db"), "--config", str(config))
        assert code == 0
        writer.execute("COMMIT")  # the writer was never blocked by the backup
    assert "backed up 1 tickets" in capsys.readouterr().out
    assert summaries(tmp_path / "copy.db") == ["printer jams"]  # committed state only
    assert summaries(db) == ["half-written"]

    await add_ticket(f"sqlite+aiosqlite:///{db}", "after the backup")
    assert await _cli("restore", str(tmp_path / "copy.db"), "--config", str(config)) == 0
    assert "restored 1 tickets" in capsys.readouterr().out
    assert summaries(db) == ["printer jams"]
    assert await _cli("tickets", "--config", str(config), "--json") == 0  # the desk reads it
    assert "printer jams" in capsys.readouterr().out


async def test_refusals_name_the_reason(
    desk_db: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, db = desk_db
    existing = tmp_path / "exists.db"
    existing.write_bytes(b"")
    assert await _cli("backup", str(existing), "--config", str(config)) == 1
    assert "exists already" in capsys.readouterr().err
    junk = tmp_path / "junk.db"
    junk.write_text("not a database at all, just text " * 200)
    assert await _cli("restore", str(junk), "--config", str(config)) == 1
    assert "is not a tierdesk database" in capsys.readouterr().err
    assert await _cli("restore", str(tmp_path / "missing.db"), "--config", str(config)) == 1
    assert "no backup file" in capsys.readouterr().err
    assert summaries(db) == []  # nothing was touched
    pg = config.read_text().replace(
        f"sqlite+aiosqlite:///{db}", "postgresql+psycopg://tierdesk@db:5432/tierdesk"
    )
    config.write_text(pg)
    assert await _cli("backup", str(tmp_path / "pg.db"), "--config", str(config)) == 1
    assert "use pg_dump" in capsys.readouterr().err


async def _cli(*argv: str) -> int:
    """``main`` starts its own event loop: run it in a worker thread from this test's loop."""
    return await asyncio.to_thread(main, list(argv))
