"""The status board: queues by SLA pressure, who is on call now and next with their zone,
and today's figures, on the example configuration's rotations (in-memory unit of work)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain import Identity, Person
from bot.domain.oncall import OnCallOverride
from bot.services.status import Pressure, StatusService
from tests.desk.conftest import World
from tests.factories import T0, command, new_ticket, say

BERLIN_MIDNIGHT = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)  # T0 is 10:00 in Berlin


def service(world: World) -> StatusService:
    return StatusService(world.settings, world.uow_factory, world.clock, world.desk.oncall)


async def test_on_call_now_and_next_with_their_zones(world: World) -> None:
    # T0 is Monday 23 Nov 10:00 Berlin: the weekly office rotation hands to dave at 09:00,
    # and the office layer ends at 20:00, when after-hours (dave too) takes over.
    await world.run(say("carol", "hi"))  # carol becomes a person...
    await world.run(command("carol", "/timezone America/Chicago"))  # ...with her own zone
    board = await service(world).board()
    tiers = {t.name: t for t in board.tiers}
    l1 = tiers["L1"]
    assert l1.now is not None and l1.next is not None
    assert (l1.now.name, l1.now.zone) == ("dave", "Europe/Berlin")
    assert l1.now.until == datetime(2026, 11, 23, 19, 0, tzinfo=UTC)  # 20:00 Berlin
    assert (l1.next.name, l1.next.zone) == ("dave", "Europe/Berlin")
    l3 = tiers["L3"]
    assert l3.now is not None and (l3.now.name, l3.now.zone) == ("Carol", "America/Chicago")


async def test_an_override_is_on_call_now_and_the_rotation_next(world: World) -> None:
    async with world.uow_factory() as uow:
        await uow.oncall.add(
            OnCallOverride("L2", Identity("console", "dana"), T0, T0 + timedelta(hours=4), T0)
        )
        await uow.commit()
    (l2,) = [t for t in (await service(world).board()).tiers if t.name == "L2"]
    assert l2.now is not None and l2.next is not None
    assert (l2.now.name, l2.now.until) == ("dana", T0 + timedelta(hours=4))
    assert l2.now.zone == world.settings.timezone  # nobody knows dana's zone
    assert l2.next.name == "bob"


async def test_queue_most_pressing_first_and_today_figures(world: World) -> None:
    sla = world.settings.sla
    async with world.uow_factory() as uow:
        alice = await uow.people.add(Person("Alice"), Identity("console", "alice"))
        numbers = {}
        for name, priority, created in (
            ("fine", "S4", T0),
            ("warning", "S2", T0 - timedelta(minutes=25)),
            ("breached", "S1", T0 - timedelta(hours=2)),
            ("yesterday", "S4", BERLIN_MIDNIGHT - timedelta(minutes=1)),
        ):
            ticket = new_ticket(summary=name, priority=priority, created_at=created)
            ticket.open(sla)
            await uow.tickets.add(ticket)
            numbers[name] = ticket.number
        done = await uow.tickets.get(numbers["yesterday"])
        assert done is not None and alice.id is not None
        done.claim(alice.id, T0 - timedelta(hours=3), sla)
        done.resolve("fixed", T0 - timedelta(hours=1), by=alice.id)
        await uow.tickets.save(done)
        await uow.pings.record_many([(numbers["breached"], "response:1:breach")], T0)
        await uow.pings.record_many([(numbers["yesterday"], "response:2:breach")], T0 - _DAY)
        await uow.commit()
    board = await service(world).board()
    (l1,) = [t for t in board.tiers if t.name == "L1"]
    assert [(r.summary, r.pressure) for r in l1.queue] == [
        ("breached", Pressure.BREACHED),
        ("warning", Pressure.WARNING),
        ("fine", Pressure.OK),
    ]
    assert l1.queue[1].clock == "response"
    assert l1.queue[1].due_at == T0 + timedelta(minutes=5)
    today = board.today
    assert (today.opened, today.resolved, today.breaches) == (3, 1, 1)
    assert today.since == BERLIN_MIDNIGHT


_DAY = timedelta(days=1)
