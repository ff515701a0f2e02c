"""The requester's answer to "Did this solve it?" and how often they reopened, per ticket;
an index to find resolved tickets left unanswered past the desk's wait.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("solved", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("reopens", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_index("ix_tickets_status_resolved", ["status", "resolved_at"])


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_status_resolved")
        batch_op.drop_column("reopens")
        batch_op.drop_column("solved")
