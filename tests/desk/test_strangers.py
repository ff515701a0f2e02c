"""Someone who may not see a ticket learns nothing about it: every command and button
answers them word for word as for a ticket that does not exist."""

from __future__ import annotations

import pytest

from bot.messages import Action
from tests.desk.conftest import World
from tests.desk.test_story import open_ticket
from tests.factories import command, press

COMMANDS = (
    "/show {n}",
    "/reply {n} hi",
    "/close {n}",
    "/reopen {n}",
    "/rate {n} 5",
    "/cancel {n}",
    "/claim {n}",
    "/note {n} hi",
    "/escalate {n} because",
    "/resolve {n} fixed",
    "/waiting {n} which printer?",
    "/priority {n} S1",
    "/reassign {n} alice",
    "/kbsave {n}",
    "/ack {n}",
)
BUTTONS = (Action.CLAIM, Action.REPLY, Action.ESCALATE, Action.RESOLVE, Action.PRIORITY)


async def answers(world: World, who: str, number: int) -> list[str]:
    said = []
    for text in COMMANDS:
        sent = await world.run(command(who, text.format(n=number)))
        said.append(" | ".join(d.text for d in sent if d.where == who))
    for action in BUTTONS + (Action.WAITING, Action.SHOW):
        sent = await world.run(press(who, action, number))
        said.append(" | ".join(d.text for d in sent if d.where == who))
    return [line.replace(f"#{number}", "#N") for line in said]


@pytest.mark.parametrize(
    ("stranger", "category"),
    [("mallory", "hardware"), ("carol", "billing")],  # carol is L3; billing stops at L2
    ids=["requester", "agent-off-the-chain"],
)
async def test_a_stranger_is_answered_as_if_the_ticket_did_not_exist(
    world: World, stranger: str, category: str
) -> None:
    await world.run(command("sam", "/new printer on floor 3 jams"))
    for answer in ("group", "no", "today", category, "skip", "submit"):
        await world.run(press("sam", Action.CHOOSE, value=answer))
    existing = await answers(world, stranger, 1)
    missing = await answers(world, stranger, 2)
    assert existing == missing
    assert not any("L1" in line or "L2" in line for line in existing)
    assert "You have no ticket #N." in existing or "There is no ticket #N." in existing


async def test_the_requester_still_hears_why_an_agent_command_is_refused(world: World) -> None:
    number = await open_ticket(world)
    sent = await world.run(command("sam", f"/claim {number}"))
    assert sent[0].text == "Only L1 agents can act on #1 (it is with L1)."
