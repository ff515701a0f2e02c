"""The whole story through the desk and real storage: report → ticket → claim → reply →
escalate → resolve, plus every refusal a user can run into."""

from __future__ import annotations

from datetime import timedelta

from bot.domain import Status
from bot.events import ChatRef
from bot.messages import Action
from tests.desk.conftest import World
from tests.factories import T0, command, press, say


async def open_ticket(
    world: World,
    who: str = "sam",
    text: str = "printer on floor 3 jams",
    impact: str = "group",
    can_work: str = "no",
) -> int:
    await world.run(say(who, text))
    for answer in (impact, can_work, "today", "hardware", "skip"):
        await world.run(press(who, Action.CHOOSE, value=answer))
    sent = await world.run(press(who, Action.CHOOSE, value="submit"))
    opened = next(d for d in sent if d.message.title.startswith("Ticket #"))
    return int(opened.message.title.split("#")[1].split(":")[0])


async def test_full_story(world: World) -> None:
    sent = await world.run(say("sam", "my vpn keeps disconnecting"))
    assert sent[0].where == "sam"
    assert sent[0].message.title == "These articles might help"
    assert "VPN keeps disconnecting" in sent[0].text

    await world.run(press("sam", Action.NEED_HELP))
    await world.run(press("sam", Action.CHOOSE, value="group"))
    await world.run(press("sam", Action.CHOOSE, value="no"))
    await world.run(press("sam", Action.CHOOSE, value="now"))
    await world.run(press("sam", Action.CHOOSE, value="network"))
    await world.run(say("sam", "Since this morning, whole sales team"))
    sent = await world.run(press("sam", Action.CHOOSE, value="submit"))

    to_sam = [d for d in sent if d.where == "sam"]
    card = next(d for d in sent if d.where == "#L1")
    assert to_sam[0].message.title == "Ticket #1: my vpn keeps disconnecting"
    fields = {f.label: f.value for f in to_sam[0].message.fields}
    assert fields["Priority"] == "S1 Critical"
    assert fields["Response due"] == T0 + timedelta(minutes=15)
    assert fields["Resolution due"] == T0 + timedelta(hours=1)
    assert card.route.card_key == "ticket:1:L1"
    assert [b.label for b in card.message.buttons[0]] == ["Claim", "Reply", "Escalate", "Resolve"]
    assert "Since this morning" in card.message.quote

    world.clock.advance(timedelta(minutes=5))
    sent = await world.run(command("alice", "/claim 1"))
    card_update = next(d for d in sent if d.where == "#L1" and d.edit_id)
    assert card_update.edit_id == card.message_id  # updated in place
    assert any(d.where == "sam" and "Alice is now working on #1" in d.text for d in sent)

    sent = await world.run(command("alice", "/reply 1 Please try the backup gateway"))
    relayed = next(d for d in sent if d.where == "sam")
    assert relayed.message.quote == "Please try the backup gateway"
    assert relayed.message.quote_author == "Alice"

    sent = await world.run(say("sam", "backup gateway works but it's slow"))
    assert any(
        d.where == "#L1"
        and d.thread_id == card.message_id
        and "backup gateway works" in d.message.quote
        for d in sent
    )

    sent = await world.run(command("alice", "/escalate 1 needs a firewall change"))
    assert any(d.where == "#L2" and d.route.card_key == "ticket:1:L2" for d in sent)
    old = next(d for d in sent if d.where == "#L1" and d.edit_id)
    assert old.message.text == "Escalated to L2." and old.message.buttons == ()
    assert any(d.where == "sam" and "2nd level" in d.text for d in sent)

    sent = await world.run(command("alice", "/resolve 1 fixed"))
    assert "Only L2 agents can act on #1" in sent[0].text

    sent = await world.run(command("bob", "/resolve 1 firewall rule fixed"))
    told = next(d for d in sent if d.where == "sam")
    assert told.message.title == "Ticket #1 is resolved"
    assert {f.label: f.value for f in told.message.fields}["Resolution"] == "firewall rule fixed"

    async with world.uow_factory() as uow:
        ticket = await uow.tickets.get(1)
        history = [h.action for h in await uow.tickets.history(1)]
    assert ticket is not None and ticket.status is Status.RESOLVED
    assert ticket.first_response_at == T0 + timedelta(minutes=5)
    assert history == [
        "opened",
        "claimed",
        "replied",
        "requester replied",
        "escalated L1 → L2",
        "resolved",
    ]


async def test_this_solved_it_records_self_service_and_opens_nothing(world: World) -> None:
    await world.run(say("sam", "I forgot my password"))
    sent = await world.run(press("sam", Action.SOLVED, value="password-reset"))
    assert sent[0].text.startswith("Did “Reset a forgotten password” solve your problem?")
    sent = await world.run(press("sam", Action.SOLVED, value="password-reset"))
    assert "Glad “Reset a forgotten password” helped" in sent[0].text
    async with world.uow_factory() as uow:
        assert await uow.knowledge.self_service_count() == 1
        assert await uow.tickets.list() == []


async def test_non_agent_cannot_claim_and_requester_sees_only_own(world: World) -> None:
    number = await open_ticket(world)
    sent = await world.run(
        press("mallory", Action.CLAIM, number, chat=ChatRef("console", "L1", direct=False))
    )
    assert sent[0].text == "Only L1 agents can act on #1 (it is with L1)."
    sent = await world.run(command("mallory", f"/show {number}"))
    assert sent[0].text == "You have no ticket #1."
    sent = await world.run(command("mallory", f"/close {number}"))
    assert sent[0].text == "You have no ticket #1."
    sent = await world.run(command("sam", f"/show {number}"))
    assert sent[0].message.title.startswith("#1 · printer on floor 3 jams")


async def test_illegal_transitions_are_polite_refusals(world: World) -> None:
    number = await open_ticket(world)
    await world.run(command("alice", f"/resolve {number} replaced toner"))
    sent = await world.run(command("alice", f"/claim {number}"))
    assert sent[0].text == "Ticket #1 is resolved; it cannot be claimed."
    await world.run(command("sam", f"/reopen {number}"))
    await world.run(command("alice", f"/escalate {number} driver"))
    await world.run(command("bob", f"/escalate {number} vendor"))
    sent = await world.run(command("carol", f"/escalate {number} more"))
    assert sent[0].text == "Ticket #1 is already at L3, the last tier of its chain."
    sent = await world.run(command("carol", "/claim 99"))
    assert sent[0].text == "There is no ticket #99."
    sent = await world.run(command("carol", "/claim abc"))
    assert sent[0].text == "Usage: /claim N"


async def test_retried_event_is_handled_once(world: World) -> None:
    first = say("sam", "printer on floor 3 jams", event_id="slack-Ev1")
    assert await world.desk.handle(first)
    assert not await world.desk.handle(first)
    await world.dispatcher.deliver_due()
    assert len([d for d in world.gateway.take() if d.where == "sam"]) == 1


async def test_intake_survives_a_restart(world: World, uow_factory) -> None:
    from tests.desk.conftest import build_world

    await world.run(say("sam", "printer on floor 3 jams"))
    await world.run(press("sam", Action.CHOOSE, value="one"))
    restarted = build_world(uow_factory, clock=world.clock)
    sent = await restarted.run(say("sam", "no"))
    assert sent[0].message.text == "How urgent is it for you?"


async def test_idle_intake_is_closed_with_a_message(world: World) -> None:
    await world.run(say("sam", "printer on floor 3 jams"))
    world.clock.advance(timedelta(minutes=31))
    assert await world.desk.expire_intakes() == 1
    await world.dispatcher.deliver_due()
    sent = world.gateway.take()
    assert "closed your unfinished request after 30 minutes" in sent[0].text
    sent = await world.run(say("sam", "one"))  # starts afresh, not an answer
    assert sent[0].message.text != "Can you still work?"


async def test_cancel_command_ends_intake(world: World) -> None:
    await world.run(say("sam", "printer on floor 3 jams"))
    sent = await world.run(command("sam", "/cancel"))
    assert sent[0].text == "Cancelled. Nothing was filed."
    sent = await world.run(command("sam", "/cancel"))
    assert sent[0].text == "There is nothing to cancel."


async def test_button_escalation_asks_for_the_reason(world: World) -> None:
    number = await open_ticket(world)
    sent = await world.run(press("alice", Action.ESCALATE, number))
    assert "Why escalate #1?" in sent[0].text
    sent = await world.run(say("alice", "needs admin rights"))
    assert any(d.where == "#L2" for d in sent)


async def test_priority_change_recomputes_due_times(world: World) -> None:
    number = await open_ticket(world, impact="one", can_work="limited")
    sent = await world.run(press("alice", Action.PRIORITY, number))
    assert [b.value for b in sent[0].message.buttons[0]] == ["S1", "S2", "S3"]
    await world.run(press("alice", Action.PRIORITY, number, "S2"))
    async with world.uow_factory() as uow:
        ticket = await uow.tickets.get(number)
    assert ticket is not None and ticket.priority == "S2"
    assert ticket.clocks.resolution_due_at == T0 + timedelta(hours=2)


async def test_queue_orders_by_priority_then_urgency(world: World) -> None:
    await open_ticket(world, "sam", "printer jams", impact="one", can_work="limited")
    await open_ticket(world, "kim", "email down for all", impact="group", can_work="no")
    sent = await world.run(command("alice", "/queue"))
    assert sent[0].message.title == "Queue L1: 2 open"
    lines = sent[0].message.text.splitlines()
    assert lines[0].startswith("#2  S1") and lines[1].startswith("#1  S4")


async def test_markup_and_huge_text_are_kept_whole(world: World) -> None:
    huge = "<!channel> *bold* " + "x" * 50_000
    number = await open_ticket(world, text=huge)
    async with world.uow_factory() as uow:
        comments = await uow.tickets.comments(number)
    assert comments[0].text.startswith("<!channel> *bold* xxx")
    assert len(comments[0].text) >= 50_000


async def test_kbsave_turns_a_resolution_into_a_suggestion(world: World) -> None:
    number = await open_ticket(world, text="label printer prints blank labels")
    await world.run(command("alice", f"/resolve {number} recalibrate the label sensor"))
    sent = await world.run(command("alice", f"/kbsave {number} Label printer prints blanks"))
    assert sent[0].message.title == "Draft article ticket-1: Label printer prints blanks"
    await world.run(command("alice", "/kbpublish ticket-1"))
    sent = await world.run(say("kim", "label printer prints blank labels"))
    assert "Label printer prints blanks" in sent[0].text


async def test_timezone_command_sets_the_zone_due_times_are_shown_in(world: World) -> None:
    sent = await world.run(command("sam", "/timezone Mars/Base"))
    assert sent[0].text == '"Mars/Base" is not a time zone; use a name like Europe/Berlin.'
    sent = await world.run(command("sam", "/timezone America/New_York"))
    assert sent[0].text == "Times are now shown in America/New_York."
    number = await open_ticket(world)
    await world.run(command("alice", f"/claim {number}"))
    sent = await world.run(command("alice", f"/waiting {number} which floor?"))
    to_sam = next(d for d in sent if d.where == "sam")
    assert to_sam.route.zone == "America/New_York"
    sent = await world.run(command("sam", f"/show {number}"))  # an answer in the same chat
    assert [d.route.zone for d in sent] == ["America/New_York"]
    sent = await world.run(command("alice", "/oncall"))  # alice never chose: the desk's zone
    assert [d.route.zone for d in sent] == [world.settings.timezone]
