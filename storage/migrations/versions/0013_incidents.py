"""Major incidents: the incidents with their own clocks, the tickets linked to them, their
timelines, the ticket pairs marked "not related", a ticket's declared incident, and an index
for the detector's look at a category's recent tickets.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A frozen copy of storage.types' JSON, so this file never changes with application code.
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _at(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=255), nullable=True),
        sa.Column("tier", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.String(length=64), nullable=False),
        sa.Column("commander_id", sa.Integer(), nullable=True),
        _at("proposed_at", nullable=False),
        _at("declared_at"),
        _at("first_response_at"),
        _at("resolved_at"),
        sa.Column("resolution_note", sa.Text(), nullable=False),
        sa.Column("policy", sa.String(length=32), nullable=False),
        _at("response_due_at"),
        _at("response_warn_at"),
        _at("resolution_due_at"),
        _at("resolution_warn_at"),
        _at("resolution_started_at"),
        _at("paused_at"),
        sa.Column("paused_seconds", sa.Integer(), server_default="0", nullable=False),
        _at("update_due_at"),
        _at("next_ping_at"),
        sa.Column("escalation", JSON, nullable=True),
        sa.ForeignKeyConstraint(
            ["commander_id"], ["people.id"], name=op.f("fk_incidents_commander_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_incidents_status_category", "incidents", ["status", "category"])
    op.create_index(op.f("ix_incidents_next_ping_at"), "incidents", ["next_ping_at"])
    op.create_table(
        "incident_tickets",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("ticket_number", sa.Integer(), nullable=False),
        _at("linked_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_tickets_incident_id_incidents"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_number"],
            ["tickets.number"],
            name=op.f("fk_incident_tickets_ticket_number_tickets"),
        ),
        sa.PrimaryKeyConstraint("incident_id", "ticket_number", name=op.f("pk_incident_tickets")),
    )
    op.create_index(
        op.f("ix_incident_tickets_ticket_number"), "incident_tickets", ["ticket_number"]
    )
    op.create_table(
        "incident_timeline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        _at("at", nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["people.id"], name=op.f("fk_incident_timeline_actor_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_timeline_incident_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_timeline")),
        sa.UniqueConstraint(
            "incident_id", "key", name=op.f("uq_incident_timeline_incident_id_key")
        ),
    )
    op.create_index(
        "ix_incident_timeline_incident", "incident_timeline", ["incident_id", "at", "id"]
    )
    op.create_table(
        "unrelated_pairs",
        sa.Column("first", sa.Integer(), nullable=False),
        sa.Column("second", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["first"], ["tickets.number"], name=op.f("fk_unrelated_pairs_first_tickets")
        ),
        sa.ForeignKeyConstraint(
            ["second"], ["tickets.number"], name=op.f("fk_unrelated_pairs_second_tickets")
        ),
        sa.PrimaryKeyConstraint("first", "second", name=op.f("pk_unrelated_pairs")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("incident_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_tickets_category_created", ["category", "created_at"])


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_category_created")
        batch_op.drop_column("incident_id")
    op.drop_table("unrelated_pairs")
    op.drop_index("ix_incident_timeline_incident", table_name="incident_timeline")
    op.drop_table("incident_timeline")
    op.drop_index(op.f("ix_incident_tickets_ticket_number"), table_name="incident_tickets")
    op.drop_table("incident_tickets")
    op.drop_index(op.f("ix_incidents_next_ping_at"), table_name="incidents")
    op.drop_index("ix_incidents_status_category", table_name="incidents")
    op.drop_table("incidents")
