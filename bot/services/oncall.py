"""On call: who has a tier's duty at an instant, overrides taken from chat, and the gaps.

The chat commands, the SLA tick and the ``tierdesk oncall`` look-ups all answer from here,
with the rotations of the configuration and the overrides stored in the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import views
from bot.domain import Identity, oncall
from bot.domain.oncall import OnCall, OnCallOverride
from bot.domain.sla import Step
from bot.errors import InvalidInput, PermissionDenied
from bot.ports import UnitOfWork
from bot.services.commands import TakeOnCall, WhoIsOnCall
from bot.services.notices import Actor, ToActor, ToTier, Work
from bot.settings import Settings, Tier

MAX_OVERRIDE = timedelta(days=14)
DutyOf = Callable[[str], OnCall | None]  # tier → who is on call, worked out once per tier
_INSTANT = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Escalated:
    """Who hears an escalation step: a person (their direct chat) and a tier's channel."""

    person: Identity | None = None
    channel: str | None = None


class OnCallService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def tiers(self, name: str | None) -> tuple[Tier, ...]:
        """Every tier, or the one named (in any case); an unknown name is refused."""
        if name is None:
            return self.settings.tiers
        for tier in self.settings.tiers:
            if tier.name.lower() == name.lower():
                return (tier,)
        known = ", ".join(t.name for t in self.settings.tiers)
        raise InvalidInput(f'There is no tier "{name}" (tiers: {known}).')

    def on_call(
        self, tier_name: str, overrides: list[OnCallOverride], at: datetime
    ) -> OnCall | None:
        tier = self.settings.tier(tier_name)
        return oncall.on_call(tier.name, tier.rotations, overrides, at)

    async def duties(self, uow: UnitOfWork, at: datetime) -> DutyOf:
        """Who is on call per tier at ``at``, read once and worked out once per tier."""
        overrides = await uow.oncall.overlapping(at, at + _INSTANT)
        found: dict[str, OnCall | None] = {}

        def duty_of(tier: str) -> OnCall | None:
            if tier not in found:
                found[tier] = self.on_call(tier, overrides, at)
            return found[tier]

        return duty_of

    def next_in_rotation(self, tier_name: str, at: datetime, after: Identity) -> Identity | None:
        tier = self.settings.tier(tier_name)
        return oncall.next_in_rotation(tier.name, tier.rotations, at, after)

    def escalated(
        self,
        step: Step,
        tier: str,
        next_tier: str | None,
        duty_of: DutyOf,
        at: datetime,
    ) -> Escalated:
        """Where an unacknowledged breach goes at ``step`` (of a ticket or an incident): the
        next person of the tier's rotation; else the next tier's channel and its on-call
        person; at the end of the chain, the tier's own channel."""
        duty = duty_of(tier)
        if step is Step.NEXT_IN_ROTATION and duty is not None:
            person = self.next_in_rotation(tier, at, duty.person)
            if person is not None:
                return Escalated(person=person)
        if next_tier is None:
            return Escalated(channel=tier)
        next_duty = duty_of(next_tier)
        return Escalated(next_duty.person if next_duty else None, next_tier)

    async def name_of(self, uow: UnitOfWork, identity: Identity) -> str:
        """How people know the person on duty: their display name, else the bare chat id."""
        person = await uow.people.by_identity(identity)
        return person.display_name if person is not None else identity.external_id

    async def report(
        self, uow: UnitOfWork, tiers: tuple[Tier, ...], at: datetime
    ) -> list[tuple[Tier, OnCall | None]]:
        """Each tier and who is on call for it at ``at`` (nobody: None)."""
        duty_of = await self.duties(uow, at)
        return [(tier, duty_of(tier.name)) for tier in tiers]

    async def gaps(
        self, uow: UnitOfWork, tiers: tuple[Tier, ...], start: datetime, end: datetime
    ) -> dict[str, list[tuple[datetime, datetime]]]:
        """Per tier, the stretches of [start, end) with nobody on call."""
        stored = await uow.oncall.overlapping(start, end)
        return {t.name: oncall.gaps(t.name, t.rotations, stored, start, end) for t in tiers}

    # -- chat commands ---------------------------------------------------------------------

    async def who_is_on_call(self, work: Work, actor: Actor, cmd: WhoIsOnCall) -> None:
        rows = []
        for tier, duty in await self.report(work.uow, self.tiers(cmd.tier), work.now):
            name = await self.name_of(work.uow, duty.person) if duty else ""
            rows.append((tier.name, duty, name))
        work.tell(ToActor(actor), views.on_call_now(rows))

    async def take_on_call(self, work: Work, actor: Actor, cmd: TakeOnCall) -> OnCallOverride:
        (target,) = self.tiers(cmd.tier)
        if not target.staffed_by(actor.identity):
            raise PermissionDenied(f"Only {target.name} agents can take its on-call duty.")
        if cmd.duration > MAX_OVERRIDE:
            raise InvalidInput("Take on-call for at most 14 days at a time.")
        now = work.now
        override = await work.uow.oncall.add(
            OnCallOverride(target.name, actor.identity, now, now + cmd.duration, now)
        )
        name = actor.person.display_name
        work.tell(ToTier(target.name), views.took_on_call(name, override))
        work.tell(ToActor(actor, direct_only=True), views.you_are_on_call(override))
        return override
