"""SLA policies: per priority a response and a resolution target counted on a calendar.

Policies are chosen by category (the ``default`` policy otherwise). The escalation part
(repeat interval, acknowledgement timeout, chain of steps, quiet-hours behaviour) is
copied onto a ticket when its first ping fires, so later config edits do not change an
escalation that is already running.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from bot.domain.calendars import Calendar

DEFAULT_POLICY = "default"


class Quiet(StrEnum):
    """What a ping does while its calendar is closed."""

    PAGE = "page"  # send it at once, to the on-call person
    HOLD = "hold"  # keep it until the calendar opens


class Step(StrEnum):
    """An escalation step for a breach nobody acknowledged."""

    NEXT_IN_ROTATION = "next_in_rotation"  # the next person of the tier's rotation
    NEXT_TIER = "next_tier"  # the on-call person of the next tier in the ticket's chain


@dataclass(frozen=True, slots=True)
class Target:
    response: timedelta
    resolution: timedelta
    calendar: str
    quiet: Quiet


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    categories: tuple[str, ...]
    targets: Mapping[str, Target]  # priority → target
    pause_when_waiting: bool = True
    restart_on_escalation: bool = False
    auto_escalate: bool = False  # escalate the ticket itself at a resolution breach
    update: timedelta | None = None  # after a requester's message, an agent answers within
    chain: tuple[Step, ...] = (Step.NEXT_IN_ROTATION, Step.NEXT_TIER)


@dataclass(frozen=True, slots=True)
class SlaSettings:
    tick: timedelta
    warn_fraction: float
    repeat_every: timedelta
    ack_timeout: timedelta
    calendars: Mapping[str, Calendar]
    policies: tuple[Policy, ...]
    digest_at: str = "08:30"  # local time of the daily digest, in the desk's zone

    def policy(self, name: str) -> Policy:
        for policy in self.policies:
            if policy.name == name:
                return policy
        return self.policies[0]

    def policy_for(self, category: str | None) -> Policy:
        for policy in self.policies:
            if category is not None and category in policy.categories:
                return policy
        return self.policy(DEFAULT_POLICY)

    def calendar(self, name: str) -> Calendar:
        return self.calendars[name]
