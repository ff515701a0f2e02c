"""Major incidents: detection when a ticket opens, declaration, linking, updates and
resolution fanned out to every linked requester, and the incident's own SLA pings.

Detection runs in the transaction that opens a ticket: under a per-category lock (so two
tickets of a burst opened at the same moment on two replicas make one incident), it reads
the category's tickets of the last ``incidents.window`` (one statement, with each one's live
incident), asks the text engine (:mod:`bot.knowledge.likeness`) whether the new report and
some of them come from enough distinct people, drops pairs an agent marked *Not related*,
and proposes one incident (or extends the one its alike tickets already have). The engine is
one long-lived object of the process: it may remember what it saw.

The incident owns its clocks as a ticket does; declared, its linked tickets' own clocks
pause (they stop pinging) and their cards collapse into it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations

from bot import views
from bot.clock import Clock
from bot.domain import Draft, Ticket, pings
from bot.domain.incidents import (
    GROUP_IMPACT,
    Incident,
    IncidentStatus,
    RecentTicket,
    TimelineEntry,
)
from bot.domain.pings import Kind, Ping
from bot.domain.tickets import tier_after
from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.knowledge.likeness import DEFAULT_THRESHOLD, Likeness, Report, find_burst
from bot.messages import Message
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.services import commands as c
from bot.services.access import Rules
from bot.services.notices import (
    Actor,
    ToAccount,
    ToActor,
    ToIncident,
    ToPerson,
    ToRequester,
    ToThread,
    ToTier,
    Work,
)
from bot.services.oncall import DutyOf, OnCallService
from bot.services.outbox import Postman
from bot.services.tickets import TicketService, priority_named
from bot.settings import Settings, Tier

TICK_BATCH = 100
OPEN_KEPT = 50  # open incidents whose features the intake compares with


@dataclass(frozen=True, slots=True)
class KnownIncident:
    """An open incident as the intake compares a new description with it (in memory)."""

    id: int
    title: str
    features: object


class IncidentService:
    """The incident use cases of one configuration, with the process's one text engine."""

    def __init__(
        self,
        settings: Settings,
        rules: Rules,
        tickets: TicketService,
        oncall: OnCallService,
        likeness: Likeness,
    ) -> None:
        self.settings = settings
        self.config = settings.incidents
        self.sla = settings.sla
        self.rules = rules
        self.tickets = tickets
        self.oncall = oncall
        self.likeness = likeness
        threshold = self.config.threshold
        self.threshold = DEFAULT_THRESHOLD if threshold is None else threshold
        self.known: tuple[KnownIncident, ...] = ()  # refreshed by :meth:`tick`

    # -- detection ---------------------------------------------------------------------------

    async def open_ticket(self, work: Work, actor: Actor, cmd: c.OpenTicket) -> Ticket:
        """Open the ticket, then look whether it is part of a storm (same transaction)."""
        ticket = await self.tickets.open(work, actor, cmd)
        await self.detect(work, ticket)
        return ticket

    async def detect(self, work: Work, ticket: Ticket) -> Incident | None:
        """Propose (or extend) one incident when the new ticket and recent ones alike it come
        from ``incidents.requesters`` distinct people; None when they do not."""
        if not self.config.enabled or ticket.number is None:
            return None
        uow = work.uow
        await uow.incidents.lock_category(ticket.category)
        recent = await uow.incidents.recent(ticket.category, work.now - self.config.window)
        if len({r.requester_id for r in recent}) < self.config.requesters:
            # too few people wrote lately to compare; the day's memory still counts them
            self.likeness.remember(_report(r) for r in recent)
            return None
        new = next((r for r in recent if r.number == ticket.number), None)
        if new is None:
            return None
        others = [r for r in recent if r.number != ticket.number]
        burst = find_burst(
            _report(new),
            [_report(r) for r in others],
            self.likeness,
            threshold=self.threshold,
            requesters=self.config.requesters,
        )
        if not burst:
            return None
        by_number = {r.number: r for r in recent}
        group = [by_number[r.ticket_id] for r in burst]
        unrelated = await uow.incidents.unrelated_among([r.number for r in group])
        group = _apart(group, unrelated)
        if new not in group or len({r.requester_id for r in group}) < self.config.requesters:
            return None
        live = [r.incident_id for r in group if r.incident_id is not None]
        if live:
            incident = await uow.incidents.get(max(live))
            assert incident is not None and incident.id is not None
            joining = [r.number for r in group if r.incident_id is None]
            told = {r.requester_id for r in recent if r.incident_id == incident.id}
            await self._link(work, incident, joining, None, {ticket.number: ticket}, told)
            return incident
        incident = Incident(
            title=views.shorten(group[0].summary, 80),
            category=ticket.category,
            tier=ticket.tier,
            proposed_at=work.now,
            text=group[0].text,
        )
        incident = await uow.incidents.add(incident)
        assert incident.id is not None
        numbers = [r.number for r in group]
        await uow.incidents.link(incident.id, numbers, work.now)
        await self._timeline(work, incident, None, "proposed", f"{len(numbers)} reports")
        if ticket.category is not None and ticket.category in self.config.auto_declare:
            await self._declare(work, incident, None, "")
        else:
            await self._card(work, incident)
        return incident

    # -- agents' commands ----------------------------------------------------------------------

    async def overview(self, work: Work, actor: Actor, cmd: c.ListIncidents) -> None:
        self._agent(actor)
        incidents = await work.uow.incidents.list(limit=20)
        linked = await work.uow.incidents.linked_to([i.id for i in incidents if i.id])
        work.tell(ToActor(actor), views.incident_list(incidents, linked))

    async def new(self, work: Work, actor: Actor, cmd: c.NewIncident) -> Incident:
        tiers = self._agent(actor)
        title = " ".join(cmd.title.split())
        if not title:
            raise InvalidInput("Usage: /incident new TITLE")
        incident = Incident(
            title=views.shorten(title, 200),
            category=None,
            tier=tiers[0].name,
            proposed_at=work.now,
            text=title,
        )
        incident = await work.uow.incidents.add(incident)
        await self._timeline(work, incident, actor, "created", title)
        await self._card(work, incident)
        work.tell(ToActor(actor, direct_only=True), views.incident_created(incident))
        return incident

    async def declare(self, work: Work, actor: Actor, cmd: c.DeclareIncident) -> Incident:
        self._agent(actor)
        incident = await self._get(work, cmd.incident)
        priority = priority_named(self.settings, cmd.priority) if cmd.priority else ""
        await self._declare(work, incident, actor, priority)
        return incident

    async def dismiss(self, work: Work, actor: Actor, cmd: c.DismissIncident) -> Incident:
        """*Not related*: every pair of its tickets is remembered, never proposed again."""
        self._agent(actor)
        incident = await self._get(work, cmd.incident)
        incident.dismiss(work.now)
        await work.uow.incidents.save(incident)
        numbers = await work.uow.incidents.linked(_id(incident))
        await work.uow.incidents.add_unrelated(combinations(numbers, 2))
        await self._timeline(work, incident, actor, "dismissed", "not related")
        await self._card(work, incident)
        work.tell(
            ToIncident(_id(incident), incident.tier),
            views.incident_dismissed(incident, actor.person.display_name),
        )
        return incident

    async def link(self, work: Work, actor: Actor, cmd: c.LinkTicket) -> Incident:
        self._agent(actor)
        incident = await self._get(work, cmd.incident)
        if not incident.live:
            raise InvalidInput(f"Incident {incident.ref} is {incident.status.label.lower()}.")
        ticket = await self._ticket(work, actor, cmd.number)
        if cmd.number in await work.uow.incidents.linked(_id(incident)):
            raise InvalidInput(f"{ticket.ref} is already part of incident {incident.ref}.")
        await self._link(work, incident, [cmd.number], actor, {cmd.number: ticket})
        work.tell(ToActor(actor, direct_only=True), views.incident_linked(incident, ticket))
        return incident

    async def unlink(self, work: Work, actor: Actor, cmd: c.UnlinkTicket) -> Incident:
        self._agent(actor)
        incident = await self._get(work, cmd.incident)
        ticket = await self._ticket(work, actor, cmd.number)
        if not await work.uow.incidents.unlink(_id(incident), cmd.number):
            raise InvalidInput(f"{ticket.ref} is not part of incident {incident.ref}.")
        if ticket.incident_id == incident.id:
            ticket.leave_incident(work.now, self.sla)
            await self.tickets.changed(work, ticket, actor, "left incident", incident.ref)
        await self._timeline(work, incident, actor, "unlinked", ticket.ref)
        await self._card(work, incident)
        work.tell(ToActor(actor, direct_only=True), views.incident_unlinked(incident, ticket))
        return incident

    async def update(self, work: Work, actor: Actor, cmd: c.UpdateIncident) -> Incident:
        """A status update: every linked requester hears it exactly once (one message per
        person, however many of their tickets are linked), and it goes on the timeline."""
        self._agent(actor)
        text = cmd.text.strip()
        if not text:
            raise InvalidInput(f"Usage: /incident update {cmd.incident} TEXT")
        incident = await self._get(work, cmd.incident)
        if not incident.active:
            raise InvalidInput(f"Incident {incident.ref} is not open; declare it first.")
        await self._timeline(work, incident, actor, "update", text)
        message = views.incident_update(incident, text, actor.person.display_name)
        tickets = await self._linked_tickets(work, incident)
        told = 0
        for ticket in _one_per_requester(t for t in tickets if t.status.active):
            work.tell(ToRequester(ticket), message)
            work.record(ticket, actor, "incident update", text)
            told += 1
        work.tell(ToIncident(_id(incident), incident.tier), message)
        work.tell(ToActor(actor, direct_only=True), views.update_sent(incident, told))
        return incident

    async def resolve(self, work: Work, actor: Actor, cmd: c.ResolveIncident) -> Incident:
        """Resolve it and every linked ticket still open with its note; each requester is
        asked "Did this solve it?" once, on their first ticket, naming any others."""
        self._agent(actor)
        note = cmd.note.strip()
        if not note:
            raise InvalidInput(f"Usage: /incident resolve {cmd.incident} NOTE")
        incident = await self._get(work, cmd.incident)
        incident.resolve(note, work.now)
        await work.uow.incidents.save(incident)
        work.afterwards.append(lambda: self._forget(_id(incident)))
        tickets = await self._linked_tickets(work, incident)
        name = actor.person.display_name
        resolved: dict[int, list[Ticket]] = {}
        for ticket in tickets:
            if not ticket.status.active:
                continue
            ticket.resolve(note, work.now, by=actor.id)
            await self.tickets.changed(
                work, ticket, actor, "resolved", f"with incident {incident.ref}: {note}"
            )
            resolved.setdefault(ticket.requester_id, []).append(ticket)
        for first, *others in resolved.values():
            work.tell(ToRequester(first), views.resolved_for_requester(first, name, others))
        await self._timeline(work, incident, actor, "resolved", note)
        await self._card(work, incident, tickets=tickets)
        work.tell(
            ToIncident(_id(incident), incident.tier),
            views.incident_resolved(incident, name, sum(map(len, resolved.values()))),
        )
        return incident

    async def command(self, work: Work, actor: Actor, cmd: c.CommandIncident) -> Incident:
        self._agent(actor)
        incident = await self._get(work, cmd.incident)
        incident.take_command(actor.id, work.now, self.sla)
        await work.uow.incidents.save(incident)
        name = actor.person.display_name
        await self._timeline(work, incident, actor, "took command")
        await self._card(work, incident)
        work.tell(
            ToIncident(_id(incident), incident.tier), views.incident_commander(incident, name)
        )
        return incident

    # -- requesters ----------------------------------------------------------------------------

    def matching(self, description: str) -> KnownIncident | None:
        """The open incident a new requester's description is alike, if any: compared with
        the in-memory list :meth:`tick` keeps, so an intake costs no statement."""
        if not self.known or not description.strip():
            return None
        mine = self.likeness.features(description)
        scored = [(self.likeness.compare(mine, k.features), k) for k in self.known]
        score, best = max(scored, key=lambda s: s[0])
        return best if score >= self.threshold else None

    async def join(self, work: Work, actor: Actor, cmd: c.JoinIncident) -> Ticket:
        """*Add me to incident #I*: a ticket for the requester, linked to the incident at once
        (no questions: the incident's priority speaks for it)."""
        incident = await work.uow.incidents.get(cmd.incident)
        if incident is None or not incident.active:
            raise InvalidInput("That incident is over; describe your problem again to go on.")
        priority = self.settings.priority
        description = cmd.description.strip() or incident.title
        draft = Draft(
            description=description,
            summary=views.summary_of(description),
            impact=priority.impacts[-1].key,
            can_work=priority.can_work[-1].key,
            urgency=priority.urgencies[-1].key,
            category=incident.category,
        )
        ticket = await self.tickets.open(work, actor, c.OpenTicket(draft))
        assert ticket.number is not None
        await self._link(work, incident, [ticket.number], actor, {ticket.number: ticket})
        return ticket

    # -- the tick ------------------------------------------------------------------------------

    async def warm_up(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> int:
        """Give the text engine the last day's tickets, so a process that just started tells
        a question the desk hears daily from a storm at once (with an empty memory, any three
        alike reports are news). Returns how many it was given."""
        if not self.config.enabled:
            return 0
        async with uow_factory() as uow:
            opened = await uow.incidents.opened_since(clock.now() - self.likeness.memory)
        self.likeness.remember(_report(r) for r in opened)
        return len(opened)

    async def tick(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> int:
        """Send the pings open incidents owe now (each stage once, across replicas), and
        refresh the open incidents the intake compares with. Returns the pings sent."""
        now = clock.now()
        sent = 0
        async with uow_factory() as uow:
            due = await uow.incidents.due_for_ping(now, TICK_BATCH)
            if due:
                sent = await self._ping(uow, due, now)
            open_now = await uow.incidents.list(statuses=(IncidentStatus.OPEN,), limit=OPEN_KEPT)
            await uow.commit()
        self._remember(open_now)
        return sent

    async def _learn(self, incident: Incident) -> None:
        """Declared here: the intake offers it at once (other processes at their tick)."""
        self.known = (self._known(incident), *(k for k in self.known if k.id != incident.id))

    async def _forget(self, incident_id: int) -> None:
        self.known = tuple(k for k in self.known if k.id != incident_id)

    def _remember(self, incidents: Sequence[Incident]) -> None:
        """The open incidents, compared afresh at each tick (a text engine that learns from
        what it sees may weigh words differently by now)."""
        self.known = tuple(self._known(i) for i in incidents)

    def _known(self, incident: Incident) -> KnownIncident:
        features = self.likeness.features(f"{incident.title} {incident.text}")
        return KnownIncident(_id(incident), incident.title, features)

    async def _ping(self, uow: UnitOfWork, due: list[Incident], now: datetime) -> int:
        by_id = {_id(i): i for i in due}
        done = await uow.incidents.stages_of(list(by_id))
        plans = {i: pings.plan(incident, self.sla, now, done[i]) for i, incident in by_id.items()}
        entries = [
            TimelineEntry(i, now, f"{p.clock} {p.kind.value}", key=p.key)
            for i, plan in plans.items()
            for p in plan.pings
        ]
        recorded = await uow.incidents.add_timeline(entries)
        duty_of = await self.oncall.duties(uow, now)
        work = Work(uow, now)
        sent = 0
        for incident_id, incident in by_id.items():
            plan = plans[incident_id]
            for ping in plan.pings:
                if ping.key not in recorded:
                    continue
                sent += 1
                message = views.incident_ping(self.settings, incident, ping)
                if incident.commander_id is not None:
                    work.tell(ToPerson(incident.commander_id), message)
                if ping.kind is not Kind.WARNING or incident.commander_id is None:
                    work.tell(ToIncident(incident_id, incident.tier), message)
                if ping.kind is Kind.ESCALATION and incident.commander_id is None:
                    self._escalate(work, incident, ping, message, duty_of)
                    continue
                duty = duty_of(incident.tier)
                if ping.kind is not Kind.WARNING and duty is not None:
                    work.tell(ToAccount(duty.person), message)
            incident.clocks.next_ping_at = plan.next_at
            await uow.incidents.save(incident)
        await Postman(self.settings, uow, now).deliver(work)
        return sent

    def _escalate(
        self, work: Work, incident: Incident, ping: Ping, message: Message, duty_of: DutyOf
    ) -> None:
        """A breach of an incident nobody commands walks the tickets' ladder: the next person
        of the tier's rotation, then the next tier of its category (channel and on-call).
        A commander is its acknowledgement: from then on they hear its pings."""
        step = incident.clocks.escalation_rules(self.sla).chain[ping.step - 1]
        after = tier_after(self.settings.chain_of(incident.category), incident.tier)
        to = self.oncall.escalated(step, incident.tier, after, duty_of, work.now)
        if to.channel is not None:
            work.tell(ToTier(to.channel), message)
        if to.person is not None:
            work.tell(ToAccount(to.person), message)

    # -- shared ----------------------------------------------------------------------------------

    def _agent(self, actor: Actor) -> tuple[Tier, ...]:
        tiers = self.settings.agent_tiers(actor.identity)
        if not tiers:
            raise PermissionDenied("Only agents can work on incidents.")
        return tiers

    async def _get(self, work: Work, incident_id: int) -> Incident:
        incident = await work.uow.incidents.get(incident_id)
        if incident is None:
            raise NotFound(f"There is no incident #{incident_id}.")
        return incident

    async def _ticket(self, work: Work, actor: Actor, number: int) -> Ticket:
        ticket = await work.uow.tickets.get(number)
        return self.rules.check(actor, c.Access.STAFF, number, ticket)

    async def _linked_tickets(self, work: Work, incident: Incident) -> list[Ticket]:
        """Its tickets, read to be changed (two statements, whatever their number)."""
        return await work.uow.tickets.get_many(await work.uow.incidents.linked(_id(incident)))

    async def _declare(
        self, work: Work, incident: Incident, actor: Actor | None, priority: str
    ) -> None:
        """Its clocks start; its tickets join it (their clocks pause, their cards collapse,
        each requester is told once); S1/S2 page the tier's on-call person at once."""
        tickets = await self._linked_tickets(work, incident)
        incident.declare(priority or self._priority_of(tickets), work.now, self.sla)
        await work.uow.incidents.save(incident)
        work.afterwards.append(lambda: self._learn(incident))
        joined = await self._join(work, incident, [t for t in tickets if t.status.active], actor)
        by = actor.person.display_name if actor else ""
        await self._timeline(work, incident, actor, "declared", incident.priority)
        await self._card(work, incident, tickets=tickets)
        work.tell(
            ToIncident(_id(incident), incident.tier),
            views.incident_declared(incident, by, joined),
        )
        if incident.priority in self.config.page:
            duty = (await self.oncall.duties(work.uow, work.now))(incident.tier)
            if duty is not None:
                page = views.incident_page(self.settings, incident, len(tickets))
                work.tell(ToAccount(duty.person), page)
                await self._timeline(work, incident, None, "paged", str(duty.person))

    def _priority_of(self, tickets: Sequence[Ticket]) -> str:
        """The matrix's priority with the impact raised to a group, for the most blocked of
        its requesters; the most severe ticket's when the matrix has no group impact."""
        settings = self.settings.priority
        candidates = [
            settings.matrix.get((GROUP_IMPACT, t.can_work), t.priority) for t in tickets
        ] or [settings.matrix.get((GROUP_IMPACT, settings.can_work[-1].key), "")]
        candidates = [p for p in candidates if p] or [settings.levels[-1].name]
        return min(candidates, key=settings.rank)

    async def _link(
        self,
        work: Work,
        incident: Incident,
        numbers: Sequence[int],
        actor: Actor | None,
        loaded: dict[int, Ticket] | None = None,
        told: set[int] | None = None,
    ) -> None:
        """Link tickets; to a declared incident they join at once (``told``: requesters
        already part of it, who were told; looked up when not given)."""
        if not numbers:
            return
        await work.uow.incidents.link(_id(incident), numbers, work.now)
        await self._timeline(work, incident, actor, "linked", ", ".join(f"#{n}" for n in numbers))
        if incident.active:
            loaded = dict(loaded or {})
            missing = [n for n in numbers if n not in loaded]
            loaded |= {t.number: t for t in await work.uow.tickets.get_many(missing)}
            tickets = [loaded[n] for n in numbers if n in loaded]
            active = [t for t in tickets if t.status.active]
            if told is None:
                told = await self._requesters_told(work, incident, numbers)
            await self._join(work, incident, active, actor, told)
        await self._card(work, incident)

    async def _requesters_told(
        self, work: Work, incident: Incident, joining: Sequence[int]
    ) -> set[int]:
        """The requesters of tickets already part of it (they were told)."""
        return {
            t.requester_id
            for t in await work.uow.incidents.tickets(_id(incident))
            if t.number not in joining and t.incident_id == incident.id
        }

    async def _join(
        self,
        work: Work,
        incident: Incident,
        tickets: Iterable[Ticket],
        actor: Actor | None,
        told: set[int] | None = None,
    ) -> int:
        told = set(told or ())
        joined = 0
        for ticket in tickets:
            ticket.join_incident(_id(incident), work.now)
            await self.tickets.changed(work, ticket, actor, "joined incident", incident.ref)
            if ticket.requester_id not in told:
                told.add(ticket.requester_id)
                work.tell(ToRequester(ticket), views.known_problem(incident))
            work.tell(ToThread(ticket), views.incident_linked(incident, ticket))
            joined += 1
        return joined

    async def _card(
        self, work: Work, incident: Incident, *, tickets: Sequence[Ticket] | None = None
    ) -> None:
        """The incident's card as it is now (edited in place)."""
        if tickets is None:
            tickets = await work.uow.incidents.tickets(_id(incident))
        names = await work.uow.people.names(
            [*(t.requester_id for t in tickets), incident.commander_id]
        )
        card = views.incident_card(incident, self.settings, tickets, names)
        work.tell(ToIncident(_id(incident), incident.tier, card=True), card)

    async def _timeline(
        self,
        work: Work,
        incident: Incident,
        actor: Actor | None,
        action: str,
        detail: str = "",
    ) -> None:
        entry = TimelineEntry(_id(incident), work.now, action, detail, actor.id if actor else None)
        await work.uow.incidents.add_timeline([entry])


def _id(incident: Incident) -> int:
    if incident.id is None:
        raise ValueError("incident has no id yet")
    return incident.id


def _report(ticket: RecentTicket) -> Report:
    return Report(ticket.number, str(ticket.requester_id), ticket.text, ticket.opened_at)


def _apart(group: Sequence[RecentTicket], unrelated: set[tuple[int, int]]) -> list[RecentTicket]:
    """The burst without pairs an agent marked *Not related*: oldest first, a ticket stays
    only if it is not marked unrelated to one already kept."""
    if not unrelated:
        return list(group)
    kept: list[RecentTicket] = []
    for ticket in group:
        pairs = ((min(k.number, ticket.number), max(k.number, ticket.number)) for k in kept)
        if not any(p in unrelated for p in pairs):
            kept.append(ticket)
    return kept


def _one_per_requester(tickets: Iterable[Ticket]) -> list[Ticket]:
    seen: set[int] = set()
    out = []
    for ticket in tickets:
        if ticket.requester_id not in seen:
            seen.add(ticket.requester_id)
            out.append(ticket)
    return out


__all__ = ["IncidentService", "KnownIncident"]
