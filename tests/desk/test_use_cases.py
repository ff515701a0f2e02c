"""The remaining use cases and their refusals, each seen from the user's side."""

from __future__ import annotations

from bot.domain import Status
from bot.messages import Action
from tests.desk.conftest import World
from tests.desk.test_story import open_ticket
from tests.factories import command, press, say


async def status_of(world: World, number: int) -> Status:
    async with world.uow_factory() as uow:
        ticket = await uow.tickets.get(number)
    assert ticket is not None
    return ticket.status


async def test_internal_note_stays_with_agents(world: World) -> None:
    number = await open_ticket(world)
    sent = await world.run(command("alice", f"/note {number} user is on the old driver"))
    assert [d.where for d in sent if "old driver" in d.text] == ["#L1"]
    assert not any(d.where == "sam" for d in sent)
    sent = await world.run(command("sam", f"/show {number}"))
    assert "old driver" not in sent[0].text
    sent = await world.run(command("alice", f"/show {number}"))
    assert "alice (internal): user is on the old driver" in sent[0].text.lower()


async def test_double_slash_in_a_prompted_reply_is_internal(world: World) -> None:
    number = await open_ticket(world)
    await world.run(press("alice", Action.REPLY, number))
    sent = await world.run(say("alice", "// checked the logs, nothing yet"))
    assert not any(d.where == "sam" for d in sent)
    assert any(d.where == "#L1" and "checked the logs" in d.text for d in sent)


async def test_double_slash_is_internal_however_the_reply_arrives(world: World) -> None:
    # A Slack "Reply" form submits the button with its text; /reply types the same.
    number = await open_ticket(world)
    for event in (
        press("alice", Action.REPLY, number, value="// form: printer firmware is old"),
        command("alice", f"/reply {number} // typed: ordered a new fuser"),
    ):
        sent = await world.run(event)
        assert not any(d.where == "sam" for d in sent)
        assert any(d.where == "#L1" and ("form:" in d.text or "typed:" in d.text) for d in sent)
        assert any(d.text == f"Internal note added to #{number}." for d in sent)
    sent = await world.run(command("alice", f"/reply {number} a technician comes at 3"))
    assert any(d.where == "sam" and "a technician comes at 3" in d.text for d in sent)
    assert any(d.text == f"Sent to the requester of #{number}." for d in sent)


async def test_reassign_to_an_agent_of_the_tier_only(world: World) -> None:
    number = await open_ticket(world)
    sent = await world.run(command("alice", f"/reassign {number} bob"))
    assert sent[0].text == '"bob" is not an agent of L1.'
    sent = await world.run(command("alice", f"/reassign {number} dave"))
    assert any(d.where == "@dave" and "assigned #1 to you" in d.text for d in sent)
    sent = await world.run(command("alice", f"/claim {number}"))
    assert sent[0].text == "Ticket #1 is already claimed by dave; ask a lead to reassign it."


async def test_waiting_on_requester_and_the_answer_brings_it_back(world: World) -> None:
    number = await open_ticket(world)
    await world.run(command("alice", f"/claim {number}"))
    sent = await world.run(command("alice", f"/waiting {number}"))
    assert sent[0].text == "Usage: /waiting N what you need"
    sent = await world.run(command("alice", f"/waiting {number} Which printer is it?"))
    asked = next(d.message for d in sent if d.where == "sam")
    assert asked.title == "Alice needs your answer on #1"
    assert asked.quote == "Which printer is it?"
    assert await status_of(world, number) is Status.WAITING
    sent = await world.run(say("sam", "it is the HP on floor 3"))
    assert any(d.where == "sam" and d.text.startswith("Added to #1") for d in sent)
    assert await status_of(world, number) is Status.IN_PROGRESS


async def test_requester_cancels_closes_reopens_and_rates(world: World) -> None:
    first = await open_ticket(world)
    sent = await world.run(command("sam", f"/cancel {first}"))
    assert sent[-1].text == "Ticket #1 is now cancelled."
    assert any(d.where == "#L1" and "withdrew it" in d.text for d in sent)
    sent = await world.run(command("alice", f"/claim {first}"))
    assert sent[0].text == "Ticket #1 is cancelled; it cannot be claimed."

    second = await open_ticket(world, text="scanner does not email scans")
    sent = await world.run(command("sam", f"/rate {second} 5"))
    assert sent[0].text == "Ticket #2 can be rated once it is resolved."
    await world.run(command("alice", f"/resolve {second} reset the SMTP relay"))
    await world.run(press("sam", Action.REOPEN, second))  # asks for a reason first
    sent = await world.run(say("sam", "still bounces"))
    assert sent[-1].text == "Ticket #2 is now in progress."  # back to alice, who resolved it
    await world.run(command("alice", f"/resolve {second} reset it again"))
    sent = await world.run(press("sam", Action.RATE, second, "4"))
    assert any(d.where == "#L1" and "rated #2 4/5" in d.text for d in sent)
    sent = await world.run(press("sam", Action.CLOSE, second))
    assert sent[-1].text == "Ticket #2 is now closed."
    sent = await world.run(command("sam", f"/reopen {second}"))
    assert sent[0].text == "Only a resolved ticket can be reopened; #2 is closed."


async def test_mytickets_lists_own_tickets_only(world: World) -> None:
    await open_ticket(world, "sam", "scanner jams")
    await open_ticket(world, "kim", "monitor flickers")
    sent = await world.run(command("kim", "/mytickets"))
    assert "monitor flickers" in sent[0].text and "scanner jams" not in sent[0].text


async def test_unknown_command_and_agent_only_commands(world: World) -> None:
    sent = await world.run(command("sam", "/frobnicate"))
    assert sent[0].text == "I don't know /frobnicate. Try /help."
    sent = await world.run(command("sam", "/queue"))
    assert sent[0].text == "Only agents have a queue."
    sent = await world.run(command("alice", "/help"))
    assert [d.message.title for d in sent] == ["How I can help", "Agent commands"]
