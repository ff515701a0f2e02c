"""The SLA loop's use cases: the tick that sends owed pings, acknowledgements, on-call
look-ups and overrides, and the daily digest.

The tick asks storage for tickets whose ``next_ping_at`` has come (an indexed column, so
its cost grows with due tickets, not open ones), plans each one with :func:`bot.pings.plan`,
records every stage key before queueing its messages (exactly once), and moves
``next_ping_at`` on. Replicas on PostgreSQL skip each other's locked rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.domain import ACTIVE_STATUSES, Identity, Ticket, oncall, pings
from bot.domain.oncall import OnCallOverride
from bot.domain.pings import Kind, Ping
from bot.domain.sla import Step
from bot.errors import InvalidInput, PermissionDenied
from bot.messages import Action, Button, Field, Message
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.services.outbox import Outbound
from bot.services.tickets import Actor, TicketService
from bot.settings import Settings, Tier
from bot.views import priority_label

TICK_BATCH = 500
DutyOf = Callable[[str], "oncall.OnCall | None"]  # tier → who is on call (per batch)


class SlaService:
    def __init__(
        self,
        settings: Settings,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        tickets: TicketService,
    ) -> None:
        self.settings = settings
        self.uow_factory = uow_factory
        self.clock = clock
        self.tickets = tickets

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
        overrides = await uow.oncall.overlapping(now, now + timedelta(seconds=1))
        duties: dict[str, oncall.OnCall | None] = {}

        def duty_of(tier: str) -> oncall.OnCall | None:
            """Who is on call for ``tier`` now, worked out once per batch."""
            if tier not in duties:
                duties[tier] = self.on_call(tier, overrides, now)
            return duties[tier]

        out = Outbound(self.settings, uow, now)
        sent = 0
        for number, ticket in by_number.items():
            planned = plans[number]
            for ping in planned.pings:
                if (number, ping.key) in recorded:
                    await self._send(uow, out, ticket, ping, duty_of, now)
                    sent += 1
            ticket.clocks.next_ping_at = planned.next_at
            if any(p.kind is Kind.BREACH and p.clock == "resolution" for p in planned.pings):
                await self._auto_escalate(uow, ticket)
        await uow.tickets.save_many(list(by_number.values()))
        return sent

    async def _auto_escalate(self, uow: UnitOfWork, ticket: Ticket) -> None:
        """At a resolution breach, a policy may pass the ticket up the chain by itself."""
        policy = self.settings.sla.policy(ticket.clocks.policy)
        if policy.auto_escalate and ticket.next_tier is not None:
            await self.tickets.move_up(uow, ticket, None, "resolution SLA breached")

    async def _send(
        self,
        uow: UnitOfWork,
        out: Outbound,
        ticket: Ticket,
        ping: Ping,
        duty_of: DutyOf,
        now: datetime,
    ) -> None:
        message = self._ping_message(ticket, ping, now)
        if ping.kind is Kind.WARNING:
            if ticket.assignee_id is not None:
                await out.to_person(ticket.assignee_id, message, ticket.number)
            else:
                await out.to_tier(ticket.tier, message)
            return
        duty = duty_of(ticket.tier)
        if ping.quiet:  # the calendar is closed: only the person on call is woken
            if duty is not None:
                await out.to_identity(duty.person, message, ticket.number)
            return
        if ping.kind is Kind.ESCALATION:
            await self._escalation_step(out, ticket, ping, message, duty, duty_of, now)
            return
        if ticket.assignee_id is not None:
            await out.to_person(ticket.assignee_id, message, ticket.number)
        if ping.kind is Kind.BREACH:
            await out.to_thread(ticket, message)
            await self.tickets.record(uow, ticket, None, f"{ping.clock} SLA breached")
        if duty is not None and not await self._is_assignee(out, ticket, duty.person):
            await out.to_identity(duty.person, message, ticket.number)

    async def _escalation_step(
        self,
        out: Outbound,
        ticket: Ticket,
        ping: Ping,
        message: Message,
        duty: oncall.OnCall | None,
        duty_of: DutyOf,
        now: datetime,
    ) -> None:
        rules = ticket.clocks.escalation_rules(self.settings.sla)
        step = rules.chain[ping.step - 1]
        if step is Step.NEXT_IN_ROTATION:
            tier = self.settings.tier(ticket.tier)
            after = duty.person if duty else None
            person = (
                oncall.next_in_rotation(tier.name, tier.rotations, now, after)
                if after is not None
                else None
            )
            if person is not None:
                await out.to_identity(person, message, ticket.number)
                return
        next_tier = ticket.next_tier
        if next_tier is None:  # the chain is exhausted: tell the tier
            await out.to_tier(ticket.tier, message)
            return
        await out.to_tier(next_tier, message)
        next_duty = duty_of(next_tier)
        if next_duty is not None:
            await out.to_identity(next_duty.person, message, ticket.number)

    async def _is_assignee(self, out: Outbound, ticket: Ticket, person: Identity) -> bool:
        if ticket.assignee_id is None:
            return False
        found = await out.person_of(person)
        return found is not None and found.id == ticket.assignee_id

    def _ping_message(self, ticket: Ticket, ping: Ping, now: datetime) -> Message:
        label = priority_label(self.settings, ticket.priority)
        clock = ping.clock
        if ping.kind is Kind.WARNING:
            title = f"⚠ {ticket.ref} ({label}): {clock} due soon"
        elif ping.kind is Kind.BREACH:
            title = f"🔥 {ticket.ref} ({label}): {clock} SLA breached"
        elif ping.kind is Kind.REPEAT:
            title = f"🔥 {ticket.ref} ({label}): {clock} SLA still breached (reminder {ping.step})"
        else:
            title = f"🔥 {ticket.ref} ({label}): {clock} breach not acknowledged — escalated"
        buttons: tuple[tuple[Button, ...], ...] = (
            (
                Button("Acknowledge", Action.ACK, ticket.number),
                Button("Show", Action.SHOW, ticket.number),
            ),
        )
        if ping.kind is Kind.WARNING:
            buttons = ((Button("Show", Action.SHOW, ticket.number),),)
        return Message(
            title=title,
            text=ticket.summary,
            fields=(
                Field("Due", ping.due),
                Field("Tier", ticket.tier),
                Field("Status", ticket.status.label),
            ),
            buttons=buttons,
        )

    # -- acknowledgement -----------------------------------------------------------------

    async def acknowledge(self, uow: UnitOfWork, actor: Actor, number: int) -> Ticket:
        ticket = await self.tickets.ticket_for_staff(uow, actor, number)
        now = self.clock.now()
        breached = pings.breached_clocks(ticket, now)
        if not breached:
            raise InvalidInput(f"{ticket.ref} has no breached clock to acknowledge.")
        recorded = await uow.pings.record_many(
            [(number, f"{key}:ack") for key in breached], now, actor.id
        )
        if not recorded:
            raise InvalidInput(f"{ticket.ref} is already acknowledged.")
        await self.tickets.record(uow, ticket, actor, "acknowledged the breach")
        out = Outbound(self.settings, uow, now)
        await out.to_thread(
            ticket,
            Message(
                text=f"{actor.person.display_name} acknowledged the breach of {ticket.ref}; "
                "reminders stop."
            ),
        )
        return ticket

    # -- on call -------------------------------------------------------------------------

    def on_call(
        self, tier_name: str, overrides: list[OnCallOverride], at: datetime
    ) -> oncall.OnCall | None:
        tier = self.settings.tier(tier_name)
        return oncall.on_call(tier.name, tier.rotations, overrides, at)

    async def who_is_on_call(self, uow: UnitOfWork, tier: str | None, at: datetime) -> Message:
        tiers = self._tiers(tier)
        overrides = await uow.oncall.overlapping(at, at + timedelta(seconds=1))
        fields = []
        for t in tiers:
            duty = self.on_call(t.name, overrides, at)
            if duty is None:
                fields.append(Field(t.name, "nobody on call"))
            else:
                via = "" if duty.layer == "override" else f" ({duty.layer})"
                who = await self._name(uow, duty.person)
                fields.append(Field(f"{t.name}: {who}{via}, until", duty.until))
        return Message(title="On call now", fields=tuple(fields))

    async def _name(self, uow: UnitOfWork, identity: Identity) -> str:
        """How people know the person on duty: their display name, else the bare chat id."""
        person = await uow.people.by_identity(identity)
        return person.display_name if person is not None else identity.external_id

    async def take_on_call(
        self, uow: UnitOfWork, actor: Actor, tier: str, duration: timedelta
    ) -> OnCallOverride:
        (target,) = self._tiers(tier)
        if not target.staffed_by(actor.identity):
            raise PermissionDenied(f"Only {target.name} agents can take its on-call duty.")
        if duration > timedelta(days=14):
            raise InvalidInput("Take on-call for at most 14 days at a time.")
        now = self.clock.now()
        override = await uow.oncall.add(
            OnCallOverride(target.name, actor.identity, now, now + duration, now)
        )
        out = Outbound(self.settings, uow, now)
        await out.to_tier(
            target.name,
            Message(
                text=f"{actor.person.display_name} is on call for {target.name}.",
                fields=(Field("Until", override.ends_at),),
            ),
        )
        return override

    def _tiers(self, name: str | None) -> tuple[Tier, ...]:
        if name is None:
            return self.settings.tiers
        for tier in self.settings.tiers:
            if tier.name.lower() == name.lower():
                return (tier,)
        known = ", ".join(t.name for t in self.settings.tiers)
        raise InvalidInput(f'There is no tier "{name}" (tiers: {known}).')

    # -- the daily digest ----------------------------------------------------------------

    async def digest(self) -> bool:
        """Post the day's digest to every tier channel, once per day across replicas."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            if not await uow.inbound.first_time("digest", now.date().isoformat(), now):
                return False
            open_tickets = await uow.tickets.list(statuses=tuple(ACTIVE_STATUSES))
            breaches = await uow.pings.count_since("breach", now - timedelta(days=1))
            overrides = await uow.oncall.overlapping(now, now + timedelta(seconds=1))
            out = Outbound(self.settings, uow, now)
            for tier in self.settings.tiers:
                mine = [t for t in open_tickets if t.tier == tier.name]
                by_priority = Counter(t.priority for t in mine)
                counts = ", ".join(
                    f"{lv.name}: {by_priority[lv.name]}" for lv in self.settings.priority.levels
                )
                breached = sum(breaches.get(t.number, 0) for t in mine if t.number is not None)
                duty = self.on_call(tier.name, overrides, now)
                await out.to_tier(
                    tier.name,
                    Message(
                        title=f"Daily digest for {tier.name}",
                        fields=(
                            Field("Open tickets", f"{len(mine)} ({counts})"),
                            Field("Breaches in the last day", str(breached)),
                            Field(
                                "On call now",
                                await self._name(uow, duty.person) if duty else "nobody",
                            ),
                        ),
                    ),
                )
            await uow.commit()
        return True
