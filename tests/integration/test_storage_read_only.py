"""A read-only engine (the CLI's look-ups) reads the database and changes nothing."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage.db import make_engine


async def test_a_read_only_engine_reads_but_never_writes(database_url: str) -> None:
    engine = make_engine(database_url, read_only=True)
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT count(*) FROM tickets"))).scalar() == 0
        with pytest.raises(DBAPIError, match=r"(?i)read.?only"):
            async with engine.begin() as connection:
                await connection.execute(text("DELETE FROM people"))
    finally:
        await engine.dispose()


async def test_a_read_only_engine_never_creates_a_sqlite_file(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'absent.db'}", read_only=True)
    try:
        with pytest.raises(DBAPIError, match="unable to open database file"):
            async with engine.connect():
                pass
    finally:
        await engine.dispose()
    assert await asyncio.to_thread(os.listdir, tmp_path) == []
