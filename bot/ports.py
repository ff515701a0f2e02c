"""Ports: what the desk needs from the outside, as protocols.

Storage implements the repositories and the unit of work; each chat adapter implements a
:class:`ChatGateway`. A use case runs inside one unit of work, so its state change, its
history lines and the messages it queues are committed together or not at all.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from bot.domain import (
    ArticleFeedback,
    Comment,
    CommentKind,
    Conversation,
    HistoryEntry,
    Identity,
    Person,
    SelfServiceResolution,
    Status,
    SuggestionOutcome,
    Ticket,
)
from bot.domain.incidents import Incident, IncidentStatus, RecentTicket, TimelineEntry
from bot.domain.oncall import OnCallOverride
from bot.knowledge import Article
from bot.messages import Message, OutboxItem, Route


class TicketRepository(Protocol):
    async def add(self, ticket: Ticket) -> Ticket:
        """Store a new ticket and give it its number."""
        ...

    async def get(self, number: int) -> Ticket | None: ...

    async def get_many(self, numbers: Sequence[int]) -> builtins.list[Ticket]:
        """The tickets of ``numbers`` as :meth:`get` reads them (locked, ready to save), in
        that order, in one read; numbers with no ticket are left out."""
        ...

    async def save(self, ticket: Ticket) -> None:
        """Write what changed since the ticket was read (or added) in this unit of work."""
        ...

    async def save_many(self, tickets: Sequence[Ticket]) -> None:
        """:meth:`save` for a batch (the SLA tick's), in as few statements as it takes."""
        ...

    async def list(
        self,
        *,
        statuses: Sequence[Status] = (),
        tiers: Sequence[str] = (),
        requester_id: int | None = None,
        limit: int | None = None,
    ) -> list[Ticket]:
        """Tickets matching every given filter, newest first."""
        ...

    async def activity(self, since: datetime) -> tuple[int, int]:
        """How many tickets were opened, and how many resolved, at or after ``since``."""
        ...

    async def due_for_ping(self, now: datetime, limit: int) -> builtins.list[Ticket]:
        """Tickets whose ``next_ping_at`` has come (found by that index, never by a scan),
        locked for this tick; replicas skip each other's rows."""
        ...

    async def resolved_before(self, cutoff: datetime, limit: int) -> builtins.list[Ticket]:
        """Resolved tickets whose requester has not answered since ``cutoff`` (oldest
        first), locked; replicas skip each other's rows."""
        ...

    async def add_history(self, entry: HistoryEntry) -> None: ...

    async def add_history_many(self, entries: Sequence[HistoryEntry]) -> None: ...

    async def history(self, number: int) -> builtins.list[HistoryEntry]: ...

    async def add_comment(self, comment: Comment) -> None: ...

    async def comments(
        self, number: int, *, kind: CommentKind | None = None, limit: int | None = None
    ) -> builtins.list[Comment]:
        """Oldest first; only those of ``kind``, at most ``limit``, when given."""
        ...


class PersonRepository(Protocol):
    async def get(self, person_id: int) -> Person | None: ...

    async def names(self, person_ids: Iterable[int | None]) -> dict[int, str]:
        """Display names of these people in one query; "?" for an id nobody has (None
        entries are skipped)."""
        ...

    async def by_identity(self, identity: Identity) -> Person | None: ...

    async def add(self, person: Person, identity: Identity) -> Person:
        """Store a new person with their first identity; sets ``person.id``."""
        ...

    async def save(self, person: Person) -> None: ...

    async def identities(self, person_id: int) -> list[Identity]: ...


@dataclass(frozen=True, slots=True)
class Arrival:
    """What one read tells about someone who writes: the person behind the account (None:
    nobody yet), their dialog in this chat, and whether any ticket of theirs is open (a
    first message from someone with none needs no look at their tickets)."""

    person: Person | None
    conversation: Conversation | None
    has_open_tickets: bool


class ConversationRepository(Protocol):
    async def get(self, platform: str, chat_id: str, user_id: str) -> Conversation | None: ...

    async def with_person(self, identity: Identity, chat_id: str) -> Arrival:
        """Who an account belongs to, their dialog in ``chat_id`` and whether they have an
        open ticket, in one read: what the desk needs to know about everyone who writes."""
        ...

    async def save(self, conversation: Conversation) -> None: ...

    async def delete(self, conversation: Conversation) -> None: ...

    async def idle_since(self, cutoff: datetime) -> list[Conversation]:
        """Conversations last touched before ``cutoff``, locked: replicas expiring at
        once each get different ones (on PostgreSQL, ``SKIP LOCKED``)."""
        ...


class KnowledgeRepository(Protocol):
    async def version(self) -> int:
        """Moved by every change of an article (in the changing transaction)."""
        ...

    async def articles(self) -> list[Article]: ...

    async def get(self, article_id: str) -> Article | None: ...

    async def put(self, article: Article) -> None:
        """Insert or replace an article by id."""
        ...

    async def remove(self, article_id: str) -> bool:
        """Delete an article (with what was learned about it); False if the database had
        no article, feedback or phrasing with that id."""
        ...

    async def add_self_service(self, record: SelfServiceResolution) -> None: ...

    async def self_service_count(self) -> int: ...

    async def helpful_counts(self) -> dict[str, int]:
        """Article id → how many requesters said it solved their problem."""
        ...

    async def add_outcome(self, outcome: SuggestionOutcome) -> None:
        """Count one offer of each shown article and what became of it (one statement)."""
        ...

    async def feedback(self) -> dict[str, ArticleFeedback]:
        """Article id → its offers so far (articles never offered are left out)."""
        ...

    async def add_unanswered(self, query: str, at: datetime) -> None:
        """A (masked) question no article was offered for."""
        ...

    async def unanswered(self, limit: int) -> list[tuple[str, int]]:
        """The questions that found nothing, grouped, most frequent first (then newest)."""
        ...

    async def confirm(self, article_id: str, phrasing: str, at: datetime, learn_after: int) -> bool:
        """One more confirmation of ``phrasing`` (masked) for ``article_id``; when it
        reaches ``learn_after`` the phrasing is learned, which moves the version like an
        article change. True if it was learned just now."""
        ...

    async def learned(self) -> dict[str, list[str]]:
        """Article id → its learned phrasings, oldest first."""
        ...


class InboundRepository(Protocol):
    async def first_time(self, platform: str, event_id: str, at: datetime) -> bool:
        """Record an inbound event id; False if it was already recorded (a retry)."""
        ...

    async def prune(self, before: datetime) -> int:
        """Forget event ids received before ``before`` (no platform retries that late)."""
        ...


RefKey = tuple[str, str, str]
"""Where a platform message is remembered: (platform, chat id, key) of a card or relay."""


class OutboxRepository(Protocol):
    """Messages waiting for delivery, and where the ones delivered are.

    The ``*_many`` / batch methods are one statement each whatever the number of items, so a
    delivery round costs a few statements per batch, not per message.
    """

    async def add_many(self, items: Sequence[OutboxItem]) -> None:
        """Every message of a command in one statement; sets each item's id."""
        ...

    async def due(self, now: datetime, platforms: Sequence[str], limit: int) -> list[OutboxItem]:
        """Undelivered items for these platforms whose next attempt is due, oldest first."""
        ...

    async def mark_delivered(self, item_id: int, at: datetime, message_id: str = "") -> None:
        """Record the platform's confirmation (``message_id``: the id it gave the message)."""
        ...

    async def mark_failed(
        self, item_id: int, error: str, retry_at: datetime | None, at: datetime
    ) -> None:
        """Record a failed attempt; ``retry_at`` None gives up on the item."""
        ...

    async def lease(
        self, item_id: int, until: datetime, *, owner: str = "", at: datetime | None = None
    ) -> None:
        """Hide an item from ``due`` until ``until``. With ``owner`` (a sender about to send
        it, at ``at``) the lease is that sender's to renew, and the item remembers when it
        was first taken: from then on it may be on the platform whatever the row says."""
        ...

    async def renew(self, owner: str, until: datetime) -> int:
        """Extend every lease ``owner`` holds to ``until`` (its heartbeat); how many."""
        ...

    async def lease_many(
        self,
        item_ids: Collection[int],
        until: datetime,
        *,
        owner: str = "",
        at: datetime | None = None,
    ) -> None:
        """:meth:`lease` for several items at once."""
        ...

    async def release(self, items: Sequence[OutboxItem], until: datetime) -> None:
        """Give back leased items that were not sent: tried again from ``until``, the lease
        ended, and their first-lease time as it was when they were read (``leased_at``), so
        only an item that may really be on the platform is looked for before it is sent."""
        ...

    async def mark_delivered_many(self, sent: Mapping[int, str], at: datetime) -> None:
        """:meth:`mark_delivered` for several items: item id → the platform's message id."""
        ...

    async def card_pending(self, platform: str, chat_id: str, card_key: str) -> datetime | None:
        """When the oldest undelivered post of this card is next tried; None if none is
        pending (a thread item waits for its card only while the card can still come)."""
        ...

    async def superseded(self, item: OutboxItem) -> bool:
        """True if a newer item for the same card (platform, chat, card_key) is queued."""
        ...

    async def superseded_among(self, items: Sequence[OutboxItem]) -> set[int]:
        """The ids of those ``items`` that :meth:`superseded` is true for."""
        ...

    async def earlier_pending(self, items: Sequence[OutboxItem]) -> dict[int, datetime]:
        """For the card items among ``items``: when an earlier version of the same card,
        still undelivered (in flight on another replica, or waiting for a retry), is next
        tried; items with none are left out. One statement."""
        ...

    async def cards_pending(self, keys: Collection[RefKey]) -> dict[RefKey, datetime]:
        """:meth:`card_pending` for several cards (``card_key`` in the key's last place);
        cards with no pending post are left out."""
        ...

    async def put_ref(
        self, platform: str, chat_id: str, key: str, message_id: str, digest: str = ""
    ) -> None:
        """Remember which platform message carries a card, so it can be edited in place,
        and the digest of what it shows (:attr:`Sent.digest`)."""
        ...

    async def card_ref(self, platform: str, chat_id: str, key: str) -> CardRef | None:
        """The card's platform message and the digest of what it shows, if it was sent."""
        ...

    async def card_refs(self, keys: Collection[RefKey]) -> dict[RefKey, CardRef]:
        """:meth:`card_ref` for several keys; keys never sent are left out."""
        ...

    async def put_refs(self, refs: Mapping[RefKey, CardRef]) -> None:
        """:meth:`put_ref` for several keys."""
        ...

    async def get_ref(self, platform: str, chat_id: str, key: str) -> str | None: ...

    async def key_of(self, platform: str, chat_id: str, message_id: str) -> str | None:
        """Which card a platform message is (to map a thread reply to its ticket)."""
        ...

    async def prune(self, before: datetime) -> int:
        """Delete items delivered or given up before ``before``; pending ones always stay.
        Card references stay too: a card is edited in place however old it is."""
        ...


class PingRepository(Protocol):
    async def stages_of(self, numbers: Sequence[int]) -> dict[int, dict[str, datetime]]:
        """The recorded stages of several tickets at once (one query for a tick's batch)."""
        ...

    async def record_many(
        self, stages: Sequence[tuple[int, str]], at: datetime, actor_id: int | None = None
    ) -> set[tuple[int, str]]:
        """Record (ticket, key) stages once each, in one statement; returns those recorded
        just now (a stage recorded before, by us or a replica, is not)."""
        ...

    async def count_since(self, kind: str, since: datetime) -> dict[int, int]:
        """How many stages of ``kind`` (e.g. "breach") each ticket had since ``since``."""
        ...


class OnCallRepository(Protocol):
    async def add(self, override: OnCallOverride) -> OnCallOverride: ...

    async def overlapping(self, start: datetime, end: datetime) -> list[OnCallOverride]:
        """Overrides in force at some instant of [start, end), oldest first."""
        ...


class ReportRepository(Protocol):
    """What the support lead's figures are computed from: read only, never locked."""

    async def tickets(self, start: datetime, end: datetime) -> builtins.list[Ticket]:
        """Tickets that lived in [start, end): opened before ``end`` and not closed
        (or cancelled) before ``start``."""
        ...

    async def history(
        self, numbers: Sequence[int], actions: Sequence[str]
    ) -> builtins.list[HistoryEntry]:
        """History lines of those tickets whose action starts with one of ``actions``."""
        ...

    async def stages(
        self, start: datetime, end: datetime
    ) -> builtins.list[tuple[int, str, datetime]]:
        """(ticket, stage key, when) of every SLA ping stage recorded in [start, end)."""
        ...

    async def self_service(self, start: datetime, end: datetime) -> builtins.list[datetime]:
        """When a knowledge-base article solved a problem without a ticket, in [start, end)."""
        ...


class IncidentRepository(Protocol):
    """Incidents, the tickets linked to them, their timelines and the "not related" pairs."""

    async def add(self, incident: Incident) -> Incident:
        """Store a new incident and give it its id."""
        ...

    async def get(self, incident_id: int) -> Incident | None:
        """Locked, as a ticket is: the caller is about to decide from this state."""
        ...

    async def save(self, incident: Incident) -> None: ...

    async def list(
        self, *, statuses: Sequence[IncidentStatus] = (), limit: int | None = None
    ) -> builtins.list[Incident]:
        """Newest first."""
        ...

    async def lock_category(self, category: str | None) -> None:
        """Serialise detection for one category until the transaction ends (PostgreSQL's
        ``pg_advisory_xact_lock``; nothing on SQLite, whose writers are serialised anyway),
        so two tickets of a burst opened at once on two replicas make one incident."""
        ...

    async def recent(self, category: str | None, since: datetime) -> builtins.list[RecentTicket]:
        """Tickets of ``category`` opened at or after ``since`` (any status but cancelled),
        each with the live incident it is linked to, in one read."""
        ...

    async def opened_since(self, since: datetime) -> builtins.list[RecentTicket]:
        """Every category's tickets opened at or after ``since``, as :meth:`recent` gives
        them: what the detector's memory is warmed with when a process starts."""
        ...

    async def link(self, incident_id: int, numbers: Sequence[int], at: datetime) -> None:
        """Link tickets (a ticket already linked to it stays as it was)."""
        ...

    async def unlink(self, incident_id: int, number: int) -> bool:
        """False if the ticket was not linked to it."""
        ...

    async def linked(self, incident_id: int) -> builtins.list[int]:
        """The numbers of its tickets, oldest link first."""
        ...

    async def linked_to(self, incident_ids: Sequence[int]) -> dict[int, builtins.list[int]]:
        """:meth:`linked` of several incidents in one read (those with none are left out)."""
        ...

    async def tickets(self, incident_id: int) -> builtins.list[Ticket]:
        """Its tickets as they are (read only, not locked), oldest link first."""
        ...

    async def unrelated_among(self, numbers: Sequence[int]) -> set[tuple[int, int]]:
        """The (smaller, larger) pairs of these tickets marked "not related"."""
        ...

    async def add_unrelated(self, pairs: Iterable[tuple[int, int]]) -> None:
        """Mark pairs (smaller, larger) not related; a pair marked before stays once."""
        ...

    async def add_timeline(self, entries: Sequence[TimelineEntry]) -> set[str]:
        """Append timeline lines; a line with a ``key`` (an SLA ping stage) is written once
        per incident across ticks and replicas. Returns the keys written just now."""
        ...

    async def timeline(self, incident_id: int) -> builtins.list[TimelineEntry]:
        """Oldest first."""
        ...

    async def stages_of(self, incident_ids: Sequence[int]) -> dict[int, dict[str, datetime]]:
        """The recorded ping stage keys of these incidents, with when."""
        ...

    async def due_for_ping(self, now: datetime, limit: int) -> builtins.list[Incident]:
        """Incidents whose ``next_ping_at`` has come, locked; replicas skip each other's."""
        ...

    async def between(self, start: datetime, end: datetime) -> builtins.list[Incident]:
        """Incidents proposed before ``end`` and not finished before ``start`` (reports)."""
        ...


class Pictures(Protocol):
    """Draws the picture a message names (:attr:`~bot.messages.Message.picture`) when a
    gateway sends it: the desk names what to show, an adapter knows how to draw it."""

    async def draw(self, name: str) -> bytes | None:
        """PNG bytes, or None for a name it does not know."""
        ...


class UnitOfWork(Protocol):
    """One transaction over every repository."""

    tickets: TicketRepository
    people: PersonRepository
    conversations: ConversationRepository
    knowledge: KnowledgeRepository
    inbound: InboundRepository
    outbox: OutboxRepository
    pings: PingRepository
    oncall: OnCallRepository
    reports: ReportRepository
    incidents: IncidentRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed."""
        ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


@dataclass(frozen=True, slots=True)
class Sent:
    """What a platform gave back for a delivered message. ``digest``: a fingerprint of the
    rendered content ("" if the gateway keeps none), stored with a card's reference."""

    message_id: str
    chat_id: str
    digest: str = ""


@dataclass(frozen=True, slots=True)
class CardRef:
    """Where a card is, and the :attr:`Sent.digest` of what it shows there."""

    message_id: str
    digest: str = ""


class ChatGateway(Protocol):
    """Sends neutral messages to one platform."""

    platform: str

    async def send(
        self,
        route: Route,
        message: Message,
        *,
        edit_id: str = "",
        thread_id: str = "",
        last_digest: str = "",
    ) -> Sent:
        """Post (or, with ``edit_id``, edit) a message; raise GatewayError on failure. An
        edit whose rendering has ``last_digest`` (what the card shows already) is not sent:
        the platform's rate limits are not spent on a change that changes nothing."""
        ...


@runtime_checkable
class ReadBackGateway(ChatGateway, Protocol):
    """A gateway whose platform keeps a tag on each message and lets it be read back, so an
    item whose sender died mid-send is looked for before it is sent again (exactly once).

    ``send`` also takes ``outbox_id=`` and tags the message with it.
    """

    async def send(
        self,
        route: Route,
        message: Message,
        *,
        edit_id: str = "",
        thread_id: str = "",
        last_digest: str = "",
        outbox_id: int | None = None,
    ) -> Sent: ...

    async def find_sent(
        self, route: Route, outbox_id: int, since: datetime, *, thread_id: str = ""
    ) -> Sent | None:
        """The message tagged ``outbox_id`` posted since ``since``, if the platform has it."""
        ...


__all__ = [
    "CardRef",
    "ChatGateway",
    "ConversationRepository",
    "InboundRepository",
    "IncidentRepository",
    "KnowledgeRepository",
    "OnCallRepository",
    "OutboxRepository",
    "PersonRepository",
    "PingRepository",
    "ReadBackGateway",
    "RefKey",
    "Sent",
    "TicketRepository",
    "UnitOfWork",
    "UnitOfWorkFactory",
]
