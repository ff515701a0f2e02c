"""An in-memory unit of work: every repository port of :mod:`bot.ports` over plain dicts.

As cosmicpython's ``FakeUnitOfWork``: service and desk tests run the real desk and services
on it in microseconds, with no database and no wiring; the storage tests run the real
repositories on SQLite and PostgreSQL. A unit of work works on a copy of the data and
publishes it at commit, so what was not committed is gone, as in a database.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from bot.clock import Clock, SystemClock
from bot.domain import (
    ACTIVE_STATUSES,
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
from bot.domain.incidents import (
    LIVE_INCIDENTS,
    Incident,
    IncidentStatus,
    RecentTicket,
    TimelineEntry,
    ticket_text,
)
from bot.domain.oncall import OnCallOverride
from bot.errors import Conflict
from bot.knowledge import Article
from bot.messages import OutboxItem
from bot.ports import Arrival, CardRef, RefKey

ConversationKey = tuple[str, str, str]


@dataclass
class Tables:
    """What a database would hold."""

    tickets: dict[int, Ticket] = field(default_factory=dict)
    history: list[HistoryEntry] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    people: dict[int, Person] = field(default_factory=dict)
    identities: dict[Identity, int] = field(default_factory=dict)
    conversations: dict[ConversationKey, Conversation] = field(default_factory=dict)
    articles: dict[str, Article] = field(default_factory=dict)
    knowledge_version: int = 0
    self_service: list[SelfServiceResolution] = field(default_factory=list)
    feedback: dict[str, ArticleFeedback] = field(default_factory=dict)
    phrasings: dict[tuple[str, str], tuple[int, datetime | None]] = field(default_factory=dict)
    unanswered: list[tuple[str, datetime]] = field(default_factory=list)
    inbound: dict[tuple[str, str], datetime] = field(default_factory=dict)
    outbox: dict[int, OutboxItem] = field(default_factory=dict)
    leases: dict[int, str] = field(default_factory=dict)  # item id → owner
    given_up: dict[int, datetime] = field(default_factory=dict)
    refs: dict[RefKey, CardRef] = field(default_factory=dict)
    stages: dict[int, dict[str, datetime]] = field(default_factory=dict)
    overrides: list[OnCallOverride] = field(default_factory=list)
    incidents: dict[int, Incident] = field(default_factory=dict)
    links: dict[tuple[int, int], datetime] = field(default_factory=dict)  # (incident, ticket)
    timeline: list[TimelineEntry] = field(default_factory=list)
    unrelated: set[tuple[int, int]] = field(default_factory=set)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def snapshot(self) -> Tables:
        """A transaction's own copy. Entities changed in place (tickets, people,
        conversations, incidents) are copied deeply, outbox rows one level (only their own
        fields change), frozen records are shared: a deep copy of everything made the fake
        slower than SQLite once a test had sent a few hundred messages."""
        parts: dict[str, Any] = dict(
            tickets=copy.deepcopy(self.tickets),
            history=list(self.history),
            comments=list(self.comments),
            people=copy.deepcopy(self.people),
            identities=dict(self.identities),
            conversations=copy.deepcopy(self.conversations),
            articles=dict(self.articles),
            knowledge_version=self.knowledge_version,
            self_service=list(self.self_service),
            feedback=dict(self.feedback),
            phrasings=dict(self.phrasings),
            unanswered=list(self.unanswered),
            inbound=dict(self.inbound),
            outbox={k: copy.copy(item) for k, item in self.outbox.items()},
            leases=dict(self.leases),
            given_up=dict(self.given_up),
            refs=dict(self.refs),
            stages={k: dict(v) for k, v in self.stages.items()},
            overrides=list(self.overrides),
            incidents=copy.deepcopy(self.incidents),
            links=dict(self.links),
            timeline=list(self.timeline),
            unrelated=set(self.unrelated),
            ids=copy.copy(self.ids),
        )
        if missing := {f.name for f in fields(self)} - parts.keys():
            raise AssertionError(f"Tables.snapshot does not copy {sorted(missing)}")
        return Tables(**parts)


class FakeTickets:
    def __init__(self, t: Tables) -> None:
        self._t = t

    async def add(self, ticket: Ticket) -> Ticket:
        if ticket.number is not None:
            raise ValueError(f"ticket {ticket.ref} is already stored")
        ticket.number = max(self._t.tickets, default=0) + 1
        self._t.tickets[ticket.number] = copy.deepcopy(ticket)
        return ticket

    async def get(self, number: int) -> Ticket | None:
        found = self._t.tickets.get(number)
        return copy.deepcopy(found) if found is not None else None

    async def get_many(self, numbers: Sequence[int]) -> list[Ticket]:
        return [copy.deepcopy(self._t.tickets[n]) for n in numbers if n in self._t.tickets]

    async def save(self, ticket: Ticket) -> None:
        if ticket.number is None:
            raise ValueError("ticket has no number; add it first")
        if ticket.number not in self._t.tickets:
            raise LookupError(f"ticket {ticket.ref} does not exist")
        self._t.tickets[ticket.number] = copy.deepcopy(ticket)

    async def save_many(self, tickets: Sequence[Ticket]) -> None:
        for ticket in tickets:
            await self.save(ticket)

    async def list(
        self,
        *,
        statuses: Sequence[Status] = (),
        tiers: Sequence[str] = (),
        requester_id: int | None = None,
        limit: int | None = None,
    ) -> list[Ticket]:
        found = [
            copy.deepcopy(t)
            for n, t in sorted(self._t.tickets.items(), reverse=True)
            if (not statuses or t.status in statuses)
            and (not tiers or t.tier in tiers)
            and (requester_id is None or t.requester_id == requester_id)
        ]
        return found[:limit] if limit is not None else found

    async def activity(self, since: datetime) -> tuple[int, int]:
        tickets = self._t.tickets.values()
        opened = sum(1 for t in tickets if t.created_at >= since)
        resolved = sum(1 for t in tickets if t.resolved_at is not None and t.resolved_at >= since)
        return opened, resolved

    async def due_for_ping(self, now: datetime, limit: int) -> list[Ticket]:
        due = [
            t
            for t in self._t.tickets.values()
            if t.clocks.next_ping_at is not None and t.clocks.next_ping_at <= now
        ]
        due.sort(key=lambda t: (t.clocks.next_ping_at, t.number))
        return [copy.deepcopy(t) for t in due[:limit]]

    async def resolved_before(self, cutoff: datetime, limit: int) -> list[Ticket]:
        due = [
            t
            for t in self._t.tickets.values()
            if t.status is Status.RESOLVED and t.resolved_at is not None and t.resolved_at <= cutoff
        ]
        due.sort(key=lambda t: (t.resolved_at, t.number))
        return [copy.deepcopy(t) for t in due[:limit]]

    async def add_history(self, entry: HistoryEntry) -> None:
        await self.add_history_many([entry])

    async def add_history_many(self, entries: Sequence[HistoryEntry]) -> None:
        self._t.history += [replace(e, id=next(self._t.ids)) for e in entries]

    async def history(self, number: int) -> list[HistoryEntry]:
        lines = [h for h in self._t.history if h.ticket_number == number]
        return sorted(lines, key=lambda h: (h.at, h.id or 0))

    async def add_comment(self, comment: Comment) -> None:
        self._t.comments.append(replace(comment, id=next(self._t.ids)))

    async def comments(
        self, number: int, *, kind: CommentKind | None = None, limit: int | None = None
    ) -> list[Comment]:
        found = sorted(
            (
                c
                for c in self._t.comments
                if c.ticket_number == number and (kind is None or c.kind is kind)
            ),
            key=lambda c: (c.at, c.id or 0),
        )
        return found[:limit] if limit is not None else found


class FakePeople:
    def __init__(self, t: Tables) -> None:
        self._t = t

    async def get(self, person_id: int) -> Person | None:
        found = self._t.people.get(person_id)
        return copy.copy(found) if found is not None else None

    async def names(self, person_ids: Iterable[int | None]) -> dict[int, str]:
        return {
            i: self._t.people[i].display_name if i in self._t.people else "?"
            for i in person_ids
            if i is not None
        }

    async def by_identity(self, identity: Identity) -> Person | None:
        person_id = self._t.identities.get(identity)
        return await self.get(person_id) if person_id is not None else None

    async def add(self, person: Person, identity: Identity) -> Person:
        if person.id is not None:
            raise ValueError(f"person {person.id} is already stored")
        if identity in self._t.identities:
            raise Conflict(f"{identity} already belongs to a person")
        person.id = max(self._t.people, default=0) + 1
        self._t.people[person.id] = copy.copy(person)
        self._t.identities[identity] = person.id
        return person

    async def save(self, person: Person) -> None:
        if person.id is None or person.id not in self._t.people:
            raise LookupError(f"person {person.id} does not exist")
        self._t.people[person.id] = copy.copy(person)

    async def identities(self, person_id: int) -> list[Identity]:
        return sorted(
            (i for i, p in self._t.identities.items() if p == person_id),
            key=lambda i: (i.platform, i.external_id),
        )


class FakeConversations:
    def __init__(self, t: Tables, clock: Clock) -> None:
        self._t = t
        self._clock = clock

    async def get(self, platform: str, chat_id: str, user_id: str) -> Conversation | None:
        found = self._t.conversations.get((platform, chat_id, user_id))
        return copy.deepcopy(found) if found is not None else None

    async def with_person(self, identity: Identity, chat_id: str) -> Arrival:
        person_id = self._t.identities.get(identity)
        person = copy.copy(self._t.people[person_id]) if person_id is not None else None
        busy = person_id is not None and any(
            t.requester_id == person_id and t.status in ACTIVE_STATUSES
            for t in self._t.tickets.values()
        )
        conversation = await self.get(identity.platform, chat_id, identity.external_id)
        return Arrival(person, conversation, busy)

    async def save(self, conversation: Conversation) -> None:
        if conversation.updated_at is None:
            conversation.updated_at = self._clock.now()
        key = (conversation.platform, conversation.chat_id, conversation.user_id)
        self._t.conversations[key] = copy.deepcopy(conversation)

    async def delete(self, conversation: Conversation) -> None:
        key = (conversation.platform, conversation.chat_id, conversation.user_id)
        self._t.conversations.pop(key, None)

    async def idle_since(self, cutoff: datetime) -> list[Conversation]:
        idle = [
            c
            for c in self._t.conversations.values()
            if c.updated_at is not None and c.updated_at < cutoff
        ]
        return [copy.deepcopy(c) for c in sorted(idle, key=lambda c: c.updated_at or cutoff)]


class FakeKnowledge:
    def __init__(self, t: Tables) -> None:
        self._t = t

    async def version(self) -> int:
        return self._t.knowledge_version

    async def articles(self) -> list[Article]:
        return [self._t.articles[i] for i in sorted(self._t.articles)]

    async def get(self, article_id: str) -> Article | None:
        return self._t.articles.get(article_id)

    async def put(self, article: Article) -> None:
        self._t.articles[article.id] = article
        self._t.knowledge_version += 1

    async def remove(self, article_id: str) -> bool:
        found = self._t.articles.pop(article_id, None) is not None
        found |= self._t.feedback.pop(article_id, None) is not None
        for key in [k for k in self._t.phrasings if k[0] == article_id]:
            found = True
            del self._t.phrasings[key]
        if found:
            self._t.knowledge_version += 1
        return found

    async def add_self_service(self, record: SelfServiceResolution) -> None:
        self._t.self_service.append(record)

    async def self_service_count(self) -> int:
        return len(self._t.self_service)

    async def helpful_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for record in self._t.self_service:
            counts[record.article_id] = counts.get(record.article_id, 0) + 1
        return counts

    async def add_outcome(self, outcome: SuggestionOutcome) -> None:
        for article_id in dict.fromkeys(outcome.shown):
            was = self._t.feedback.get(article_id, ArticleFeedback())
            self._t.feedback[article_id] = ArticleFeedback(
                was.shown + 1,
                was.accepted + (article_id == outcome.accepted),
                was.rejected + outcome.rejected,
            )

    async def feedback(self) -> dict[str, ArticleFeedback]:
        return dict(self._t.feedback)

    async def add_unanswered(self, query: str, at: datetime) -> None:
        self._t.unanswered.append((query, at))

    async def unanswered(self, limit: int) -> list[tuple[str, int]]:
        counts: dict[str, int] = {}
        last: dict[str, datetime] = {}
        for query, at in self._t.unanswered:
            counts[query] = counts.get(query, 0) + 1
            last[query] = max(at, last.get(query, at))
        ranked = sorted(counts, key=lambda q: (-counts[q], -last[q].timestamp(), q))
        return [(q, counts[q]) for q in ranked[:limit]]

    async def confirm(self, article_id: str, phrasing: str, at: datetime, learn_after: int) -> bool:
        count, learned_at = self._t.phrasings.get((article_id, phrasing), (0, None))
        count += 1
        learn = learned_at is None and count >= learn_after
        self._t.phrasings[(article_id, phrasing)] = (count, at if learn else learned_at)
        if learn:
            self._t.knowledge_version += 1
        return learn

    async def learned(self) -> dict[str, list[str]]:
        rows = sorted(
            (learned_at, phrasing, article_id)
            for (article_id, phrasing), (_, learned_at) in self._t.phrasings.items()
            if learned_at is not None
        )
        found: dict[str, list[str]] = {}
        for _, phrasing, article_id in rows:
            found.setdefault(article_id, []).append(phrasing)
        return found


class FakeInbound:
    def __init__(self, t: Tables) -> None:
        self._t = t

    async def first_time(self, platform: str, event_id: str, at: datetime) -> bool:
        if (platform, event_id) in self._t.inbound:
            return False
        self._t.inbound[(platform, event_id)] = at
        return True

    async def prune(self, before: datetime) -> int:
        old = [k for k, at in self._t.inbound.items() if at < before]
        for key in old:
            del self._t.inbound[key]
        return len(old)


class FakeOutbox:
    """Items pending until delivered or given up; card references kept for good."""

    def __init__(self, t: Tables) -> None:
        self._t = t

    def _pending(self, item: OutboxItem) -> bool:
        return item.delivered_at is None and item.id not in self._t.given_up

    async def add_many(self, items: Sequence[OutboxItem]) -> None:
        for item in items:
            item.id = max(self._t.outbox, default=0) + 1
            self._t.outbox[item.id] = copy.deepcopy(item)

    async def due(self, now: datetime, platforms: Sequence[str], limit: int) -> list[OutboxItem]:
        due = [
            i
            for i in self._t.outbox.values()
            if self._pending(i)
            and i.route.platform in platforms
            and (i.next_attempt_at is None or i.next_attempt_at <= now)
        ]
        due.sort(key=lambda i: (i.created_at, i.id))
        return [copy.deepcopy(i) for i in due[: max(limit, 0)]]

    async def mark_delivered(self, item_id: int, at: datetime, message_id: str = "") -> None:
        await self.mark_delivered_many({item_id: message_id}, at)

    async def mark_delivered_many(self, sent: Mapping[int, str], at: datetime) -> None:
        for item_id in sent:
            item = self._item(item_id)
            item.attempts += 1
            item.delivered_at = at
            self._t.leases.pop(item_id, None)

    async def mark_failed(
        self, item_id: int, error: str, retry_at: datetime | None, at: datetime
    ) -> None:
        item = self._item(item_id)
        item.attempts += 1
        item.last_error = error
        self._t.leases.pop(item_id, None)
        if retry_at is None:
            self._t.given_up[item_id] = at
        else:
            item.next_attempt_at = retry_at

    async def lease(
        self, item_id: int, until: datetime, *, owner: str = "", at: datetime | None = None
    ) -> None:
        await self.lease_many([item_id], until, owner=owner, at=at)

    async def lease_many(
        self,
        item_ids: Collection[int],
        until: datetime,
        *,
        owner: str = "",
        at: datetime | None = None,
    ) -> None:
        for item_id in item_ids:
            item = self._item(item_id)
            item.next_attempt_at = until
            self._t.leases[item_id] = owner
            if owner and item.leased_at is None:
                item.leased_at = at

    async def release(self, items: Sequence[OutboxItem], until: datetime) -> None:
        for given in items:
            assert given.id is not None
            item = self._item(given.id)
            item.next_attempt_at = until
            item.leased_at = given.leased_at
            self._t.leases.pop(given.id, None)

    async def renew(self, owner: str, until: datetime) -> int:
        mine = [
            i
            for i, o in self._t.leases.items()
            if o == owner and owner and self._pending(self._t.outbox[i])
        ]
        for item_id in mine:
            self._t.outbox[item_id].next_attempt_at = until
        return len(mine)

    async def card_pending(self, platform: str, chat_id: str, card_key: str) -> datetime | None:
        return (await self.cards_pending([(platform, chat_id, card_key)])).get(
            (platform, chat_id, card_key)
        )

    async def cards_pending(self, keys: Collection[RefKey]) -> dict[RefKey, datetime]:
        found: dict[RefKey, datetime] = {}
        for item in sorted(self._t.outbox.values(), key=lambda i: i.id or 0):
            key = (item.route.platform, item.route.chat_id, item.route.card_key)
            if item.route.card_key and key in keys and self._pending(item):
                found.setdefault(key, item.next_attempt_at or item.created_at)
        return found

    async def superseded(self, item: OutboxItem) -> bool:
        return item.id in await self.superseded_among([item])

    async def earlier_pending(self, items: Sequence[OutboxItem]) -> dict[int, datetime]:
        def card(i: OutboxItem) -> RefKey:
            return (i.route.platform, i.route.chat_id, i.route.card_key)

        found: dict[int, datetime] = {}
        for item in items:
            if item.id is None or not item.route.card_key:
                continue
            times = [
                stored.next_attempt_at or stored.created_at
                for stored in self._t.outbox.values()
                if stored.id is not None
                and stored.id < item.id
                and card(stored) == card(item)
                and self._pending(stored)
            ]
            if times:
                found[item.id] = min(times)
        return found

    async def superseded_among(self, items: Sequence[OutboxItem]) -> set[int]:
        def card(i: OutboxItem) -> RefKey:
            return (i.route.platform, i.route.chat_id, i.route.card_key)

        newest: dict[RefKey, int] = {}
        for stored in self._t.outbox.values():
            if stored.route.card_key and stored.id is not None:
                newest[card(stored)] = max(newest.get(card(stored), 0), stored.id)
        return {
            i.id
            for i in items
            if i.id is not None and i.route.card_key and newest.get(card(i), 0) > i.id
        }

    async def put_ref(
        self, platform: str, chat_id: str, key: str, message_id: str, digest: str = ""
    ) -> None:
        await self.put_refs({(platform, chat_id, key): CardRef(message_id, digest)})

    async def put_refs(self, refs: Mapping[RefKey, CardRef]) -> None:
        self._t.refs.update(refs)

    async def card_ref(self, platform: str, chat_id: str, key: str) -> CardRef | None:
        return self._t.refs.get((platform, chat_id, key))

    async def card_refs(self, keys: Collection[RefKey]) -> dict[RefKey, CardRef]:
        return {k: self._t.refs[k] for k in keys if k in self._t.refs}

    async def get_ref(self, platform: str, chat_id: str, key: str) -> str | None:
        ref = self._t.refs.get((platform, chat_id, key))
        return ref.message_id if ref is not None else None

    async def key_of(self, platform: str, chat_id: str, message_id: str) -> str | None:
        keys = sorted(
            k
            for (p, c, k), ref in self._t.refs.items()
            if (p, c, ref.message_id) == (platform, chat_id, message_id)
        )
        return keys[0] if keys else None

    async def prune(self, before: datetime) -> int:
        old = [
            item_id
            for item_id, item in self._t.outbox.items()
            if (item.delivered_at is not None and item.delivered_at < before)
            or (item_id in self._t.given_up and self._t.given_up[item_id] < before)
        ]
        for item_id in old:
            del self._t.outbox[item_id]
            self._t.given_up.pop(item_id, None)
        return len(old)

    def _item(self, item_id: int) -> OutboxItem:
        if item_id not in self._t.outbox:
            raise LookupError(f"outbox item {item_id} does not exist")
        return self._t.outbox[item_id]


class FakePings:
    def __init__(self, t: Tables) -> None:
        self._t = t

    async def stages_of(self, numbers: Sequence[int]) -> dict[int, dict[str, datetime]]:
        return {n: dict(self._t.stages.get(n, {})) for n in numbers}

    async def record_many(
        self, stages: Sequence[tuple[int, str]], at: datetime, actor_id: int | None = None
    ) -> set[tuple[int, str]]:
        recorded = set()
        for number, key in stages:
            done = self._t.stages.setdefault(number, {})
            if key not in done:
                done[key] = at
                recorded.add((number, key))
        return recorded

    async def count_since(self, kind: str, since: datetime) -> dict[int, int]:
        counts: dict[int, int] = {}
        for number, done in self._t.stages.items():
            n = sum(1 for key, at in done.items() if f":{kind}" in key and at >= since)
            if n:
                counts[number] = n
        return counts


class FakeOnCall:
    def __init__(self, t: Tables) -> None:
        self._t = t

    async def add(self, override: OnCallOverride) -> OnCallOverride:
        stored = replace(override, id=next(self._t.ids))
        self._t.overrides.append(stored)
        return stored

    async def overlapping(self, start: datetime, end: datetime) -> list[OnCallOverride]:
        found = [o for o in self._t.overrides if o.ends_at > start and o.starts_at < end]
        return sorted(found, key=lambda o: (o.created_at, o.id or 0))


class FakeDatabase:
    """The committed data, shared by every unit of work of one test."""

    def __init__(self) -> None:
        self.tables = Tables()
        self.commits = 0


class FakeReports:
    def __init__(self, t: Tables) -> None:
        self._t = t

    async def tickets(self, start: datetime, end: datetime) -> list[Ticket]:
        return [
            copy.deepcopy(t)
            for _, t in sorted(self._t.tickets.items())
            if t.created_at < end and (t.closed_at is None or t.closed_at >= start)
        ]

    async def history(self, numbers: Sequence[int], actions: Sequence[str]) -> list[HistoryEntry]:
        wanted = set(numbers)
        lines = [
            h
            for h in self._t.history
            if h.ticket_number in wanted and h.action.startswith(tuple(actions))
        ]
        return sorted(lines, key=lambda h: (h.at, h.id or 0))

    async def stages(self, start: datetime, end: datetime) -> list[tuple[int, str, datetime]]:
        return [
            (n, key, at)
            for n, stages in self._t.stages.items()
            for key, at in stages.items()
            if start <= at < end
        ]

    async def self_service(self, start: datetime, end: datetime) -> list[datetime]:
        return [r.at for r in self._t.self_service if start <= r.at < end]


class FakeIncidents:
    def __init__(self, t: Tables) -> None:
        self._t = t
        self.locked: list[str | None] = []  # categories locked in this unit of work

    async def add(self, incident: Incident) -> Incident:
        if incident.id is not None:
            raise ValueError(f"incident {incident.ref} is already stored")
        incident.id = max(self._t.incidents, default=0) + 1
        self._t.incidents[incident.id] = copy.deepcopy(incident)
        return incident

    async def get(self, incident_id: int) -> Incident | None:
        found = self._t.incidents.get(incident_id)
        return copy.deepcopy(found) if found is not None else None

    async def save(self, incident: Incident) -> None:
        assert incident.id is not None and incident.id in self._t.incidents
        self._t.incidents[incident.id] = copy.deepcopy(incident)

    async def lock_category(self, category: str | None) -> None:
        self.locked.append(category)

    async def recent(self, category: str | None, since: datetime) -> list[RecentTicket]:
        return [
            r
            for r in await self.opened_since(since)
            if self._t.tickets[r.number].category == category
        ]

    async def opened_since(self, since: datetime) -> list[RecentTicket]:
        found = []
        for n, t in sorted(self._t.tickets.items(), key=lambda i: (i[1].created_at, i[0])):
            if t.created_at < since or t.status is Status.CANCELLED:
                continue
            live = [
                i
                for (i, number) in self._t.links
                if number == n and self._t.incidents[i].status in LIVE_INCIDENTS
            ]
            text = ticket_text(t.summary, t.details)
            incident = max(live, default=None)
            found.append(RecentTicket(n, t.requester_id, t.summary, text, t.created_at, incident))
        return found

    async def link(self, incident_id: int, numbers: Sequence[int], at: datetime) -> None:
        for n in numbers:
            self._t.links.setdefault((incident_id, n), at)

    async def unlink(self, incident_id: int, number: int) -> bool:
        return self._t.links.pop((incident_id, number), None) is not None

    async def linked(self, incident_id: int) -> list[int]:
        return (await self.linked_to([incident_id])).get(incident_id, [])

    async def linked_to(self, incident_ids: Sequence[int]) -> dict[int, list[int]]:
        found: dict[int, list[int]] = {}
        for (i, n), _ in sorted(self._t.links.items(), key=lambda link: (link[1], link[0][1])):
            if i in incident_ids:
                found.setdefault(i, []).append(n)
        return found

    async def tickets(self, incident_id: int) -> list[Ticket]:
        return [copy.deepcopy(self._t.tickets[n]) for n in await self.linked(incident_id)]

    async def unrelated_among(self, numbers: Sequence[int]) -> set[tuple[int, int]]:
        wanted = set(numbers)
        return {p for p in self._t.unrelated if p[0] in wanted and p[1] in wanted}

    async def add_unrelated(self, pairs: Iterable[tuple[int, int]]) -> None:
        self._t.unrelated |= {(min(a, b), max(a, b)) for a, b in pairs if a != b}

    async def add_timeline(self, entries: Sequence[TimelineEntry]) -> set[str]:
        written: set[str] = set()
        for entry in entries:
            if entry.key:
                taken = any(
                    e.incident_id == entry.incident_id and e.key == entry.key
                    for e in self._t.timeline
                )
                if taken:
                    continue
                written.add(entry.key)
            self._t.timeline.append(entry)
        return written

    async def timeline(self, incident_id: int) -> list[TimelineEntry]:
        return [e for e in self._t.timeline if e.incident_id == incident_id]

    async def stages_of(self, incident_ids: Sequence[int]) -> dict[int, dict[str, datetime]]:
        found: dict[int, dict[str, datetime]] = {i: {} for i in incident_ids}
        for e in self._t.timeline:
            if e.key and e.incident_id in found:
                found[e.incident_id][e.key] = e.at
        return found

    async def due_for_ping(self, now: datetime, limit: int) -> list[Incident]:
        due = [
            i
            for i in self._t.incidents.values()
            if i.clocks.next_ping_at is not None and i.clocks.next_ping_at <= now
        ]
        due.sort(key=lambda i: (i.clocks.next_ping_at, i.id))
        return copy.deepcopy(due[:limit])

    async def between(self, start: datetime, end: datetime) -> list[Incident]:
        return [
            copy.deepcopy(i)
            for _, i in sorted(self._t.incidents.items())
            if i.proposed_at < end and (i.resolved_at is None or i.resolved_at >= start)
        ]

    async def list(
        self, *, statuses: Sequence[IncidentStatus] = (), limit: int | None = None
    ) -> list[Incident]:
        found = [
            copy.deepcopy(i)
            for _, i in sorted(self._t.incidents.items(), reverse=True)
            if not statuses or i.status in statuses
        ]
        return found[:limit] if limit is not None else found


class FakeUnitOfWork:
    """``async with uow: …; await uow.commit()`` over a copy of :class:`FakeDatabase`."""

    def __init__(self, database: FakeDatabase, clock: Clock) -> None:
        self._database = database
        self._clock = clock
        self.committed = False

    async def __aenter__(self) -> Self:
        self._begin()
        return self

    def _begin(self) -> None:
        self._working = self._database.tables.snapshot()
        t = self._working
        self.tickets = FakeTickets(t)
        self.people = FakePeople(t)
        self.conversations = FakeConversations(t, self._clock)
        self.knowledge = FakeKnowledge(t)
        self.inbound = FakeInbound(t)
        self.outbox = FakeOutbox(t)
        self.pings = FakePings(t)
        self.oncall = FakeOnCall(t)
        self.reports = FakeReports(t)
        self.incidents = FakeIncidents(t)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._working = Tables()

    async def commit(self) -> None:
        self._database.tables = self._working
        self._database.commits += 1
        self.committed = True
        self._begin()  # go on working on what is committed now

    async def rollback(self) -> None:
        self._begin()


class FakeUnitOfWorkFactory:
    def __init__(self, clock: Clock | None = None, database: FakeDatabase | None = None) -> None:
        self.database = database or FakeDatabase()
        self._clock: Clock = clock or SystemClock()

    def __call__(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.database, self._clock)


__all__ = ["FakeDatabase", "FakeUnitOfWork", "FakeUnitOfWorkFactory"]
