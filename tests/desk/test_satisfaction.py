"""'Did this solve it?': Yes closes and offers a rating, No reopens with a reason to the
same tier and assignee, and silence closes the ticket after ``satisfaction.close_after``."""

from __future__ import annotations

from datetime import timedelta

from bot.domain import Status, Ticket
from bot.messages import Action
from tests.desk.conftest import World, build_world
from tests.desk.test_story import open_ticket
from tests.factories import command, make_settings, press, say


async def ticket(world: World, number: int) -> Ticket:
    async with world.uow_factory() as uow:
        found = await uow.tickets.get(number)
    assert found is not None
    return found


async def resolved(world: World) -> int:
    number = await open_ticket(world)
    await world.run(command("alice", f"/claim {number}"))
    sent = await world.run(command("alice", f"/resolve {number} replaced the fuser"))
    asked = next(d.message for d in sent if d.where == "sam")
    assert asked.text == "Alice marked it resolved. Did this solve it?"
    assert [b.label for b in asked.buttons[0]] == ["Yes, solved", "No, reopen"]
    return number


async def test_yes_closes_and_offers_a_rating(world: World) -> None:
    number = await resolved(world)
    sent = await world.run(press("sam", Action.CLOSE, number))
    offer = next(d.message for d in sent if d.where == "sam" and d.message.buttons)
    assert [b.value for b in offer.buttons[0]] == ["1", "2", "3", "4", "5"]
    sent = await world.run(press("sam", Action.RATE, number, "5"))
    assert any(d.where == "#L1" and "rated #1 5/5" in d.text for d in sent)
    stored = await ticket(world, number)
    assert (stored.status, stored.solved, stored.rating) == (Status.CLOSED, True, 5)


async def test_no_asks_why_and_goes_back_to_the_same_agent(world: World) -> None:
    number = await open_ticket(world)
    await world.run(command("alice", f"/escalate {number} needs a spare part"))
    await world.run(command("bob", f"/claim {number}"))
    await world.run(command("bob", f"/resolve {number} new fuser fitted"))
    sent = await world.run(press("sam", Action.REOPEN, number))
    assert sent[0].text.startswith(f"What is still not working on #{number}?")
    sent = await world.run(say("sam", "still jams on\nduplex pages"))
    to_l2 = next(d for d in sent if d.where == "#L2" and d.route.thread_key)
    assert "not solved" in to_l2.text and to_l2.message.quote == "still jams on duplex pages"
    assert any(d.where == "@bob" and "not solved" in d.text for d in sent)
    stored = await ticket(world, number)
    assert (stored.status, stored.tier, stored.solved, stored.reopens) == (
        Status.IN_PROGRESS,
        "L2",
        False,
        1,
    )
    async with world.uow_factory() as uow:
        history = await uow.tickets.history(number)
    assert (history[-1].action, history[-1].detail) == ("reopened", "still jams on duplex pages")


async def test_only_the_requester_may_say_no(world: World) -> None:
    number = await resolved(world)
    sent = await world.run(press("kim", Action.REOPEN, number))
    assert sent[0].text == "You have no ticket #1."
    assert (await ticket(world, number)).status is Status.RESOLVED


async def test_typed_reopen_takes_its_reason_on_the_line(world: World) -> None:
    number = await resolved(world)
    sent = await world.run(command("sam", f"/reopen {number} the tray still clicks"))
    assert sent[-1].text == f"Ticket #{number} is now in progress."
    assert (await ticket(world, number)).reopens == 1


async def test_unanswered_closes_after_the_configured_wait(uow_factory) -> None:
    world = build_world(uow_factory, make_settings(satisfaction__close_after="2d"))
    number = await resolved(world)
    world.clock.advance(timedelta(days=2) - timedelta(minutes=1))
    assert await world.desk.close_unanswered() == 0
    world.clock.advance(timedelta(minutes=1))
    assert await world.desk.close_unanswered() == 1
    await world.dispatcher.deliver_due()
    sent = world.gateway.take()
    told = next(d.message for d in sent if d.where == "sam")
    assert told.text.startswith(f"I closed #{number}: it was resolved 2d ago")
    assert any(d.where == "#L1" and "closed by itself" in d.text for d in sent)
    stored = await ticket(world, number)
    assert (stored.status, stored.solved) == (Status.CLOSED, None)
    assert await world.desk.close_unanswered() == 0  # once
    sent = await world.run(press("sam", Action.RATE, number, "3"))  # a late rating still counts
    assert (await ticket(world, number)).rating == 3


async def test_default_wait_is_three_days(world: World) -> None:
    await resolved(world)
    world.clock.advance(timedelta(days=3) - timedelta(seconds=1))
    assert await world.desk.close_unanswered() == 0
    world.clock.advance(timedelta(seconds=1))
    assert await world.desk.close_unanswered() == 1


async def test_answered_tickets_are_not_closed_again(stored_world: World) -> None:
    world = stored_world
    first = await resolved(world)
    second = await open_ticket(world, text="scanner is slow")
    await world.run(command("alice", f"/resolve {second} cleaned the glass"))
    await world.run(command("sam", f"/reopen {first} still jams"))
    world.clock.advance(timedelta(days=4))
    assert await world.desk.close_unanswered() == 1
    assert (await ticket(world, first)).status is Status.IN_PROGRESS
    stored = await ticket(world, second)
    assert (stored.status, stored.solved, stored.reopens) == (Status.CLOSED, None, 0)
