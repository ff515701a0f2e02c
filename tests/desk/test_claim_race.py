"""Two agents press Claim at the same moment on two replicas of one database: one wins, the
other is told who has the ticket, and the ticket records one claim."""

from __future__ import annotations

import asyncio

from bot.messages import Action
from storage.db import make_engine
from storage.uow import SqlUnitOfWorkFactory
from tests.desk.conftest import build_world
from tests.desk.test_story import open_ticket
from tests.factories import press


async def test_two_replicas_claiming_at_once_one_wins_the_other_hears_who(
    database_url: str,
) -> None:
    engines = [make_engine(database_url) for _ in range(2)]
    try:
        one, two = (build_world(SqlUnitOfWorkFactory(e)) for e in engines)
        two.clock = one.clock
        number = await open_ticket(one)
        one.gateway.take()
        handled = await asyncio.gather(
            one.desk.handle(press("alice", Action.CLAIM, number)),
            two.desk.handle(press("dave", Action.CLAIM, number)),
        )
        await one.dispatcher.deliver_due()
        sent = one.gateway.take()
        claims = [d for d in sent if d.where == "#L1" and d.text.endswith(f"claimed #{number}.")]
        assert len(claims) == 1
        winner = claims[0].text.split()[0]  # a display name
        assert all(handled)
        refusals = [d.text for d in sent if "already claimed" in d.text]
        assert refusals == [
            f"Ticket #{number} is already claimed by {winner}; ask a lead to reassign it.",
        ]
        async with one.uow_factory() as uow:
            history = await uow.tickets.history(number)
        assert [h.action for h in history].count("claimed") == 1
    finally:
        for engine in engines:
            await engine.dispose()
