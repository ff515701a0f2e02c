"""The lead's report on a week of known tickets, checked against figures worked out by hand
below (business hours on the office calendar: Mon–Fri 08:00–20:00 Berlin = 07:00–19:00 UTC
in November), on SQLite, PostgreSQL and the in-memory unit of work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FrozenClock
from bot.domain import ChatAddress, HistoryEntry, Identity, Person, Ticket
from bot.domain.figures import Figures
from bot.domain.knowledge import SelfServiceResolution
from bot.ports import UnitOfWorkFactory
from bot.services.reports import ReportService
from tests.factories import make_settings
from tests.fakes.uow import FakeUnitOfWorkFactory

SETTINGS = make_settings()
SLA = SETTINGS.sla
START = datetime(2026, 11, 23, tzinfo=UTC)  # Monday
END = START + timedelta(days=7)
NOW = END + timedelta(days=1)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """Day 0 is Monday 23 November 2026, UTC."""
    return START + timedelta(days=day, hours=hour, minutes=minute)


def ticket(requester: int, priority: str, created: datetime, category: str | None = None) -> Ticket:
    t = Ticket(
        requester_id=requester,
        requester_chat=ChatAddress("console", "sam"),
        summary="printer",
        impact="me",
        can_work="no",
        urgency="today",
        priority=priority,
        tier="L1",
        chain=("L1", "L2", "L3"),
        category=category,
        created_at=created,
    )
    t.open(SLA)
    return t


async def seed(factory: UnitOfWorkFactory) -> None:
    async with factory() as uow:
        sam = await uow.people.add(Person("Sam"), _identity("sam"))
        alice = await uow.people.add(Person("Alice"), _identity("alice"))
        bob = await uow.people.add(Person("Bob"), _identity("bob"))
        assert sam.id and alice.id and bob.id
        history: list[HistoryEntry] = []

        # 1. S3 office: answered in 30m (met), resolved after 8 business hours (missed), 4★
        t1 = ticket(sam.id, "S3", at(0, 10))
        t1.claim(alice.id, at(0, 10, 30), SLA)
        t1.resolve("fixed", at(0, 18))
        t1.close(at(1, 8), SLA)
        t1.rating = 4
        # 2. S3 opened after hours: answered at exactly its due time (1 business hour),
        # escalated, resolved, reopened for 30 minutes, resolved again: 2.5 business hours
        t2 = ticket(sam.id, "S3", at(0, 18, 30))
        t2.claim(alice.id, at(1, 7, 30), SLA)
        assert t2.clocks.response_due_at == at(1, 7, 30)
        t2.escalate(at(1, 8), SLA)
        t2.claim(bob.id, at(1, 8, 10), SLA)
        t2.resolve("fixed", at(1, 8, 30))
        t2.reopen(at(1, 9), SLA)
        t2.resolve("fixed again", at(1, 9, 30))
        t2.rating = 2
        history.append(HistoryEntry(0, at(1, 8), "escalated L1 → L2"))
        # 3. S1 on 24x7, nobody answers: response and resolution breached, still open
        t3 = ticket(sam.id, "S1", at(2, 12))
        # 4. S4 billing (the customers policy, 4h update clock): unanswered, two messages
        # from the customer, one update breach; still open
        t4 = ticket(sam.id, "S4", at(3, 9), "billing")
        assert t4.clocks.policy == "customers"
        # 5. opened the Friday before, resolved Monday 08:00 UTC: 9 + 1 business hours
        t5 = ticket(sam.id, "S3", datetime(2026, 11, 20, 10, tzinfo=UTC))
        t5.claim(alice.id, datetime(2026, 11, 20, 10, 10, tzinfo=UTC), SLA)
        t5.resolve("fixed", at(0, 8))
        # 6. withdrawn within the hour
        t6 = ticket(sam.id, "S4", at(3, 10))
        t6.cancel(at(3, 11), SLA)
        # 7. closed long before the period: not in it at all
        t7 = ticket(sam.id, "S3", datetime(2026, 11, 2, 10, tzinfo=UTC))
        t7.resolve("old", datetime(2026, 11, 2, 11, tzinfo=UTC))
        t7.close(datetime(2026, 11, 2, 12, tzinfo=UTC), SLA)
        t7.rating = 1

        numbers = {}
        for name, t in (("t1", t1), ("t2", t2), ("t3", t3), ("t4", t4), ("t5", t5)):
            numbers[name] = (await uow.tickets.add(t)).number
        await uow.tickets.add(t6)
        await uow.tickets.add(t7)
        n2, n3, n4, n5 = numbers["t2"], numbers["t3"], numbers["t4"], numbers["t5"]
        history[0] = HistoryEntry(n2, history[0].at, history[0].action)
        history += [
            HistoryEntry(n4, at(3, 9, 10), "requester replied"),
            HistoryEntry(n4, at(3, 9, 20), "requester replied"),
            HistoryEntry(n3, at(2, 12, 5), "requester replied"),  # default policy: no update clock
        ]
        await uow.tickets.add_history_many(history)
        await uow.pings.record_many([(n3, "response:1:warn")], at(2, 12, 11))
        await uow.pings.record_many([(n3, "response:1:breach")], at(2, 12, 15))
        await uow.pings.record_many([(n3, "resolution:2:breach")], at(2, 13))
        await uow.pings.record_many([(n3, "resolution:2:ack")], at(2, 13, 5))
        await uow.pings.record_many([(n4, "update:3:breach")], at(3, 13, 20))
        await uow.pings.record_many([(n5, "resolution:4:breach")], START - timedelta(days=2))
        for when in (at(1, 9), at(4, 15), START - timedelta(hours=2)):
            await uow.knowledge.add_self_service(SelfServiceResolution(sam.id, "vpn", "vpn", when))
        await uow.commit()


def _identity(name: str) -> Identity:
    return Identity("console", name)


def check_total(total: Figures) -> None:
    assert (total.opened, total.resolved, total.backlog) == (5, 3, 2)  # 1,2,3,4,6 / 1,2,5 / 3,4
    assert total.response_met == pytest.approx(50.0)  # 1 and 2 on time; 3 and 4 never
    assert total.resolution_met == pytest.approx(25.0)  # 2 on time; 1, 5 late; 3 overdue
    assert total.update_met == pytest.approx(50.0)  # two customer messages, one breach
    assert total.response_median == pytest.approx(0.75)  # 0.5h and 1h
    assert total.response_p90 == pytest.approx(0.95)
    assert total.resolution_median == pytest.approx(8.0)  # 2.5h, 8h, 10h
    assert total.resolution_p90 == pytest.approx(9.6)
    assert (total.breaches, total.pings) == (3, 4)  # the ack and the older breach don't count
    assert total.escalated == {"L1": pytest.approx(20.0), "L2": 0.0, "L3": None}
    assert total.deflection == pytest.approx(100 * 2 / 7)
    assert total.reopen_rate == pytest.approx(100 / 3)
    assert total.rated == pytest.approx(200 / 3)
    assert total.rating_mean == pytest.approx(3.0)
    assert total.ratings == (0, 1, 0, 1, 0)


async def run_checks(factory: UnitOfWorkFactory) -> None:
    await seed(factory)
    service = ReportService(SETTINGS)
    async with factory() as uow:
        report = await service.report(uow, START, END, NOW, by="priority")
        headline = await service.headline(uow, END, timedelta(days=7))
        # weeks run Monday to Monday in the desk's zone (Berlin, UTC+1)
        local_weeks = (START - timedelta(days=7, hours=1), END - timedelta(hours=1))
        by_week = await service.report(uow, *local_weeks, NOW, by="week")
    check_total(report.total)
    check_total(headline)
    groups = {g.label: g for g in report.groups}
    assert list(groups) == ["S1", "S3", "S4"]
    s3 = groups["S3"]
    assert (s3.opened, s3.resolved, s3.backlog, s3.deflection) == (2, 3, 0, None)
    assert s3.resolution_met == pytest.approx(100 / 3)
    assert groups["S4"].response_met == 0.0 and groups["S1"].breaches == 2
    assert sorted((p, round(h, 2), t) for p, h, t in report.resolution_times) == [
        ("S3", 2.5, 3.0),
        ("S3", 8.0, 3.0),
        ("S3", 10.0, 3.0),
    ]
    assert [w.label for w in by_week.groups] == ["2026-W47", "2026-W48"]
    earlier, this = by_week.groups
    assert (earlier.opened, earlier.backlog) == (1, 1)  # ticket 5, open over the weekend
    check_total(this)
    assert by_week.weeks[1].backlog_by_tier == {"L1": 2, "L2": 0, "L3": 0}


async def test_report_figures_on_the_database(uow_factory: UnitOfWorkFactory) -> None:
    await run_checks(uow_factory)


async def test_report_figures_in_memory() -> None:
    await run_checks(FakeUnitOfWorkFactory(FrozenClock(NOW)))
