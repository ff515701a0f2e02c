"""Incidents on SQLite and PostgreSQL: the repository, the detector's one read, and the
replica-safe case: two tickets of a burst opened at the same moment on two processes (two
engines) make one incident, not two."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import event

from bot.clock import FrozenClock
from bot.desk import Desk
from bot.domain import Draft, Identity, Person, Ticket
from bot.domain.incidents import Incident, IncidentStatus, TimelineEntry
from bot.events import ChatRef
from bot.knowledge import KnowledgeIndex
from bot.services import commands as c
from bot.services.notices import Actor, Work
from bot.services.outbox import Postman
from storage.db import make_engine
from storage.repositories.incidents import SqlIncidentRepository
from storage.uow import SqlUnitOfWorkFactory
from tests.factories import T0, make_settings


async def test_incidents_links_timeline_and_pairs(
    uow_factory: SqlUnitOfWorkFactory, make_ticket: Callable[..., Ticket], people: dict[str, int]
) -> None:
    async with uow_factory() as uow:
        a = await uow.tickets.add(make_ticket(category="network"))
        b = await uow.tickets.add(
            make_ticket(
                category="network", requester_id=people["bob"], created_at=T0 + timedelta(minutes=5)
            )
        )
        access = await uow.tickets.add(make_ticket(category="access"))
        old = await uow.tickets.add(
            make_ticket(category="network", created_at=T0 - timedelta(hours=2))
        )
        incident = await uow.incidents.add(
            Incident("VPN drops", "network", "L1", T0, text="VPN drops every hour")
        )
        assert incident.id is not None
        await uow.incidents.link(incident.id, [a.number, b.number], T0)
        await uow.incidents.link(incident.id, [a.number], T0)  # twice: still once
        assert await uow.incidents.add_timeline(
            [
                TimelineEntry(incident.id, T0, "proposed", "2 reports"),
                TimelineEntry(incident.id, T0, "resolution breach", key="resolution:1:breach"),
            ]
        ) == {"resolution:1:breach"}
        await uow.commit()
    async with uow_factory() as uow:
        recent = await uow.incidents.recent("network", T0 - timedelta(minutes=30))
        assert [(r.number, r.incident_id) for r in recent] == [(a.number, 1), (b.number, 1)]
        assert recent[0].summary == recent[0].text == "VPN drops every hour"  # no category word
        assert old.number not in [r.number for r in recent]
        day = await uow.incidents.opened_since(T0 - timedelta(days=1))  # every category
        assert [r.number for r in day] == [old.number, a.number, access.number, b.number]
        assert await uow.incidents.linked(1) == [a.number, b.number]
        assert await uow.incidents.linked_to([1, 2]) == {1: [a.number, b.number]}
        assert [t.number for t in await uow.incidents.tickets(1)] == [a.number, b.number]
        again = await uow.incidents.add_timeline(
            [TimelineEntry(1, T0, "resolution breach", key="resolution:1:breach")]
        )
        assert again == set()  # a stage is recorded once
        assert await uow.incidents.stages_of([1]) == {1: {"resolution:1:breach": T0}}
        assert [e.action for e in await uow.incidents.timeline(1)] == [
            "proposed",
            "resolution breach",
        ]
        found = await uow.incidents.get(1)
        assert found is not None and found.status is IncidentStatus.PROPOSED
        found.dismiss(T0 + timedelta(hours=1))
        await uow.incidents.save(found)
        await uow.incidents.add_unrelated([(b.number, a.number), (a.number, b.number)])
        assert await uow.incidents.unlink(1, b.number)
        assert not await uow.incidents.unlink(1, b.number)
        await uow.commit()
    async with uow_factory() as uow:
        recent = await uow.incidents.recent("network", T0 - timedelta(minutes=30))
        assert [r.incident_id for r in recent] == [None, None]  # a dismissed one is not live
        pairs = await uow.incidents.unrelated_among([a.number, b.number, 99])
        assert pairs == {(a.number, b.number)}
        assert [i.id for i in await uow.incidents.list(statuses=(IncidentStatus.DISMISSED,))] == [1]
        assert [i.id for i in await uow.incidents.between(T0, T0 + timedelta(days=1))] == [1]
        assert await uow.incidents.between(T0 + timedelta(days=1), T0 + timedelta(days=2)) == []


async def test_declared_incident_clocks_are_stored_and_found_due(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    settings = make_settings()
    async with uow_factory() as uow:
        incident = await uow.incidents.add(Incident("VPN down", None, "L1", T0))
        incident.declare("S1", T0, settings.sla)
        await uow.incidents.save(incident)
        await uow.commit()
    async with uow_factory() as uow:
        due = incident.clocks.next_ping_at
        assert due is not None
        assert await uow.incidents.due_for_ping(due - timedelta(seconds=1), 10) == []
        (found,) = await uow.incidents.due_for_ping(due, 10)
        assert found.clocks == incident.clocks and found.priority == "S1"


# -- the replica-safe case -----------------------------------------------------------------

VPN = ("VPN keeps disconnecting", "the vpn drops every few minutes")
AT_ONCE = ("cannot stay connected to VPN", "VPN disconnects all the time")


def _actor(name: str) -> Actor:
    return Actor(Person(name.title()), Identity("console", name), ChatRef("console", name, True))


async def _open(desk: Desk, factory: SqlUnitOfWorkFactory, name: str, text: str) -> None:
    draft = Draft(text, text, "one", "limited", "today", category="network")
    async with factory() as uow:
        work = Work(uow, desk.clock.now())
        await desk.run(work, _actor(name), c.OpenTicket(draft))
        await Postman(desk.settings, uow, work.now).deliver(work)
        await uow.commit()


@pytest.mark.parametrize("locked", [True, False], ids=["locked", "unlocked"])
async def test_two_replicas_opening_a_burst_at_once_make_one_incident(
    database_url: str, monkeypatch: pytest.MonkeyPatch, locked: bool
) -> None:
    """Both tickets are written before either detector looks (the worst interleaving, forced
    with a barrier): under the per-category lock the second waits for the first's commit,
    sees its incident and joins it. Without the lock the same interleaving makes two, which
    shows the test can tell."""
    if not database_url.startswith("postgresql"):
        pytest.skip("replicas share PostgreSQL; SQLite is one process")
    settings = make_settings(database_url)
    engines = [make_engine(database_url), make_engine(database_url)]
    try:
        clock = FrozenClock(T0)
        factories = [SqlUnitOfWorkFactory(e, clock) for e in engines]
        desks = [Desk(settings, f, clock, KnowledgeIndex()) for f in factories]
        for name, text in zip(("ann", "ben"), VPN, strict=True):
            await _open(desks[0], factories[0], name, text)
        clock.advance(timedelta(minutes=3))

        barrier = asyncio.Barrier(2)
        real = SqlIncidentRepository.lock_category

        async def both_written_first(self: SqlIncidentRepository, category: str | None) -> None:
            await barrier.wait()  # each ticket is inserted, neither committed
            if locked:
                await real(self, category)

        monkeypatch.setattr(SqlIncidentRepository, "lock_category", both_written_first)
        await asyncio.wait_for(
            asyncio.gather(
                _open(desks[0], factories[0], "cat", AT_ONCE[0]),
                _open(desks[1], factories[1], "dan", AT_ONCE[1]),
            ),
            timeout=30,
        )
        async with factories[0]() as uow:
            incidents = await uow.incidents.list()
            linked = await uow.incidents.linked_to([i.id for i in incidents if i.id])
        if locked:
            assert len(incidents) == 1
            assert sorted(linked[incidents[0].id]) == [1, 2, 3, 4]
        else:
            assert len(incidents) == 2
    finally:
        for engine in engines:
            await engine.dispose()


async def test_detection_costs_one_statement_per_opened_ticket_on_sqlite(database_url: str) -> None:
    """The detector's read is one statement (PostgreSQL adds its lock); nothing else while
    no storm is on."""
    if not database_url.startswith("sqlite"):
        pytest.skip("counted on SQLite; PostgreSQL adds one lock statement")
    counts = {}
    for enabled in (False, True):
        engine = make_engine(database_url)
        statements: list[str] = []

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def count(conn, cursor, statement, *args, seen=statements) -> None:  # type: ignore[no-untyped-def]
            seen.append(statement)

        try:
            settings = make_settings(database_url, incidents={"enabled": enabled})
            factory = SqlUnitOfWorkFactory(engine, FrozenClock(T0))
            desk = Desk(settings, factory, FrozenClock(T0), KnowledgeIndex())
            await _open(desk, factory, f"warm{enabled}", "printer jams")  # people stored
            statements.clear()
            await _open(desk, factory, f"warm{enabled}", "my screen flickers")
            counts[enabled] = len(statements)
        finally:
            await engine.dispose()
    assert counts[True] == counts[False] + 1
