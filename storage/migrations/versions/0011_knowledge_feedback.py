"""The knowledge base learns from the desk: how often each article was offered, taken and
turned down; requesters' (masked) phrasings confirmed for an article, learned once confirmed
often enough; and the questions that found no article (the articles worth writing).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A frozen copy of storage.types, so this file never changes with application code.
INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "article_feedback",
        sa.Column("article_id", sa.String(length=255), nullable=False),
        sa.Column("shown", sa.Integer(), server_default="0", nullable=False),
        sa.Column("accepted", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rejected", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_article_feedback")),
    )
    op.create_table(
        "article_phrasings",
        sa.Column("article_id", sa.String(length=255), nullable=False),
        sa.Column("phrasing", sa.String(length=255), nullable=False),
        sa.Column("confirmations", sa.Integer(), server_default="0", nullable=False),
        sa.Column("learned_at", INSTANT, nullable=True),
        sa.PrimaryKeyConstraint("article_id", "phrasing", name=op.f("pk_article_phrasings")),
    )
    op.create_table(
        "unanswered_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("query", sa.String(length=255), nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unanswered_questions")),
    )
    op.create_index(
        op.f("ix_unanswered_questions_query"), "unanswered_questions", ["query"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_unanswered_questions_query"), table_name="unanswered_questions")
    op.drop_table("unanswered_questions")
    op.drop_table("article_phrasings")
    op.drop_table("article_feedback")
