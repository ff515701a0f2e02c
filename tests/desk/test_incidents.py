"""Major incidents through the desk on the in-memory unit of work: detection of a storm,
declaration, linking, what requesters hear (once each), updates, resolution, pings of
linked tickets suppressed, and *Not related* teaching the detector."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain import Status
from bot.domain.incidents import IncidentStatus
from bot.messages import Action
from bot.services.status import Pressure, StatusService
from tests.desk.conftest import World, build_world
from tests.desk.test_sla import ROTATIONS
from tests.factories import command, example_raw, make_settings, new_ticket, press, say
from tests.fakes.gateway import Delivery

VPN = (
    ("ann", "VPN keeps disconnecting"),
    ("ben", "the vpn drops every few minutes"),
    ("cat", "cannot stay connected to VPN"),
)
PREFERRED = ("one", "limited", "today", "network", "skip", "submit")


def incident_settings(**incidents):
    tiers = example_raw()["tiers"]
    for tier in tiers:
        tier["rotations"] = ROTATIONS.get(tier["name"], [])
    return make_settings(tiers=tiers, incidents=incidents)


@pytest.fixture
async def world(uow_factory) -> World:
    return build_world(uow_factory, incident_settings())


async def report(world: World, who: str, text: str, category: str = "network") -> list[Delivery]:
    """Drive an intake to its ticket, answering "just me, can work limited" (an S4); returns
    everything sent on the way (the ticket's card and any proposal among it)."""
    sent = await world.run(command(who, f"/new {text}"))
    seen = list(sent)
    for _ in range(10):
        if any(d.where == who and d.message.title.startswith("Ticket #") for d in sent):
            return seen
        buttons = [b for d in sent if d.where == who for row in d.message.buttons for b in row]
        if any(b.action is Action.NEED_HELP for b in buttons):
            sent = await world.run(press(who, Action.NEED_HELP))
        else:
            values = [b.value for b in buttons if b.action is Action.CHOOSE]
            preferred = [category if p == "network" else p for p in PREFERRED]
            value = next(p for p in preferred if p in values)
            sent = await world.run(press(who, Action.CHOOSE, value=value))
        seen += sent
    raise AssertionError("the intake did not end in a ticket")


def proposals(sent: list[Delivery]) -> list[Delivery]:
    return [d for d in sent if d.message.title.startswith("Possible incident")]


async def storm(world: World) -> list[Delivery]:
    sent: list[Delivery] = []
    for who, text in VPN:
        sent += await report(world, who, text)
        world.clock.advance(timedelta(minutes=4))
    return sent


async def incident(world: World, number: int = 1):
    async with world.uow_factory() as uow:
        found = await uow.incidents.get(number)
        linked = await uow.incidents.linked(number)
    return found, linked


async def tickets(world: World) -> dict:
    async with world.uow_factory() as uow:
        return {t.number: t for t in await uow.tickets.list()}


async def test_a_storm_of_three_requesters_is_proposed_once_in_the_tier_channel(
    world: World,
) -> None:
    first = await report(world, *VPN[0])
    second = await report(world, *VPN[1])
    assert proposals(first + second) == []  # two people are no storm
    third = await report(world, *VPN[2])
    (card,) = proposals(third)
    assert card.where == "#L1" and card.route.card_key == "incident:1:L1"
    assert card.message.title.startswith("Possible incident: 3 reports of")
    assert "#1" in card.message.text and "#3" in card.message.text
    labels = [(b.label, b.action, b.ticket) for b in card.message.buttons[0]]
    assert labels == [
        ("Declare incident", Action.DECLARE, 1),
        ("Not related", Action.UNRELATED, 1),
    ]
    found, linked = await incident(world)
    assert found.status is IncidentStatus.PROPOSED and linked == [1, 2, 3]

    fourth = await report(world, "dan", "VPN disconnects all the time")
    (updated,) = proposals(fourth)
    assert updated.edit_id == card.message_id  # the same card, now with four reports
    assert updated.message.title.startswith("Possible incident: 4 reports")
    _, linked = await incident(world)
    assert linked == [1, 2, 3, 4]
    async with world.uow_factory() as uow:
        assert len(await uow.incidents.list()) == 1


async def test_unrelated_reports_and_one_persons_repeats_propose_nothing(world: World) -> None:
    sent = await report(world, "ann", "VPN keeps disconnecting")
    sent += await report(world, "ben", "my password expired", category="access")
    sent += await report(world, "cat", "outlook crashes on start", category="access")
    sent += await report(world, "ann", "the vpn drops every few minutes")
    assert proposals(sent) == []


async def test_reports_outside_the_window_are_not_a_storm(world: World) -> None:
    sent = []
    for who, text in VPN:
        sent += await report(world, who, text)
        world.clock.advance(timedelta(minutes=20))  # window 30m: never three at once
    assert proposals(sent) == []


async def test_declare_pauses_tickets_tells_each_requester_once_and_pages(world: World) -> None:
    await storm(world)
    sent = await world.run(press("alice", Action.DECLARE, 1, chat=_channel("L1", "alice")))
    found, _ = await incident(world)
    assert found.status is IncidentStatus.OPEN
    assert found.priority == "S2"  # "just me, limited" ×3 → impact raised to a group: S2
    assert found.clocks.resolution_due_at is not None
    known = [d for d in sent if "This is a known problem" in d.text]
    assert sorted(d.where for d in known) == ["ann", "ben", "cat"]
    assert "(incident #1)" in known[0].text
    collapsed = [d for d in sent if d.route.card_key.startswith("ticket:")]
    assert collapsed and all(d.message.text == "Part of incident #1." for d in collapsed)
    pages = [d for d in sent if d.route.kind.value == "user" and "Major incident #1" in d.text]
    assert [d.where for d in pages] == ["@alice"]  # L1's on-call person, at once
    card = next(d for d in sent if d.route.card_key == "incident:1:L1")
    assert card.message.title.startswith("Incident #1 · S2")
    assert [b.label for b in card.message.buttons[0]] == ["Take command"]
    for ticket in (await tickets(world)).values():
        assert ticket.incident_id == 1
        assert ticket.clocks.paused_at is not None and ticket.clocks.next_ping_at is None
    sent = await world.run(press("alice", Action.COMMAND, 1, chat=_channel("L1", "alice")))
    card = next(d for d in sent if d.route.card_key == "incident:1:L1")
    fields = {f.label: f.value for f in card.message.fields}
    assert fields["Commander"] == "Alice" and card.message.buttons == ()
    assert "Response due" not in fields  # a commander is the incident's first response


async def test_linked_tickets_stop_pinging_while_the_incident_pings(world: World) -> None:
    await storm(world)
    await world.run(command("alice", "/incident declare 1 S2"))
    world.clock.advance(timedelta(days=5))  # far past every ticket's own targets
    await world.desk.tick()
    await world.dispatcher.deliver_due()
    sent = world.gateway.take()
    ticket_pings = [d for d in sent if "SLA" in d.message.title or "breach" in d.text.lower()]
    assert all("Incident #1" in d.message.title for d in ticket_pings)
    assert any("Incident #1 breached its" in d.message.title for d in sent)
    async with world.uow_factory() as uow:
        assert await uow.pings.stages_of([1, 2, 3]) == {1: {}, 2: {}, 3: {}}
    await world.desk.tick()  # a second tick: each stage went out once
    await world.dispatcher.deliver_due()
    assert not [d for d in world.gateway.take() if "breached its" in d.message.title]


async def test_update_reaches_every_linked_requester_exactly_once(world: World) -> None:
    await storm(world)
    await report(world, "ann", "VPN still disconnecting, second laptop too")
    await world.run(command("alice", "/incident declare 1"))
    await world.run(command("alice", "/incident link 1 4"))
    sent = await world.run(command("alice", "/incident update 1 Gateway restarted, watching"))
    updates = [d for d in sent if d.message.title.startswith("Update on incident #1")]
    assert sorted(d.where for d in updates if d.route.label == "requester") == [
        "ann",
        "ben",
        "cat",
    ]
    assert any(d.where == "#L1" and d.route.thread_key == "incident:1:L1" for d in updates)
    async with world.uow_factory() as uow:
        lines = await uow.incidents.timeline(1)
    assert any(e.action == "update" and "Gateway restarted" in e.detail for e in lines)


async def test_resolve_resolves_every_ticket_and_asks_each_requester_once(world: World) -> None:
    await storm(world)
    await report(world, "ann", "VPN still disconnecting, second laptop too")
    await world.run(command("alice", "/incident declare 1"))
    await world.run(command("alice", "/incident link 1 4"))
    sent = await world.run(command("alice", "/incident resolve 1 gateway firmware rolled back"))
    asked = [d for d in sent if "Did this solve it?" in d.text]
    assert sorted(d.where for d in asked) == ["ann", "ben", "cat"]  # ann once, for #1 and #4
    assert all(d.message.buttons[0][0].action is Action.CLOSE for d in asked)
    to_ann = next(d for d in asked if d.where == "ann")
    assert to_ann.message.buttons[0][0].ticket == 1
    assert {f.label: f.value for f in to_ann.message.fields}["Also resolved"] == "#4"
    assert any("incident #1 and its 4 tickets" in d.text for d in sent if d.where == "#L1")
    for ticket in (await tickets(world)).values():
        assert ticket.status is Status.RESOLVED
        assert ticket.resolution_note == "gateway firmware rolled back"
    found, _ = await incident(world)
    assert found.status is IncidentStatus.RESOLVED
    sent = await world.run(press("ann", Action.CLOSE, 1))  # the usual satisfaction flow
    assert (await tickets(world))[1].solved is True


async def test_link_and_unlink_by_hand(world: World) -> None:
    await report(world, "ann", "printer on floor 3 jams", category="hardware")
    sent = await world.run(command("alice", "/incident new Floor 3 printers down"))
    assert proposals(sent)
    await world.run(command("alice", "/incident link 1 1"))
    await world.run(command("alice", "/incident declare 1 S1"))
    assert (await tickets(world))[1].incident_id == 1
    sent = await world.run(command("alice", "/incident unlink 1 1"))
    ticket = (await tickets(world))[1]
    assert ticket.incident_id is None and ticket.clocks.next_ping_at is not None
    card = next(d for d in sent if d.route.card_key == "ticket:1:L1")
    assert card.message.text != "Part of incident #1."
    sent = await world.run(command("alice", "/incident command 1"))
    found, linked = await incident(world)
    assert found.commander_id is not None and linked == []


async def test_not_related_is_remembered_and_never_proposed_again(world: World) -> None:
    await storm(world)
    await world.run(press("alice", Action.UNRELATED, 1, chat=_channel("L1", "alice")))
    found, _ = await incident(world)
    assert found.status is IncidentStatus.DISMISSED
    async with world.uow_factory() as uow:
        assert await uow.incidents.unrelated_among([1, 2, 3]) == {(1, 2), (1, 3), (2, 3)}
    sent = await report(world, "dan", "VPN disconnects all the time")
    assert proposals(sent) == []  # 1 and dan's alone are two people


async def test_strangers_and_requesters_learn_nothing(world: World) -> None:
    await storm(world)
    for who in ("ann", "zed"):
        sent = await world.run(command(who, "/incident list"))
        assert [d.text for d in sent] == ["Only agents can work on incidents."]
        sent = await world.run(press(who, Action.DECLARE, 1))
        assert "Declare" not in " ".join(d.text for d in sent)
    found, _ = await incident(world)
    assert found.status is IncidentStatus.PROPOSED


async def test_auto_declare_per_category(uow_factory) -> None:
    world = build_world(uow_factory, incident_settings(auto_declare=["network"]))
    sent = await storm(world)
    assert any("This is a known problem" in d.text for d in sent)
    found, _ = await incident(world)
    assert found.status is IncidentStatus.OPEN


async def test_a_new_requester_is_offered_to_join_an_open_incident(world: World) -> None:
    await storm(world)
    await world.run(command("alice", "/incident declare 1"))
    # declared here: offered at once (other processes learn it at their next tick)
    sent = await world.run(say("eve", "VPN keeps disconnecting for me too"))
    offer = next(
        d for d in sent if any(b.action is Action.JOIN for r in d.message.buttons for b in r)
    )
    assert offer.where == "eve" and "incident #1" in offer.text
    sent = await world.run(press("eve", Action.JOIN, 1))
    assert any("This is a known problem" in d.text for d in sent if d.where == "eve")
    _, linked = await incident(world)
    assert len(linked) == 4
    assert (await tickets(world))[4].incident_id == 1


def _channel(tier: str, who: str):
    from bot.events import ChatRef

    return ChatRef("console", tier, direct=False)


async def test_another_process_offers_it_after_its_tick(world: World) -> None:
    await storm(world)
    await world.run(command("alice", "/incident declare 1"))
    other = build_world(world.uow_factory, world.settings, world.clock)
    sent = await other.run(say("eve", "VPN keeps disconnecting for me too"))
    assert not any(b.action is Action.JOIN for d in sent for r in d.message.buttons for b in r)
    await other.desk.tick()
    sent = await other.run(say("fay", "VPN keeps disconnecting for me as well"))
    assert any(b.action is Action.JOIN for d in sent for r in d.message.buttons for b in r)


async def test_the_daily_digest_names_open_incidents(world: World) -> None:
    await storm(world)
    await world.run(command("alice", "/incident declare 1"))
    assert await world.desk.sla.digest()
    await world.dispatcher.deliver_due()
    digests = [d for d in world.gateway.take() if d.message.title.startswith("Daily digest")]
    assert digests
    for d in digests:
        fields = {f.label: f.value for f in d.message.fields}
        assert str(fields["Major incidents"]).startswith("1 open")
        assert "#1 S2" in str(fields["Major incidents"])


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("/incident link 1", "Usage: /incident link I N"),
        ("/incident update 1", "Usage: /incident update I TEXT"),
        ("/incident declare 1 S9", '"S9" is not a priority; use one of S1, S2, S3, S4.'),
        ("/incident frobnicate 1", "Usage: /incident list | new TITLE"),
        ("/incident resolve 7 fixed", "There is no incident #7."),
    ],
)
async def test_incident_commands_explain_their_usage(world: World, typed: str, answer: str) -> None:
    await storm(world)
    sent = await world.run(command("alice", typed))
    assert next(d.text for d in sent if d.where == "alice").startswith(answer)


async def test_the_report_counts_proposals_and_false_positives(world: World) -> None:
    await storm(world)
    await world.run(command("alice", "/incident declare 1"))
    world.clock.advance(timedelta(minutes=30))
    for who, text in (("dan", "printer on floor 3 jams"), ("eve", "the floor 3 printer jams")):
        await report(world, who, text, category="hardware")
    await report(world, "fay", "printer jams on floor 3 again", category="hardware")
    await world.run(command("alice", "/incident 2"))  # a usage error changes nothing
    await world.run(press("alice", Action.UNRELATED, 2, chat=_channel("L1", "alice")))
    world.clock.advance(timedelta(hours=1))
    await world.run(command("alice", "/incident resolve 1 gateway fixed"))
    world.clock.advance(timedelta(minutes=1))  # the period ends before now
    async with world.uow_factory() as uow:
        now = world.clock.now()
        figures = (
            await world.desk.reports.report(uow, now - timedelta(days=1), now, now)
        ).incidents
    assert figures is not None
    assert (figures.proposed, figures.declared, figures.dismissed, figures.resolved) == (2, 1, 1, 1)
    assert figures.proposals_per_1000 == pytest.approx(1000 * 2 / 6)
    assert figures.tickets_per_incident == 3
    (sent,) = await world.run(command("lead", "/report 1d"))  # what a lead reads in chat
    summary = {f.label: f.value for f in sent.message.fields}["Major incidents"]
    assert summary.startswith("1 declared of 2 proposed (1 not related), 1 resolved, 3.0 tickets")


async def test_the_status_board_shows_live_incidents_and_linked_tickets(world: World) -> None:
    await storm(world)
    board = await StatusService(
        world.settings, world.uow_factory, world.clock, world.desk.oncall
    ).board()
    (proposed,) = board.incidents
    assert (proposed.id, proposed.status, proposed.tickets) == (1, "Proposed", 3)
    assert proposed.pressure is Pressure.PAUSED  # no clock runs before it is declared
    await world.run(command("alice", "/incident declare 1"))
    board = await StatusService(
        world.settings, world.uow_factory, world.clock, world.desk.oncall
    ).board()
    (declared,) = board.incidents
    assert declared.priority == "S2" and declared.clock == "response"
    assert declared.pressure is Pressure.OK
    (l1,) = [t for t in board.tiers if t.name == "L1"]
    assert all(r.status.endswith("incident #1") and r.clock == "" for r in l1.queue)


PASSWORD = (
    "forgot my password",
    "need a password reset",
    "I forgot my password again",
    "please reset my password",
    "my password expired, can you reset it",
    "cannot log in, forgot the password",
)


async def _a_day_of_password_resets(world: World) -> None:
    """Yesterday's traffic: a password question every half hour or so, from forty people."""
    async with world.uow_factory() as uow:
        for i in range(40):
            at = world.clock.now() - timedelta(hours=23) + timedelta(minutes=33 * i)
            text = PASSWORD[i % len(PASSWORD)]
            await uow.tickets.add(
                new_ticket(requester_id=100 + i, summary=text, category="network", created_at=at)
            )
        await uow.commit()


@pytest.mark.parametrize("warmed", [True, False])
async def test_a_restarted_desk_that_remembers_the_day_does_not_take_a_daily_question_for_a_storm(
    uow_factory, warmed: bool
) -> None:
    world = build_world(uow_factory, incident_settings())
    await _a_day_of_password_resets(world)
    if warmed:
        assert await world.desk.incidents.warm_up(world.uow_factory, world.clock) == 40
    sent: list[Delivery] = []
    for who, text in (("ann", PASSWORD[0]), ("ben", PASSWORD[1]), ("cat", PASSWORD[3])):
        sent += await report(world, who, text)
        world.clock.advance(timedelta(minutes=4))
    # three password questions in twelve minutes are an ordinary morning for this desk; only
    # a process that forgot the day (started without warming up) takes them for an outage
    assert (proposals(sent) == []) is warmed


async def test_a_quiet_desk_still_sees_a_storm_after_a_few_tickets_of_its_day(world: World) -> None:
    await report(world, "dan", "printer on floor 3 jams", category="hardware")
    world.clock.advance(timedelta(hours=2))
    await report(world, "eve", "the floor 3 printer jams", category="hardware")
    world.clock.advance(timedelta(hours=2))
    assert proposals(await storm(world)) != []  # three alike in twelve minutes: proposed


async def _tick(world: World) -> list[Delivery]:
    await world.desk.tick()
    await world.dispatcher.deliver_due()
    return world.gateway.take()


@pytest.mark.parametrize("commanded", [False, True], ids=["nobody commands", "alice commands"])
async def test_a_breach_nobody_commands_walks_the_ladder(world: World, commanded: bool) -> None:
    await storm(world)
    await world.run(command("alice", "/incident declare 1 S2"))
    world.clock.advance(timedelta(hours=4))  # past its S2 targets: breached, nobody took it
    breach = await _tick(world)
    assert {d.where for d in breach} == {"#L1", "@alice"}  # its thread and L1's on-call
    world.clock.advance(timedelta(minutes=30))  # the escalation rules' ack_timeout
    step = [d for d in await _tick(world) if "Nobody has taken command" in d.message.text]
    assert {d.where for d in step} == {"#L1", "@dave"}  # the next person of L1's rotation
    to_dave = next(d for d in step if d.where == "@dave")
    assert [b.label for b in to_dave.message.buttons[0]] == ["Take command"]
    if commanded:  # alice presses it in her direct chat
        await world.run(press("alice", Action.COMMAND, 1))
        world.gateway.take()
    world.clock.advance(timedelta(minutes=30))
    sent = await _tick(world)
    reached = {d.where for d in sent if "still breaches" in d.message.title}
    if commanded:  # a commander is its acknowledgement: the ladder stops with them
        assert reached == {"#L1", "@alice"} and "#L2" not in {d.where for d in sent}
    else:  # then L2: its channel and its on-call person
        assert {"#L2", "@bob"} <= reached
        to_bob = next(d for d in sent if d.where == "@bob")
        assert to_bob.message.text.endswith("Nobody has taken command: /incident command 1.")
