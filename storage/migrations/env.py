"""Alembic environment for tierdesk.

Migrations always run on a connection handed over by :mod:`storage.migrate` (in
``config.attributes["connection"]``), which opened it from an async engine and called in
here through ``run_sync``; there is no ``alembic.ini`` and no URL to read.
"""

from __future__ import annotations

from typing import Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from storage.tables import Base
from storage.types import UTCDateTime


def render_item(kind: str, obj: object, _context: AutogenContext) -> str | Literal[False]:
    """Write storage's own column types as the plain types they store, so a migration never
    imports application code that may have changed since it was written."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations through storage.migrate, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite can only change a table by rebuilding it
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
