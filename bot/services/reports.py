"""The support lead's figures: how the desk performed over a period.

Everything is read through :class:`~bot.ports.ReportRepository` and computed here, so the
CLI (``tierdesk report``), the chat (``/report``), the daily digest and a status page show
the same numbers. SLA times are business time on each ticket's own calendar (its policy's
target for its priority), the way its clocks ran; paused time (waiting on the requester)
does not count. Definitions, per period [start, end):

- opened / resolved: tickets created / resolved in the period; backlog: still open at its end;
- response compliance: tickets first answered in the period within their response due time,
  plus those whose response came due in it unanswered (breached); resolution likewise;
- update compliance: requester messages in the period (each starts the policy's update clock)
  not followed by an update breach;
- response / resolution time: median and 90th percentile, in business hours;
- breaches, pings: SLA ping stages recorded in the period (breaches, and every stage but
  acknowledgements);
- escalation rate per tier: of the tickets opened in the period that were at a tier, the
  share passed on from it (what L1 does not solve itself);
- deflection: problems solved by a knowledge-base article / (those + tickets opened);
- reopen rate: resolved tickets the requester reopened at least once;
- satisfaction: share of resolved tickets rated, mean rating, count of each score;
- incidents: proposed in the period (by the detector or an agent), declared, dismissed as
  not related; the proposal rate per 1 000 tickets opened; minutes from proposal to
  declaration and hours from declaration to resolution (medians, wall-clock: an outage
  does not keep office hours); tickets per declared incident.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain import ACTIVE_STATUSES, HistoryEntry, Ticket
from bot.domain.calendars import Calendar
from bot.domain.clocks import target_of
from bot.domain.figures import (
    Figures,
    IncidentFigures,
    Report,
    Week,
    mean,
    percentile,
    share,
)
from bot.domain.incidents import IncidentStatus
from bot.durations import format_duration
from bot.errors import PermissionDenied
from bot.ports import UnitOfWork
from bot.services.commands import ShowReport
from bot.services.notices import Actor, ToAccount, ToActor, Work
from bot.settings import Settings
from bot.views import reports as words

GROUPINGS = ("priority", "tier", "category", "agent", "week")
ESCALATED = "escalated "  # the history action of an escalation: "escalated L1 → L2"
REPLIED = "requester replied"
HOUR = 3600.0


@dataclass(slots=True)
class _Data:
    """What one period's figures are computed from, read once."""

    tickets: list[Ticket]
    escalations: dict[int, list[HistoryEntry]]
    replies: dict[int, list[datetime]]
    stages: list[tuple[int, str, datetime]]
    self_service: list[datetime]
    names: dict[int, str]
    # business hours per (clock, ticket): computed once, however many groups and weeks ask
    hours: dict[tuple[str, int], float | None] = field(default_factory=dict)

    def self_service_between(self, start: datetime, end: datetime) -> list[datetime]:
        return [at for at in self.self_service if start <= at < end]


class ReportService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sla = settings.sla

    async def headline(self, uow: UnitOfWork, now: datetime, since: timedelta) -> Figures:
        """The figures of the last ``since`` up to ``now`` (a status page's "today", the
        chat's ``/report 7d``)."""
        return await self.figures(uow, now - since, now, now)

    async def figures(
        self, uow: UnitOfWork, start: datetime, end: datetime, now: datetime
    ) -> Figures:
        """All tickets' figures of [start, end), no groups or weeks (the daily digest's)."""
        data = await self._read(uow, start, end)
        return self._figures(data, data.tickets, start, end, now, "all", deflection=True)

    async def show(self, work: Work, actor: Actor, cmd: ShowReport) -> Figures:
        """A lead's ``/report 7d``: the headline figures, with the pictures attached."""
        if actor.identity not in self.settings.leads:
            raise PermissionDenied(words.REPORT_REFUSED)
        figures = await self.headline(work.uow, work.now, cmd.span)
        incidents = await self.incidents(work.uow, work.now - cmd.span, work.now, figures.opened)
        seconds = int(cmd.span.total_seconds())
        # asked in a channel: answered in the lead's direct chat, where pictures can go
        to = ToActor(actor) if actor.chat.direct else ToAccount(actor.identity)
        span = format_duration(cmd.span)
        work.tell(to, words.report_headline(figures, span, seconds, incidents))
        return figures

    async def report(
        self, uow: UnitOfWork, start: datetime, end: datetime, now: datetime, by: str = ""
    ) -> Report:
        if by and by not in GROUPINGS:
            raise ValueError(f"--by is one of {', '.join(GROUPINGS)}")
        data = await self._read(uow, start, end)
        total = self._figures(data, data.tickets, start, end, now, "all", deflection=True)
        weeks = tuple(self._week(data, s, e, now) for s, e in self._weeks(start, end))
        if by == "week":
            groups = tuple(w.total for w in weeks)
        elif by:
            key = self._key(by, data.names)
            groups = tuple(
                self._figures(data, mine, start, end, now, label)
                for label, mine in _grouped(data.tickets, key).items()
            )
        else:
            groups = ()
        times = tuple(
            (t.priority, hours, target)
            for t in data.tickets
            if t.resolved_at is not None and start <= t.resolved_at < end
            for hours, target in [(self._hours(data, "resolution", t), self._target_hours(t))]
            if hours is not None and target is not None
        )
        incidents = await self.incidents(uow, start, end, total.opened)
        return Report(start, end, by, total, groups, weeks, times, incidents)

    async def incidents(
        self, uow: UnitOfWork, start: datetime, end: datetime, opened: int
    ) -> IncidentFigures:
        """The incident figures of [start, end); ``opened``: tickets opened in it."""
        found = await uow.incidents.between(start, end)
        linked = await uow.incidents.linked_to([i.id for i in found if i.id is not None])

        def within(at: datetime | None) -> bool:
            return at is not None and start <= at < end

        proposed = [i for i in found if within(i.proposed_at)]
        declared = [i for i in found if within(i.declared_at)]
        resolved = [
            i for i in found if i.status is IncidentStatus.RESOLVED and within(i.resolved_at)
        ]
        dismissed = [
            i for i in found if i.status is IncidentStatus.DISMISSED and within(i.resolved_at)
        ]
        to_declare = [_minutes(i.proposed_at, i.declared_at) for i in declared]
        to_resolve = [_minutes(i.declared_at, i.resolved_at) / 60 for i in resolved]
        per_incident = [len(linked.get(i.id or 0, [])) for i in declared]
        return IncidentFigures(
            proposed=len(proposed),
            declared=len(declared),
            dismissed=len(dismissed),
            resolved=len(resolved),
            proposals_per_1000=1000 * len(proposed) / opened if opened else None,
            declare_median_min=percentile(to_declare, 50),
            resolve_median_h=percentile(to_resolve, 50),
            tickets_per_incident=mean(per_incident),
        )

    # -- reading ---------------------------------------------------------------------------

    async def _read(self, uow: UnitOfWork, start: datetime, end: datetime) -> _Data:
        tickets = await uow.reports.tickets(start, end)
        numbers = [t.number for t in tickets if t.number is not None]
        escalations: dict[int, list[HistoryEntry]] = defaultdict(list)
        replies: dict[int, list[datetime]] = defaultdict(list)
        for entry in await uow.reports.history(numbers, (ESCALATED, REPLIED)):
            if entry.action.startswith(ESCALATED):
                escalations[entry.ticket_number].append(entry)
            else:
                replies[entry.ticket_number].append(entry.at)
        names = await uow.people.names(t.assignee_id for t in tickets)
        return _Data(
            tickets,
            escalations,
            replies,
            await uow.reports.stages(start, end),
            await uow.reports.self_service(start, end),
            names,
        )

    # -- computing -------------------------------------------------------------------------

    def _figures(
        self,
        data: _Data,
        tickets: Sequence[Ticket],
        start: datetime,
        end: datetime,
        now: datetime,
        label: str,
        *,
        deflection: bool = False,
    ) -> Figures:
        def within(at: datetime | None) -> bool:
            return at is not None and start <= at < end

        due_by = min(end, now)  # a clock not yet due has neither met nor missed its target
        opened = [t for t in tickets if within(t.created_at)]
        resolved = [t for t in tickets if within(t.resolved_at)]
        backlog = sum(1 for t in tickets if _open_at(t, end))

        responded = [t for t in tickets if within(t.first_response_at)]
        unanswered = [
            t
            for t in tickets
            if t.first_response_at is None
            and t.status in ACTIVE_STATUSES
            and t.clocks.response_due_at is not None
            and start <= t.clocks.response_due_at < due_by
        ]
        response_met = sum(
            1 for t in responded if _on_time(t.first_response_at, t.clocks.response_due_at)
        )
        unresolved = [
            t
            for t in tickets
            if t.status in ACTIVE_STATUSES
            and t.clocks.paused_at is None
            and t.clocks.resolution_due_at is not None
            and start <= t.clocks.resolution_due_at < due_by
        ]
        resolution_met = sum(
            1 for t in resolved if _on_time(t.resolved_at, t.clocks.resolution_due_at)
        )

        numbers = {t.number for t in tickets}
        stages = [(n, key) for n, key, at in data.stages if n in numbers and within(at)]
        update_breaches = sum(
            1 for _, key in stages if key.startswith("update:") and key.endswith(":breach")
        )
        update_starts = sum(
            1
            for t in tickets
            if self.sla.policy(t.clocks.policy).update is not None
            for at in data.replies.get(t.number or 0, ())
            if within(at)
        )
        response_hours = [
            h for t in responded if (h := self._hours(data, "response", t)) is not None
        ]
        resolution_hours = [
            h for t in resolved if (h := self._hours(data, "resolution", t)) is not None
        ]
        scores = [t.rating for t in resolved if t.rating is not None]
        solved_here = len(data.self_service_between(start, end)) if deflection else 0
        return Figures(
            label=label,
            opened=len(opened),
            resolved=len(resolved),
            backlog=backlog,
            response_met=share(response_met, len(responded) + len(unanswered)),
            resolution_met=share(resolution_met, len(resolved) + len(unresolved)),
            update_met=share(max(update_starts - update_breaches, 0), update_starts),
            response_median=percentile(response_hours, 50),
            response_p90=percentile(response_hours, 90),
            resolution_median=percentile(resolution_hours, 50),
            resolution_p90=percentile(resolution_hours, 90),
            breaches=sum(1 for _, key in stages if key.endswith(":breach")),
            pings=sum(1 for _, key in stages if not key.endswith(":ack")),
            escalated=self._escalation_rates(data, opened),
            deflection=share(solved_here, solved_here + len(opened)) if deflection else None,
            reopen_rate=share(sum(1 for t in resolved if t.reopens), len(resolved)),
            rated=share(len(scores), len(resolved)),
            rating_mean=mean(scores),
            ratings=tuple(scores.count(n) for n in range(1, 6)),  # type: ignore[arg-type]
        )

    def _escalation_rates(self, data: _Data, opened: Sequence[Ticket]) -> dict[str, float | None]:
        at_tier: dict[str, int] = defaultdict(int)
        passed_on: dict[str, int] = defaultdict(int)
        for ticket in opened:
            first = ticket.chain[0] if ticket.chain else ticket.tier
            seen = {first}
            for entry in data.escalations.get(ticket.number or 0, ()):
                old, _, new = entry.action.removeprefix(ESCALATED).partition(" → ")
                passed_on[old] += 1
                seen.add(new)
            for tier in seen:
                at_tier[tier] += 1
        return {t.name: share(passed_on[t.name], at_tier[t.name]) for t in self.settings.tiers}

    def _week(self, data: _Data, start: datetime, end: datetime, now: datetime) -> Week:
        local = start.astimezone(ZoneInfo(self.settings.timezone))
        year, week, _ = local.isocalendar()
        by_priority = {
            label: self._figures(data, mine, start, end, now, label)
            for label, mine in _grouped(data.tickets, lambda t: t.priority).items()
        }
        return Week(
            start,
            f"{year}-W{week:02d}",
            self._figures(
                data, data.tickets, start, end, now, f"{year}-W{week:02d}", deflection=True
            ),
            by_priority,
            {
                tier.name: sum(1 for t in data.tickets if t.tier == tier.name and _open_at(t, end))
                for tier in self.settings.tiers
            },
            (end - start).total_seconds() / 86400,
        )

    def _weeks(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Monday-to-Monday weeks in the desk's zone, the first and last clipped."""
        zone = ZoneInfo(self.settings.timezone)
        local = start.astimezone(zone)
        monday = (local - timedelta(days=local.weekday())).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        spans = []
        at = start
        while at < end:
            monday = monday + timedelta(days=7)
            following = min(monday.astimezone(start.tzinfo), end)
            spans.append((at, following))
            at = following
        return spans

    def _key(self, by: str, names: Mapping[int, str]) -> Callable[[Ticket], str]:
        if by == "priority":
            return lambda t: t.priority
        if by == "tier":
            return lambda t: t.tier
        if by == "category":
            return lambda t: t.category or "(none)"
        return lambda t: names.get(t.assignee_id or 0, "(unassigned)")

    def _hours(self, data: _Data, clock: str, ticket: Ticket) -> float | None:
        key = (clock, ticket.number or 0)
        if key not in data.hours:
            measure = self._response_hours if clock == "response" else self._resolution_hours
            data.hours[key] = measure(ticket)
        return data.hours[key]

    def _response_hours(self, ticket: Ticket) -> float | None:
        calendar = self._calendar(ticket)
        if calendar is None or ticket.first_response_at is None:
            return None
        return calendar.elapsed(ticket.created_at, ticket.first_response_at).total_seconds() / HOUR

    def _resolution_hours(self, ticket: Ticket) -> float | None:
        calendar = self._calendar(ticket)
        if calendar is None or ticket.resolved_at is None:
            return None
        begin = ticket.clocks.resolution_started_at or ticket.created_at
        worked = calendar.elapsed(begin, ticket.resolved_at).total_seconds()
        return max(worked - ticket.clocks.paused_seconds, 0) / HOUR

    def _target_hours(self, ticket: Ticket) -> float | None:
        try:
            return target_of(ticket, self.sla).resolution.total_seconds() / HOUR
        except KeyError:
            return None

    def _calendar(self, ticket: Ticket) -> Calendar | None:
        try:
            return self.sla.calendar(target_of(ticket, self.sla).calendar)
        except KeyError:  # a priority or calendar the configuration no longer has
            return None


def _grouped(tickets: Iterable[Ticket], key: Callable[[Ticket], str]) -> dict[str, list[Ticket]]:
    groups: dict[str, list[Ticket]] = defaultdict(list)
    for ticket in tickets:
        groups[key(ticket)].append(ticket)
    return dict(sorted(groups.items()))


def _open_at(ticket: Ticket, at: datetime) -> bool:
    """In a queue at instant ``at``: opened before it, neither resolved nor closed by then."""
    return (
        ticket.created_at < at
        and not (ticket.resolved_at is not None and ticket.resolved_at < at)
        and not (ticket.closed_at is not None and ticket.closed_at < at)
    )


def _on_time(at: datetime | None, due: datetime | None) -> bool:
    return at is not None and (due is None or at <= due)


def _minutes(start: datetime | None, end: datetime | None) -> float:
    assert start is not None and end is not None
    return (end - start).total_seconds() / 60
