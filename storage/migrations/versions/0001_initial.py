"""The initial schema: people, tickets, knowledge, dialogs, inbound dedupe and the outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of storage.types, so this file never changes with application code.
INSTANT = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
PENDING = sa.text("delivered_at IS NULL AND failed_at IS NULL")
CARD = sa.text("card_key <> ''")


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_people"),
    )

    op.create_table(
        "identities",
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name="fk_identities_person_id_people"
        ),
        sa.PrimaryKeyConstraint("platform", "external_id", name="pk_identities"),
    )
    op.create_index("ix_identities_person_id", "identities", ["person_id"])

    op.create_table(
        "tickets",
        sa.Column("number", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("requester_chat_platform", sa.String(length=32), nullable=False),
        sa.Column("requester_chat_id", sa.String(length=255), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("impact", sa.String(length=64), nullable=False),
        sa.Column("can_work", sa.String(length=64), nullable=False),
        sa.Column("urgency", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.String(length=64), nullable=False),
        sa.Column("tier", sa.String(length=64), nullable=False),
        sa.Column("chain", JSON, nullable=False),
        sa.Column("category", sa.String(length=255), nullable=True),
        sa.Column("product", sa.String(length=255), nullable=True),
        sa.Column("version", sa.String(length=64), nullable=True),
        sa.Column("version_supported", sa.Boolean(), nullable=True),
        sa.Column("status", sa.String(length=64), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=True),
        sa.Column("response_due_at", INSTANT, nullable=True),
        sa.Column("resolution_due_at", INSTANT, nullable=True),
        sa.Column("first_response_at", INSTANT, nullable=True),
        sa.Column("resolved_at", INSTANT, nullable=True),
        sa.Column("closed_at", INSTANT, nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["people.id"], name="fk_tickets_requester_id_people"
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["people.id"], name="fk_tickets_assignee_id_people"
        ),
        sa.PrimaryKeyConstraint("number", name="pk_tickets"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_tickets_status_tier", "tickets", ["status", "tier"])
    op.create_index("ix_tickets_requester_id", "tickets", ["requester_id"])
    op.create_index("ix_tickets_assignee_id", "tickets", ["assignee_id"])
    op.create_index("ix_tickets_response_due_at", "tickets", ["response_due_at"])
    op.create_index("ix_tickets_resolution_due_at", "tickets", ["resolution_due_at"])

    op.create_table(
        "ticket_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_number", sa.Integer(), nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_number"], ["tickets.number"], name="fk_ticket_history_ticket_number_tickets"
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["people.id"], name="fk_ticket_history_actor_id_people"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_history"),
    )
    op.create_index("ix_ticket_history_ticket", "ticket_history", ["ticket_number", "at", "id"])

    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_number", sa.Integer(), nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_number"], ["tickets.number"], name="fk_comments_ticket_number_tickets"
        ),
        sa.ForeignKeyConstraint(["author_id"], ["people.id"], name="fk_comments_author_id_people"),
        sa.PrimaryKeyConstraint("id", name="pk_comments"),
    )
    op.create_index("ix_comments_ticket", "comments", ["ticket_number", "at", "id"])

    op.create_table(
        "articles",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("keywords", JSON, nullable=False),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_articles"),
    )

    op.create_table(
        "self_service_resolutions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.String(length=255), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name="fk_self_service_resolutions_person_id_people"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_self_service_resolutions"),
    )
    op.create_index(
        "ix_self_service_resolutions_person_id", "self_service_resolutions", ["person_id"]
    )
    op.create_index(
        "ix_self_service_resolutions_article_id", "self_service_resolutions", ["article_id"]
    )
    op.create_index("ix_self_service_resolutions_at", "self_service_resolutions", ["at"])

    op.create_table(
        "conversations",
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("chat_id", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name="fk_conversations_person_id_people"
        ),
        sa.PrimaryKeyConstraint("platform", "chat_id", "user_id", name="pk_conversations"),
    )
    op.create_index("ix_conversations_person_id", "conversations", ["person_id"])
    op.create_index("ix_conversations_updated_at", "conversations", ["updated_at"])

    op.create_table(
        "inbound_events",
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("received_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("platform", "event_id", name="pk_inbound_events"),
    )
    op.create_index("ix_inbound_events_received_at", "inbound_events", ["received_at"])

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("chat_id", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("card_key", sa.String(length=255), nullable=False),
        sa.Column("thread_key", sa.String(length=255), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("message", JSON, nullable=False),
        sa.Column("ticket_number", sa.Integer(), nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", INSTANT, nullable=True),
        sa.Column("delivered_at", INSTANT, nullable=True),
        sa.Column("failed_at", INSTANT, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("extra", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
    )
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["platform", "next_attempt_at"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.create_index(
        "ix_outbox_card",
        "outbox",
        ["platform", "chat_id", "card_key", "id"],
        sqlite_where=CARD,
        postgresql_where=CARD,
    )

    op.create_table(
        "message_refs",
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("chat_id", sa.String(length=255), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("platform", "chat_id", "key", name="pk_message_refs"),
    )
    op.create_index(
        "ix_message_refs_message", "message_refs", ["platform", "chat_id", "message_id"]
    )


def downgrade() -> None:
    # Dependents first; dropping a table drops its indexes.
    for table in (
        "message_refs",
        "outbox",
        "inbound_events",
        "conversations",
        "self_service_resolutions",
        "articles",
        "comments",
        "ticket_history",
        "tickets",
        "identities",
        "people",
    ):
        op.drop_table(table)
