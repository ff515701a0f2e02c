"""``tierdesk demo seed``: a month of realistic desk life, for trying the report and the pages.

Tickets are driven through the desk's own transitions (open, claim, wait, escalate, resolve,
reopen, close) at chosen instants, so their clocks, due times and pauses are exactly what
the desk would have stored; breaches and warnings are recorded as the SLA tick records them,
and some problems end at a knowledge-base article with no ticket. One outage becomes a
major incident (declared, commanded, resolved with its tickets) and one proposal is
dismissed as not related. Random but reproducible (``--seed``): the same command gives the
same database.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import combinations
from zoneinfo import ZoneInfo

from bot.domain import ChatAddress, HistoryEntry, Identity, Person, Status, Ticket, pings
from bot.domain.clocks import target_of
from bot.domain.incidents import Incident, TimelineEntry
from bot.domain.knowledge import SelfServiceResolution
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.settings import Settings

PROBLEMS = {
    "access": [
        "locked out after password change",
        "MFA app lost with the old phone",
        "no access to the finance share",
        "account expired after holiday",
    ],
    "hardware": [
        "printer on floor 3 jams",
        "laptop fan loud and hot",
        "docking station no video",
        "scanner does not email scans",
        "monitor flickers",
    ],
    "network": [
        "VPN drops every few minutes",
        "Wi-Fi slow in meeting room B",
        "site offline since this morning",
        "cannot reach the intranet",
    ],
    "erp": ["ERP invoice export fails", "ERP report times out", "ERP login error 403"],
    "billing": ["customer charged twice", "invoice address wrong", "refund not received"],
}
REQUESTERS = 40


@dataclass
class Seeded:
    tickets: int = 0
    self_service: int = 0
    stages: int = 0
    incidents: int = 0
    statuses: dict[str, int] = field(default_factory=dict)

    def count(self, ticket: Ticket) -> None:
        self.tickets += 1
        self.statuses[ticket.status.value] = self.statuses.get(ticket.status.value, 0) + 1


async def seed(
    settings: Settings,
    uow_factory: UnitOfWorkFactory,
    now: datetime,
    days: int = 30,
    seed: int = 7,
) -> Seeded:
    """Fill the database with ``days`` of tickets ending at ``now``."""
    rng = random.Random(seed)
    zone = ZoneInfo(settings.timezone)
    done = Seeded()
    async with uow_factory() as uow:
        requesters = [
            await _person(uow, Identity("console", f"user{i:02d}"), f"User {i:02d}")
            for i in range(1, REQUESTERS + 1)
        ]
        agents = {
            tier.name: [await _person(uow, a, a.external_id.capitalize()) for a in tier.agents]
            for tier in settings.tiers
        }
        lead = agents[settings.tiers[0].name] or requesters[:1]
        categories = [c for c in settings.categories if c.key in PROBLEMS] or list(
            settings.categories
        )
        start = now - timedelta(days=days)
        day = start.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
        while day < now:
            working = day.weekday() < 5
            for _ in range(rng.randint(14, 24) if working else rng.randint(0, 3)):
                hour = rng.choices(range(24), weights=_HOURLY if working else [1] * 24)[0]
                at = (day + timedelta(hours=hour, minutes=rng.randint(0, 59))).astimezone(
                    start.tzinfo
                )
                if not start <= at < now:
                    continue
                requester = rng.choice(requesters)
                assert requester.id is not None
                if rng.random() < 0.22:  # an article answered it: no ticket
                    await uow.knowledge.add_self_service(
                        SelfServiceResolution(requester.id, "kb", "demo", at)
                    )
                    done.self_service += 1
                    continue
                category = rng.choice(categories)
                ticket = _open(settings, rng, requester.id, category.key, category.chain, at)
                history = [HistoryEntry(0, at, "opened")]
                stages: list[tuple[str, datetime]] = []
                _live(settings, rng, ticket, agents, lead, now, history, stages)
                await _store(uow, ticket, history, stages, done)
            day = (day + timedelta(days=1, hours=2)).replace(hour=0)  # DST-safe next midnight
        if (outage := _working_morning(now - timedelta(days=days) * 0.4, zone)) > start:
            await _incidents(settings, uow, rng, requesters, agents, lead, outage, now, done)
        await uow.commit()
    return done


async def _store(
    uow: UnitOfWork,
    ticket: Ticket,
    history: list[HistoryEntry],
    stages: list[tuple[str, datetime]],
    done: Seeded,
) -> int:
    ticket = await uow.tickets.add(ticket)
    assert ticket.number is not None
    number = ticket.number
    await uow.tickets.add_history_many(
        [HistoryEntry(number, h.at, h.action, h.actor_id, "demo", h.detail) for h in history]
    )
    for key, when in stages:
        await uow.pings.record_many([(number, key)], when)
    done.count(ticket)
    done.stages += len(stages)
    return number


OUTAGE = (
    "VPN drops every few minutes",
    "vpn keeps disconnecting since 9",
    "cannot stay connected to the VPN",
    "VPN disconnects me all the time",
    "lost VPN again, third time",
    "vpn unstable, calls drop",
    "VPN connection keeps failing",
)
UNRELATED = ("printer on floor 3 jams", "printer on floor 2 is offline", "scanner is slow")


def _working_morning(near: datetime, zone: ZoneInfo) -> datetime:
    """09:10 local on the last weekday at or before ``near``."""
    day = near.astimezone(zone)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day.replace(hour=9, minute=10, second=0, microsecond=0)


async def _incidents(
    settings: Settings,
    uow: UnitOfWork,
    rng: random.Random,
    requesters: list[Person],
    agents: dict[str, list[Person]],
    lead: list[Person],
    at: datetime,
    now: datetime,
    done: Seeded,
) -> None:
    """A VPN outage reported by seven people in 25 minutes: proposed at the third report,
    declared, commanded, resolved with all its tickets two and a half hours later. And
    three printer complaints an agent marked *Not related* the next afternoon."""
    sla = settings.sla
    network = next((c for c in settings.categories if c.key == "network"), None)
    category = network or settings.categories[0]
    people = rng.sample(requesters, len(OUTAGE) + len(UNRELATED))
    reports = [at + timedelta(minutes=4 * i + rng.randint(0, 3)) for i in range(len(OUTAGE))]
    incident = await uow.incidents.add(
        Incident(OUTAGE[0], category.key, category.chain[0], reports[2], OUTAGE[0])
    )
    assert incident.id is not None
    commander = (agents.get(incident.tier) or lead)[0]
    assert commander.id is not None
    declared, resolved = reports[2] + timedelta(minutes=6), at + timedelta(hours=2, minutes=40)
    incident.declare(settings.priority.levels[1].name, declared, sla)
    incident.take_command(commander.id, declared + timedelta(minutes=3), sla)
    note = "VPN gateway failed over to the standby; the primary's firmware is rolled back"
    incident.resolve(note, resolved)
    await uow.incidents.save(incident)
    numbers = []
    for person, text, opened in zip(people, OUTAGE, reports, strict=False):
        assert person.id is not None
        ticket = _open(settings, rng, person.id, category.key, category.chain, opened)
        ticket.summary = text
        joined = max(opened, declared)
        ticket.join_incident(incident.id, joined)
        ticket.resolve(note, resolved, by=commander.id)
        history = [
            HistoryEntry(0, opened, "opened"),
            HistoryEntry(0, joined, "joined incident", detail=incident.ref),
            HistoryEntry(
                0, resolved, "resolved", commander.id, detail=f"with incident {incident.ref}"
            ),
        ]
        numbers.append(await _store(uow, ticket, history, [], done))
    await uow.incidents.link(incident.id, numbers, declared)
    await uow.incidents.add_timeline(
        [
            TimelineEntry(incident.id, declared, "declared", incident.priority, commander.id),
            TimelineEntry(
                incident.id, declared + timedelta(minutes=3), "took command", "", commander.id
            ),
            TimelineEntry(incident.id, resolved, "resolved", note, commander.id),
        ]
    )
    done.incidents += 1

    hardware = next((c for c in settings.categories if c.key == "hardware"), category)
    later = at + timedelta(days=1, hours=5)
    proposal = await uow.incidents.add(
        Incident(UNRELATED[0], hardware.key, hardware.chain[0], later, UNRELATED[0])
    )
    assert proposal.id is not None
    proposal.dismiss(later + timedelta(minutes=20))
    await uow.incidents.save(proposal)
    printers = []
    for i, (person, text) in enumerate(zip(people[len(OUTAGE) :], UNRELATED, strict=True)):
        assert person.id is not None
        opened = later - timedelta(minutes=10 * (2 - i))
        ticket = _open(settings, rng, person.id, hardware.key, hardware.chain, opened)
        ticket.summary = text
        history = [HistoryEntry(0, opened, "opened")]
        stages: list[tuple[str, datetime]] = []
        _live(settings, rng, ticket, agents, lead, now, history, stages)
        printers.append(await _store(uow, ticket, history, stages, done))
    await uow.incidents.link(proposal.id, printers, later)
    await uow.incidents.add_unrelated(combinations(printers, 2))
    await uow.incidents.add_timeline(
        [TimelineEntry(proposal.id, later + timedelta(minutes=20), "dismissed", "not related")]
    )
    done.incidents += 1


_HOURLY = [0, 0, 0, 0, 0, 0, 1, 3, 9, 12, 12, 10, 6, 9, 11, 10, 8, 5, 2, 1, 1, 0, 0, 0]


async def _person(uow: UnitOfWork, identity: Identity, name: str) -> Person:
    found = await uow.people.by_identity(identity)
    return found if found is not None else await uow.people.add(Person(name), identity)


def _open(
    settings: Settings,
    rng: random.Random,
    requester: int,
    category: str,
    chain: tuple[str, ...],
    at: datetime,
) -> Ticket:
    # most problems are one person's and not critical: a shape's weight grows with its rank
    shapes = sorted(settings.priority.matrix.items())
    weights = [(settings.priority.rank(priority) + 1) ** 2 for _, priority in shapes]
    (((impact, can_work), _),) = rng.choices(shapes, weights=weights)
    ticket = Ticket(
        requester_id=requester,
        requester_chat=ChatAddress("console", f"req{requester}"),
        summary=rng.choice(PROBLEMS.get(category, ["something is broken"])),
        impact=impact,
        can_work=can_work,
        urgency=rng.choice(["now", "today", "week", "wait"]),
        priority=settings.priority.priority_for(impact, can_work),
        tier=chain[0],
        chain=chain,
        category=category,
        created_at=at,
    )
    ticket.open(settings.sla)
    return ticket


def _live(
    settings: Settings,
    rng: random.Random,
    ticket: Ticket,
    agents: dict[str, list[Person]],
    lead: list[Person],
    now: datetime,
    history: list[HistoryEntry],
    stages: list[tuple[str, datetime]],
) -> None:
    """What happens to one ticket until ``now``: each step at a business-time delay on its
    calendar, some of them late enough to breach."""
    sla = settings.sla
    target = target_of(ticket, sla)
    calendar = sla.calendar(target.calendar)

    def after(at: datetime, share_of: timedelta, spread: float) -> datetime:
        return calendar.add(at, share_of * rng.lognormvariate(0, spread) * 0.45)

    def note_breach(
        clock: str, due: datetime | None, done_at: datetime | None, since: datetime | None = None
    ) -> None:
        if due is None:
            return
        begin = since or ticket.created_at
        warn = calendar.add(begin, calendar.elapsed(begin, due) * 0.75)
        key = pings.clock_key(clock, due)
        if warn < now and (done_at is None or done_at > warn):
            stages.append((f"{key}:warn", warn))
        if due < now and (done_at is None or done_at > due):
            stages.append((f"{key}:breach", due))
            if rng.random() < 0.6:
                stages.append((f"{key}:ack", min(due + timedelta(minutes=rng.randint(3, 40)), now)))

    people = agents.get(ticket.tier) or lead
    claim_at = after(ticket.created_at, target.response, 0.7)
    note_breach("response", ticket.clocks.response_due_at, claim_at)
    if claim_at >= now:
        return
    agent = rng.choice(people)
    assert agent.id is not None
    ticket.claim(agent.id, claim_at, sla)
    history.append(HistoryEntry(0, claim_at, "claimed", agent.id))
    at = claim_at
    if rng.random() < 0.25:  # the agent needs something from the requester
        at = after(at, target.resolution * 0.2, 0.5)
        if at >= now:
            return
        ticket.wait_on_requester(at, sla)
        at = after(at, target.resolution * 0.3, 0.8)
        if at >= now:
            return
        ticket.requester_replied(at, sla)
        history.append(HistoryEntry(0, at, "requester replied"))
    update = sla.policy(ticket.clocks.policy).update
    if update is not None and rng.random() < 0.6:  # a customer writes; the update clock runs
        at = after(at, target.resolution * 0.15, 0.5)
        if at >= now:
            return
        ticket.requester_replied(at, sla)
        history.append(HistoryEntry(0, at, "requester replied"))
        answered = after(at, update * 1.4, 0.7)
        note_breach("update", ticket.clocks.update_due_at, answered, since=at)
        if answered >= now:
            return
        ticket.agent_replied(answered, sla)
        history.append(HistoryEntry(0, answered, "replied", agent.id))
        at = answered
    tier_index = 0
    while ticket.next_tier is not None and rng.random() < (0.28 if tier_index == 0 else 0.2):
        at = after(at, target.resolution * 0.3, 0.5)
        if at >= now:
            return
        old = ticket.tier
        ticket.escalate(at, sla)
        history.append(HistoryEntry(0, at, f"escalated {old} → {ticket.tier}", agent.id))
        tier_index += 1
        people = agents.get(ticket.tier) or lead
        at = after(at, target.response * 0.5, 0.6)
        if at >= now:
            return
        agent = rng.choice(people)
        assert agent.id is not None
        ticket.claim(agent.id, at, sla)
    slow = 1.0 + 0.35 * tier_index
    resolve_at = after(at, target.resolution * slow, 0.75)
    note_breach("resolution", ticket.clocks.resolution_due_at, resolve_at)
    if resolve_at >= now:
        return
    ticket.resolve("fixed", resolve_at, by=agent.id)
    history.append(HistoryEntry(0, resolve_at, "resolved", agent.id))
    answer = rng.random()
    answered_at = resolve_at + timedelta(hours=rng.uniform(0.2, 30))
    if answer < 0.1 and answered_at < now:  # not solved: back to the same agent, then done
        ticket.reopen(answered_at, sla)
        history.append(HistoryEntry(0, answered_at, "reopened", None, "", "still happens"))
        again = after(answered_at, target.resolution * 0.4, 0.5)
        if again >= now:
            return
        ticket.resolve("fixed for good", again, by=agent.id)
        answered_at = again + timedelta(hours=rng.uniform(0.5, 20))
        answer = 0.5
    if answer < 0.75 and answered_at < now:
        ticket.close(answered_at, sla)
        if rng.random() < 0.7:
            ticket.rating = rng.choices([1, 2, 3, 4, 5], weights=[3, 4, 10, 30, 53])[0]
    elif resolve_at + settings.satisfaction.close_after < now:
        ticket.close_unanswered(resolve_at + settings.satisfaction.close_after, sla)
    if ticket.status is Status.CLOSED and ticket.rating is None and rng.random() < 0.1:
        ticket.rating = rng.choice([3, 4, 5])
