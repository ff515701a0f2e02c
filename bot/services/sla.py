"""The SLA loop: the tick that sends owed pings, acknowledgements and the daily digest.

The tick asks storage for tickets whose ``next_ping_at`` has come (an indexed column, so
its cost grows with due tickets, not open ones), plans each one with
:func:`bot.domain.pings.plan`, records every stage key before queueing its messages
(exactly once), and moves ``next_ping_at`` on. Replicas on PostgreSQL skip each other's
locked rows. A batch is written together at its end: its tickets, history lines and
messages in one statement each.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot import views
from bot.clock import Clock
from bot.domain import ACTIVE_STATUSES, Identity, Ticket, pings
from bot.domain.incidents import IncidentStatus
from bot.domain.pings import Kind, Ping
from bot.errors import InvalidInput
from bot.messages import Message
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.services.commands import Acknowledge
from bot.services.notices import Actor, ToAccount, ToActor, ToPerson, ToThread, ToTier, Work
from bot.services.oncall import DutyOf, OnCallService
from bot.services.outbox import Postman
from bot.services.reports import ReportService
from bot.services.tickets import TicketService
from bot.settings import Settings

TICK_BATCH = 500


class SlaService:
    def __init__(
        self,
        settings: Settings,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        tickets: TicketService,
        oncall: OnCallService,
        reports: ReportService,
    ) -> None:
        self.settings = settings
        self.reports = reports
        self.uow_factory = uow_factory
        self.clock = clock
        self.tickets = tickets
        self.oncall = oncall

    # -- the tick ------------------------------------------------------------------------

    async def tick(self) -> int:
        """Send every ping owed now; returns how many stages were sent."""
        sent = 0
        while True:
            now = self.clock.now()
            async with self.uow_factory() as uow:
                tickets = await uow.tickets.due_for_ping(now, TICK_BATCH)
                sent += await self._tick_batch(uow, tickets, now)
                await uow.commit()
            if len(tickets) < TICK_BATCH:
                return sent

    async def _tick_batch(self, uow: UnitOfWork, tickets: list[Ticket], now: datetime) -> int:
        """Plan a batch, record all its stage keys in one statement, send what was new.

        Recording before queueing, in the same transaction, is what makes each stage go out
        once: a key another tick (or replica) recorded first does not come back."""
        by_number = {t.number: t for t in tickets if t.number is not None}
        done = await uow.pings.stages_of(list(by_number))
        plans = {n: pings.plan(t, self.settings.sla, now, done[n]) for n, t in by_number.items()}
        recorded = await uow.pings.record_many(
            [(n, p.key) for n, planned in plans.items() for p in planned.pings], now
        )
        duty_of = await self.oncall.duties(uow, now)
        work = Work(uow, now)
        postman = Postman(self.settings, uow, now)
        sent = 0
        for number, ticket in by_number.items():
            planned = plans[number]
            for ping in planned.pings:
                if (number, ping.key) in recorded:
                    await self._send(work, postman, ticket, ping, duty_of)
                    sent += 1
            ticket.clocks.next_ping_at = planned.next_at
            if any(p.kind is Kind.BREACH and p.clock == "resolution" for p in planned.pings):
                await self._auto_escalate(work, ticket)
        await uow.tickets.save_many(list(by_number.values()))
        await postman.deliver(work)
        return sent

    async def _auto_escalate(self, work: Work, ticket: Ticket) -> None:
        """At a resolution breach, a policy may pass the ticket up the chain by itself."""
        policy = self.settings.sla.policy(ticket.clocks.policy)
        if policy.auto_escalate and ticket.next_tier is not None:
            await self.tickets.move_up(work, ticket, None, "resolution SLA breached")

    async def _send(
        self, work: Work, postman: Postman, ticket: Ticket, ping: Ping, duty_of: DutyOf
    ) -> None:
        message = views.ping_message(self.settings, ticket, ping)
        if ping.kind is Kind.WARNING:
            if ticket.assignee_id is not None:
                work.tell(ToPerson(ticket.assignee_id, ticket.number), message)
            else:
                work.tell(ToTier(ticket.tier), message)
            return
        duty = duty_of(ticket.tier)
        if ping.quiet:  # the calendar is closed: only the person on call is woken
            if duty is not None:
                work.tell(ToAccount(duty.person, ticket.number), message)
            return
        if ping.kind is Kind.ESCALATION:
            self._escalation_step(work, ticket, ping, message, duty_of)
            return
        if ticket.assignee_id is not None:
            work.tell(ToPerson(ticket.assignee_id, ticket.number), message)
        if ping.kind is Kind.BREACH:
            work.tell(ToThread(ticket), message)
            work.record(ticket, None, f"{ping.clock} SLA breached")
        if duty is not None and not await self._is_assignee(postman, ticket, duty.person):
            work.tell(ToAccount(duty.person, ticket.number), message)

    def _escalation_step(
        self, work: Work, ticket: Ticket, ping: Ping, message: Message, duty_of: DutyOf
    ) -> None:
        step = ticket.clocks.escalation_rules(self.settings.sla).chain[ping.step - 1]
        to = self.oncall.escalated(step, ticket.tier, ticket.next_tier, duty_of, work.now)
        if to.channel is not None:
            work.tell(ToTier(to.channel), message)
        if to.person is not None:
            work.tell(ToAccount(to.person, ticket.number), message)

    async def _is_assignee(self, postman: Postman, ticket: Ticket, person: Identity) -> bool:
        if ticket.assignee_id is None:
            return False
        found = await postman.person_of(person)
        return found is not None and found.id == ticket.assignee_id

    # -- acknowledgement -----------------------------------------------------------------

    async def acknowledge(
        self, work: Work, actor: Actor, cmd: Acknowledge, ticket: Ticket
    ) -> Ticket:
        breached = pings.breached_clocks(ticket, work.now)
        if not breached:
            raise InvalidInput(f"{ticket.ref} has no breached clock to acknowledge.")
        recorded = await work.uow.pings.record_many(
            [(cmd.number, f"{key}:ack") for key in breached], work.now, actor.id
        )
        if not recorded:
            raise InvalidInput(f"{ticket.ref} is already acknowledged.")
        work.record(ticket, actor, "acknowledged the breach")
        work.tell(ToThread(ticket), views.acknowledged(ticket, actor.person.display_name))
        work.tell(ToActor(actor, direct_only=True), views.you_acknowledged(ticket))
        return ticket

    # -- the daily digest ----------------------------------------------------------------

    async def digest(self) -> bool:
        """Post the day's digest to every tier channel, once per day across replicas."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            if not await uow.inbound.first_time("digest", now.date().isoformat(), now):
                return False
            open_tickets = await uow.tickets.list(statuses=tuple(ACTIVE_STATUSES))
            breaches = await uow.pings.count_since("breach", now - timedelta(days=1))
            duty_of = await self.oncall.duties(uow, now)
            zone = ZoneInfo(self.settings.timezone)
            today = datetime.combine(now.astimezone(zone).date(), time(), zone)
            yesterday = await self.reports.figures(uow, today - timedelta(days=1), today, now)
            open_incidents = await uow.incidents.list(statuses=(IncidentStatus.OPEN,))
            incidents = views.digest_line(open_incidents, now)
            work = Work(uow, now)
            for tier in self.settings.tiers:
                mine = [t for t in open_tickets if t.tier == tier.name]
                by_priority = Counter(t.priority for t in mine)
                breached = sum(breaches.get(t.number, 0) for t in mine if t.number is not None)
                duty = duty_of(tier.name)
                on_call = await self.oncall.name_of(uow, duty.person) if duty else None
                digest = views.digest(
                    self.settings, tier.name, by_priority, breached, on_call, yesterday, incidents
                )
                work.tell(ToTier(tier.name), digest)
            await Postman(self.settings, uow, now).deliver(work)
            await uow.commit()
        return True
