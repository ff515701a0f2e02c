"""The database schema as typed declarative rows.

These are storage's own classes; the repositories map them to and from ``bot``'s dataclasses,
so the domain never sees a session. Each change here needs a migration in
``storage/migrations/versions`` (a test compares the migrated schema with this module).
Enums are stored as their string values, timestamps as UTC instants, small structured values
(a tier chain, a message, dialog data) as JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import Json, UTCDateTime

__all__ = [
    "ArticleFeedbackRow",
    "ArticlePhrasingRow",
    "ArticleRow",
    "Base",
    "ButtonValueRow",
    "CommentRow",
    "ConversationRow",
    "HistoryRow",
    "IdentityRow",
    "InboundEventRow",
    "IncidentRow",
    "IncidentTicketRow",
    "IncidentTimelineRow",
    "KnowledgeVersionRow",
    "MessageRefRow",
    "OutboxRow",
    "PersonRow",
    "SelfServiceRow",
    "TicketRow",
    "UnansweredRow",
    "UnrelatedPairRow",
]

# Named constraints, so migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

PENDING = text("delivered_at IS NULL AND failed_at IS NULL")
"""Outbox rows still to be delivered: the only ones the delivery loop reads."""

CARD = text("card_key <> ''")
"""Outbox rows that update a card in place, looked up to skip superseded versions."""

# Identifier sizes: platform names, platform ids (Slack, Telegram and console ids are short),
# and short enum-like words (status, tier, priority).
_NAME = 32
_ID = 255
_WORD = 64


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: Json,
    }


class PersonRow(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    display_name: Mapped[str] = mapped_column(String(_ID))
    timezone: Mapped[str | None] = mapped_column(String(_WORD))


class IdentityRow(Base):
    """A person's account on one platform; an account belongs to exactly one person."""

    __tablename__ = "identities"

    platform: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)


class TicketRow(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status_tier", "status", "tier"),
        Index("ix_tickets_status_resolved", "status", "resolved_at"),  # closing unanswered
        Index("ix_tickets_category_created", "category", "created_at"),  # incident detection
        {"sqlite_autoincrement": True},  # never reuse a number, even after a delete
    )

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    requester_chat_platform: Mapped[str] = mapped_column(String(_NAME))
    requester_chat_id: Mapped[str] = mapped_column(String(_ID))
    summary: Mapped[str] = mapped_column(Text)
    details: Mapped[str] = mapped_column(Text)
    impact: Mapped[str] = mapped_column(String(_WORD))
    can_work: Mapped[str] = mapped_column(String(_WORD))
    urgency: Mapped[str] = mapped_column(String(_WORD))
    priority: Mapped[str] = mapped_column(String(_WORD))
    tier: Mapped[str] = mapped_column(String(_WORD))
    chain: Mapped[list[str]] = mapped_column(Json)
    category: Mapped[str | None] = mapped_column(String(_ID))
    product: Mapped[str | None] = mapped_column(String(_ID))
    version: Mapped[str | None] = mapped_column(String(_WORD))
    version_supported: Mapped[bool | None] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(_WORD))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]
    response_due_at: Mapped[datetime | None] = mapped_column(index=True)
    resolution_due_at: Mapped[datetime | None] = mapped_column(index=True)
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    resolution_note: Mapped[str] = mapped_column(Text)
    rating: Mapped[int | None]
    solved: Mapped[bool | None] = mapped_column(Boolean)
    reopens: Mapped[int] = mapped_column(server_default="0")
    policy: Mapped[str] = mapped_column(String(_NAME), server_default="default")
    response_warn_at: Mapped[datetime | None]
    resolution_warn_at: Mapped[datetime | None]
    resolution_started_at: Mapped[datetime | None]
    paused_at: Mapped[datetime | None]
    paused_seconds: Mapped[int] = mapped_column(server_default="0")
    update_due_at: Mapped[datetime | None]
    next_ping_at: Mapped[datetime | None] = mapped_column(index=True)  # the SLA tick's index
    escalation: Mapped[dict[str, Any] | None]
    incident_id: Mapped[int | None]  # part of this declared incident (its clocks wait on it)


class IncidentRow(Base):
    """A major incident: many reports of one outage, with its own clocks (the same columns
    as a ticket's) and a commander."""

    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_status_category", "status", "category"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(_ID))
    tier: Mapped[str] = mapped_column(String(_WORD))
    status: Mapped[str] = mapped_column(String(_WORD))
    priority: Mapped[str] = mapped_column(String(_WORD))
    commander_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    proposed_at: Mapped[datetime]
    declared_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolution_note: Mapped[str] = mapped_column(Text)
    policy: Mapped[str] = mapped_column(String(_NAME))
    response_due_at: Mapped[datetime | None]
    response_warn_at: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None]
    resolution_warn_at: Mapped[datetime | None]
    resolution_started_at: Mapped[datetime | None]
    paused_at: Mapped[datetime | None]
    paused_seconds: Mapped[int] = mapped_column(server_default="0")
    update_due_at: Mapped[datetime | None]
    next_ping_at: Mapped[datetime | None] = mapped_column(index=True)
    escalation: Mapped[dict[str, Any] | None]


class IncidentTicketRow(Base):
    """A ticket linked to an incident (proposed with it, or linked by hand)."""

    __tablename__ = "incident_tickets"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    ticket_number: Mapped[int] = mapped_column(
        ForeignKey("tickets.number"), primary_key=True, index=True
    )
    linked_at: Mapped[datetime]


class IncidentTimelineRow(Base):
    """Append-only lines of an incident's timeline; ``key`` (an SLA ping stage, else NULL)
    is unique per incident, so a stage is recorded once."""

    __tablename__ = "incident_timeline"
    __table_args__ = (
        UniqueConstraint("incident_id", "key"),
        Index("ix_incident_timeline_incident", "incident_id", "at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(_WORD))
    detail: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    key: Mapped[str | None] = mapped_column(String(_ID))


class UnrelatedPairRow(Base):
    """Two tickets an agent said are not one incident (*Not related*): never proposed
    together again. ``first`` < ``second``."""

    __tablename__ = "unrelated_pairs"

    first: Mapped[int] = mapped_column(ForeignKey("tickets.number"), primary_key=True)
    second: Mapped[int] = mapped_column(ForeignKey("tickets.number"), primary_key=True)


class PingStageRow(Base):
    """Each SLA ping stage (and acknowledgement) of a ticket, recorded once: the unique key
    is what makes a stage go out exactly once across restarts and overlapping ticks."""

    __tablename__ = "ping_stages"

    ticket_number: Mapped[int] = mapped_column(ForeignKey("tickets.number"), primary_key=True)
    key: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


class OnCallOverrideRow(Base):
    __tablename__ = "oncall_overrides"
    __table_args__ = (Index("ix_oncall_overrides_tier_ends", "tier", "ends_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tier: Mapped[str] = mapped_column(String(_WORD))
    platform: Mapped[str] = mapped_column(String(_NAME))
    external_id: Mapped[str] = mapped_column(String(_ID))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_at: Mapped[datetime]


class HistoryRow(Base):
    """Append-only: rows are inserted, never updated or deleted."""

    __tablename__ = "ticket_history"
    __table_args__ = (Index("ix_ticket_history_ticket", "ticket_number", "at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_number: Mapped[int] = mapped_column(ForeignKey("tickets.number"))
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(_WORD))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    source: Mapped[str] = mapped_column(String(_WORD))
    detail: Mapped[str] = mapped_column(Text)


class CommentRow(Base):
    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_ticket", "ticket_number", "at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_number: Mapped[int] = mapped_column(ForeignKey("tickets.number"))
    at: Mapped[datetime]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    kind: Mapped[str] = mapped_column(String(_WORD))
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(_WORD))


class ArticleRow(Base):
    __tablename__ = "articles"

    id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    keywords: Mapped[list[str]] = mapped_column(Json)
    tags: Mapped[list[str]] = mapped_column(Json)
    source: Mapped[str] = mapped_column(String(_ID))
    draft: Mapped[bool] = mapped_column(Boolean, server_default=false())
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class KnowledgeVersionRow(Base):
    """One row: moved by every change of an article, so replicas notice changes cheaply."""

    __tablename__ = "knowledge_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    version: Mapped[int] = mapped_column(Integer, server_default="0")


class SelfServiceRow(Base):
    """A question answered by an article instead of a ticket.

    ``article_id`` has no foreign key: articles may live in Markdown files, not the database.
    """

    __tablename__ = "self_service_resolutions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    article_id: Mapped[str] = mapped_column(String(_ID), index=True)
    query: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(index=True)


class ArticleFeedbackRow(Base):
    """How often requesters were offered an article, took it, or turned the offer down
    (counters: one row per article, upserted; no foreign key, like self-service)."""

    __tablename__ = "article_feedback"

    article_id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    shown: Mapped[int] = mapped_column(server_default="0")
    accepted: Mapped[int] = mapped_column(server_default="0")
    rejected: Mapped[int] = mapped_column(server_default="0")


class ArticlePhrasingRow(Base):
    """A requester's masked question confirmed for an article; learned (a phrasing the
    search index matches) from ``learned_at`` on."""

    __tablename__ = "article_phrasings"

    article_id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    phrasing: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    confirmations: Mapped[int] = mapped_column(server_default="0")
    learned_at: Mapped[datetime | None]


class UnansweredRow(Base):
    """A requester's (masked) question no article was offered for."""

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    query: Mapped[str] = mapped_column(String(_ID), index=True)
    at: Mapped[datetime]


class ConversationRow(Base):
    __tablename__ = "conversations"

    platform: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    state: Mapped[str] = mapped_column(String(_WORD))
    data: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(index=True)


class InboundEventRow(Base):
    """Platform event ids already handled; ``received_at`` lets old ids be pruned."""

    __tablename__ = "inbound_events"

    platform: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)


class OutboxRow(Base):
    """A queued message. Pending until ``delivered_at`` is set; ``failed_at`` means given up."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_pending",
            "platform",
            "next_attempt_at",
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        ),
        Index(
            "ix_outbox_card",
            "platform",
            "chat_id",
            "card_key",
            "id",
            sqlite_where=CARD,
            postgresql_where=CARD,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(_NAME))
    kind: Mapped[str] = mapped_column(String(_WORD))
    chat_id: Mapped[str] = mapped_column(String(_ID))
    user_id: Mapped[str] = mapped_column(String(_ID))
    card_key: Mapped[str] = mapped_column(String(_ID))
    thread_key: Mapped[str] = mapped_column(String(_ID))
    label: Mapped[str] = mapped_column(String(_ID))
    zone: Mapped[str] = mapped_column(String(64), server_default="")  # IANA zone name
    message: Mapped[dict[str, Any]]
    ticket_number: Mapped[int | None]  # for logs and reports; no foreign key on a queue
    created_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(server_default="0")
    next_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, server_default="")
    lease_owner: Mapped[str] = mapped_column(String(_WORD), server_default="")  # a process id
    leased_at: Mapped[datetime | None]  # when that process began sending (read-back window)
    sent_id: Mapped[str] = mapped_column(String(_ID), server_default="")  # the platform's id


class MessageRefRow(Base):
    """Which platform message carries a card (``key``), so it can be edited in place."""

    __tablename__ = "message_refs"
    __table_args__ = (Index("ix_message_refs_message", "platform", "chat_id", "message_id"),)

    platform: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    key: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(_ID))
    digest: Mapped[str] = mapped_column(String(64), server_default="")  # of what it shows


class ButtonValueRow(Base):
    """A Telegram button value too long for ``callback_data``, under the digest the button
    carries: any replica (or a restarted one) can read a press of a button another drew."""

    __tablename__ = "button_values"

    digest: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
