"""Outbox rows are written with only what varies: a new message's attempts and last error
come from column defaults, and the never-used ``extra`` column goes (an SLA tick writes
hundreds of rows at once; each column is a bound value to prepare).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("attempts", existing_type=sa.Integer(), server_default="0")
        batch_op.alter_column("last_error", existing_type=sa.Text(), server_default="")
        batch_op.drop_column("extra")


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("extra", JSON, nullable=False, server_default="{}"))
        batch_op.alter_column("last_error", existing_type=sa.Text(), server_default=None)
        batch_op.alter_column("attempts", existing_type=sa.Integer(), server_default=None)
