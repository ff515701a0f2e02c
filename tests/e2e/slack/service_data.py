"""A desk with tickets at each SLA pressure, for the health, metrics and status page tests.

At the frozen ``T0`` (Monday 09:00 UTC): S1 #1 opened two hours ago (breached, claimed by
Alice), S2 #2 opened 25 minutes ago (its 30 min response clock past the 75 % warning), S4
#3 opened just now in L2 (fine). Ticket #1 has its response breach and a warning recorded.
"""

from __future__ import annotations

from datetime import timedelta

from adapters.runtime import Runtime
from bot.domain import Identity, Person
from tests.e2e.slack.conftest import ALICE
from tests.factories import T0, new_ticket


async def seed_tickets(runtime: Runtime) -> dict[str, int]:
    sla = runtime.settings.sla
    async with runtime.uow_factory() as uow:
        alice = await uow.people.add(Person("Alice Admin"), Identity("slack", ALICE))
        assert alice.id is not None
        numbers = {}
        for name, priority, tier, age in (
            ("breached", "S1", "L1", timedelta(hours=2)),
            ("warning", "S2", "L1", timedelta(minutes=25)),
            ("fine", "S4", "L2", timedelta(0)),
        ):
            ticket = new_ticket(
                summary=f"{name} <b>ticket</b>",
                priority=priority,
                tier=tier,
                created_at=T0 - age,
                requester_id=alice.id,
            )
            ticket.open(sla)
            await uow.tickets.add(ticket)
            assert ticket.number is not None
            numbers[name] = ticket.number
        breached = await uow.tickets.get(numbers["breached"])
        assert breached is not None
        breached.claim(alice.id, T0 - timedelta(hours=1), sla)
        await uow.tickets.save(breached)
        await uow.pings.record_many(
            [(numbers["breached"], "response:1:warn"), (numbers["breached"], "response:1:breach")],
            T0 - timedelta(hours=1),
        )
        await uow.commit()
    return numbers
