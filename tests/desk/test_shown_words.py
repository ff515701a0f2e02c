"""What people read: times in their zone, names instead of ids, and an agent's question."""

from __future__ import annotations

from bot.messages import Action
from tests.desk.conftest import World
from tests.desk.test_story import open_ticket
from tests.factories import command, press, say


async def test_show_history_is_in_the_readers_zone(world: World) -> None:
    await world.run(command("sam", "/timezone America/New_York"))
    number = await open_ticket(world)
    sent = await world.run(command("sam", f"/show {number}"))
    history = sent[0].message.text
    assert "2026-11-23 04:00 EST  Sam opened" in history  # T0 is 09:00 UTC
    assert "UTC" not in history


async def test_cards_and_confirmation_name_the_product(world: World) -> None:
    await world.run(command("sam", "/new the ERP shows error 500 on invoices"))
    for answer in ("one", "limited", "today", "erp", "5.2", "skip"):
        sent = await world.run(press("sam", Action.CHOOSE, value=answer))
    confirm = {f.label: f.value for f in sent[-1].message.fields}
    assert confirm["Version"] == "Acme ERP 5.2"
    sent = await world.run(press("sam", Action.CHOOSE, value="submit"))
    card = next(d for d in sent if d.where == "#L1")
    assert {f.label: f.value for f in card.message.fields}["Version"] == "Acme ERP 5.2"


async def test_waiting_button_asks_what_the_agent_needs(world: World) -> None:
    number = await open_ticket(world)
    sent = await world.run(press("alice", Action.WAITING, number))
    assert sent[0].text.startswith("What do you need from the requester of #1?")
    sent = await world.run(say("alice", "Which floor is the printer on?"))
    asked = next(d.message for d in sent if d.where == "sam")
    assert asked.title == "Alice needs your answer on #1"
    assert asked.quote == "Which floor is the printer on?"
    sent = await world.run(command("sam", f"/show {number}"))
    assert "Alice: Which floor is the printer on?" in sent[0].message.text
