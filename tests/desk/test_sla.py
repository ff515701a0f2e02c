"""SLA clocks and pings through the desk and real storage, with a frozen clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import Status
from bot.messages import Action
from tests.desk.conftest import World, build_world
from tests.desk.test_story import open_ticket
from tests.factories import command, example_raw, make_settings, press
from tests.fakes.gateway import Delivery

ROTATIONS = {
    "L1": [
        {
            "name": "day",
            "members": ["console:alice", "console:dave"],
            "timezone": "Europe/Berlin",
            "length": "1w",
            "handoff": datetime(2026, 11, 9, 8, 0, tzinfo=UTC),
        }
    ],
    "L2": [
        {
            "name": "day",
            "members": ["console:bob"],
            "timezone": "Europe/Berlin",
            "length": "1w",
            "handoff": datetime(2026, 11, 9, 8, 0, tzinfo=UTC),
        }
    ],
}


def sla_settings(**sla):
    tiers = example_raw()["tiers"]
    for tier in tiers:
        tier["rotations"] = ROTATIONS.get(tier["name"], [])
    return make_settings(tiers=tiers, sla=sla or {})


@pytest.fixture
async def world(uow_factory) -> World:
    return build_world(uow_factory, sla_settings())


async def tick(world: World) -> list:
    await world.desk.sla.tick()
    await world.dispatcher.deliver_due()
    return world.gateway.take()


async def test_warning_breach_repeat_and_ack_each_once(world: World) -> None:
    await open_ticket(world)  # S1: respond in 15 min, resolve in 1 h, 24x7
    world.clock.advance(timedelta(minutes=12))  # past 75 % of the response target
    sent = await tick(world)
    assert [d.where for d in sent] == ["#L1"]
    assert sent[0].message.title == "⚠ #1 (S1 Critical): response due soon"
    assert await tick(world) == []

    world.clock.advance(timedelta(minutes=4))  # 16 min: response breached
    sent = await tick(world)
    assert sorted(d.where for d in sent) == ["#L1", "@alice"]  # thread + alice on call
    ping = next(d for d in sent if d.where == "@alice")
    assert ping.message.title == "🔥 #1 (S1 Critical): response SLA breached"
    assert [b.label for b in ping.message.buttons[0]] == ["Acknowledge", "Show"]
    assert await tick(world) == []

    world.clock.advance(timedelta(minutes=15))  # a reminder every 15 min until acknowledged
    sent = await tick(world)
    assert [d.message.title for d in sent] == [
        "🔥 #1 (S1 Critical): response SLA still breached (reminder 1)"
    ]

    sent = await world.run(press("alice", Action.ACK, 1))
    assert any("acknowledged the breach of #1" in d.text for d in sent)
    world.clock.advance(timedelta(minutes=40))
    sent = await tick(world)
    assert all("response" not in d.message.title for d in sent)


async def test_an_on_call_member_who_is_no_agent_can_see_and_acknowledge(uow_factory) -> None:
    tiers = example_raw()["tiers"]
    tiers[0]["rotations"] = [{**ROTATIONS["L1"][0], "members": ["console:erin"]}]
    world = build_world(uow_factory, make_settings(tiers=tiers))
    await open_ticket(world)
    world.clock.advance(timedelta(minutes=16))  # response breached: erin is paged
    ping = next(d for d in await tick(world) if d.where == "@erin")
    assert [b.label for b in ping.message.buttons[0]] == ["Acknowledge", "Show"]
    shown = await world.run(press("erin", Action.SHOW, 1))
    assert shown[0].message.title.startswith("#1")  # the ticket, not "You have no ticket #1"
    sent = await world.run(press("erin", Action.ACK, 1))
    assert any("acknowledged the breach of #1" in d.text for d in sent)


async def test_unacknowledged_breach_walks_the_chain(world: World) -> None:
    await open_ticket(world)
    world.clock.advance(timedelta(minutes=16))
    await tick(world)
    world.clock.advance(timedelta(minutes=30))  # nobody acknowledged for 30 min
    sent = await tick(world)
    escalated = [d for d in sent if "not acknowledged" in d.message.title]
    assert [d.where for d in escalated] == ["@dave"]  # the next person in L1's rotation
    world.clock.advance(timedelta(minutes=30))
    sent = await tick(world)
    escalated = [d for d in sent if "not acknowledged" in d.message.title]
    assert sorted(d.where for d in escalated) == ["#L2", "@bob"]  # then L2's on-call


async def test_two_ticks_at_once_send_each_stage_once(world: World, uow_factory) -> None:
    await open_ticket(world)
    other = build_world(uow_factory, world.settings, world.clock)  # a second replica
    world.clock.advance(timedelta(minutes=16))
    counts = await asyncio.gather(world.desk.sla.tick(), other.desk.sla.tick())
    assert sorted(counts) == [0, 1]  # one replica sent the response breach, the other nothing
    await world.dispatcher.deliver_due()
    pings = [d for d in world.gateway.take() if d.where == "@alice"]
    assert len(pings) == 1


async def test_downtime_is_caught_up_once(world: World) -> None:
    await open_ticket(world)
    world.clock.advance(timedelta(hours=5))  # the desk was down for hours
    sent = await tick(world)
    titles = sorted({d.message.title for d in sent})
    assert titles == [
        "🔥 #1 (S1 Critical): resolution SLA breached",
        "🔥 #1 (S1 Critical): response SLA breached",
    ]
    assert await tick(world) == []


async def test_paused_while_waiting_and_resumed_with_the_wait_added(world: World) -> None:
    number = await open_ticket(world, impact="one", can_work="no")  # S3: 3 h on 12x5
    await world.run(command("alice", f"/claim {number}"))
    async with world.uow_factory() as uow:
        before = (await uow.tickets.get(number)).clocks.resolution_due_at
    await world.run(command("alice", f"/waiting {number} which floor?"))
    world.clock.advance(timedelta(hours=1))
    assert await tick(world) == []
    await world.run(command("sam", f"/reply {number} here is the screenshot"))
    async with world.uow_factory() as uow:
        ticket = await uow.tickets.get(number)
    assert ticket.status is Status.IN_PROGRESS and ticket.clocks.paused_at is None
    assert ticket.clocks.resolution_due_at == before + timedelta(hours=1)


async def test_low_priority_breach_outside_hours_waits_for_the_morning(uow_factory) -> None:
    world = build_world(uow_factory, sla_settings())
    world.clock.set(datetime(2026, 11, 23, 18, 0, tzinfo=UTC))  # 19:00 Berlin, Monday
    await open_ticket(world, impact="one", can_work="no")  # S3: respond within 1 h, 12x5
    async with world.uow_factory() as uow:
        ticket = await uow.tickets.get(1)
    assert ticket.clocks.response_due_at == datetime(2026, 11, 23, 19, 0, tzinfo=UTC)  # 20:00 close
    world.clock.set(datetime(2026, 11, 23, 19, 5, tzinfo=UTC))
    assert [d for d in await tick(world) if "breached" in d.message.title] == []
    world.clock.set(datetime(2026, 11, 24, 7, 0, tzinfo=UTC))  # 08:00 Berlin: open again
    sent = await tick(world)
    assert any(d.message.title == "🔥 #1 (S3 Medium): response SLA breached" for d in sent)


async def test_escalation_rules_are_copied_at_the_first_ping(uow_factory) -> None:
    world = build_world(uow_factory, sla_settings(ack_timeout="30m"))
    await open_ticket(world)
    world.clock.advance(timedelta(minutes=16))
    await tick(world)
    edited = build_world(uow_factory, sla_settings(ack_timeout="5m"), world.clock)
    world.clock.advance(timedelta(minutes=10))
    sent = await tick(edited)
    assert not any("not acknowledged" in d.message.title for d in sent)


def on_call_fields(delivery: Delivery) -> list[tuple[str, object]]:
    return [(f.label, f.value) for f in delivery.message.fields]


async def test_oncall_commands(world: World) -> None:
    sent = await world.run(command("sam", "/oncall L2"))
    until = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # shown in each reader's zone
    assert on_call_fields(sent[0]) == [("L2: bob (day), until", until)]
    sent = await world.run(command("sam", "/takeoncall L2 4h"))
    assert sent[0].text == "Only L2 agents can take its on-call duty."
    sent = await world.run(command("carol", "/takeoncall L2 4h"))
    assert sent[0].text == "Only L2 agents can take its on-call duty."
    sent = await world.run(command("bob", "/takeoncall L1 2h"))
    assert sent[0].text == "Only L1 agents can take its on-call duty."
    sent = await world.run(command("dave", "/takeoncall L1 2h"))
    two_hours = world.clock.now() + timedelta(hours=2)
    announced = [d for d in sent if d.where == "#L1" and "is on call for L1" in d.text]
    assert announced and on_call_fields(announced[0]) == [("Until", two_hours)]
    sent = await world.run(command("sam", "/oncall L1"))
    assert on_call_fields(sent[0]) == [("L1: Dave, until", two_hours)]  # his name, not an id


async def test_requester_sees_time_left_on_each_clock(world: World) -> None:
    number = await open_ticket(world)
    world.clock.advance(timedelta(minutes=20))
    sent = await world.run(command("sam", f"/show {number}"))
    fields = {f.label: f.value for f in sent[0].message.fields}
    assert fields["Response time left"] == "overdue by 5m"
    assert fields["Resolution time left"] == "40m"


async def test_auto_escalation_at_resolution_breach(uow_factory) -> None:
    policy = {"name": "default", "auto_escalate": True, "calendar": "24x7"}
    world = build_world(uow_factory, sla_settings(policies=[policy]))
    number = await open_ticket(world)  # S1: resolve within 1 h
    world.clock.advance(timedelta(minutes=61))
    sent = await tick(world)
    assert any(d.where == "#L2" and d.route.card_key == f"ticket:{number}:L2" for d in sent)
    async with world.uow_factory() as uow:
        ticket = await uow.tickets.get(number)
        history = [h.action for h in await uow.tickets.history(number)]
    assert ticket.tier == "L2"
    assert "escalated L1 → L2" in history


async def test_update_clock_after_a_requester_message(uow_factory) -> None:
    policy = {"name": "default", "update": "30m", "calendar": "24x7"}
    world = build_world(uow_factory, sla_settings(policies=[policy]))
    number = await open_ticket(world, impact="one", can_work="limited")  # S4
    await world.run(command("alice", f"/claim {number}"))
    await world.run(command("sam", f"/reply {number} any news?"))
    world.clock.advance(timedelta(minutes=31))
    sent = await tick(world)
    assert any(d.message.title.endswith("update SLA breached") for d in sent)
    await world.run(command("alice", f"/reply {number} working on it"))
    async with world.uow_factory() as uow:
        assert (await uow.tickets.get(number)).clocks.update_due_at is None


async def test_daily_digest_once_per_day_to_every_tier(world: World) -> None:
    await open_ticket(world)  # S1 in L1
    await open_ticket(world, "kim", "printer jams", impact="one", can_work="limited")  # S4
    world.clock.advance(timedelta(minutes=20))
    await tick(world)  # the S1 response clock breaches
    assert await world.desk.sla.digest()
    assert not await world.desk.sla.digest()  # another replica, the same day: nothing
    await world.dispatcher.deliver_due()
    digests = {d.where: d for d in world.gateway.take() if d.message.title.startswith("Daily")}
    assert sorted(digests) == ["#L1", "#L2", "#L3"]
    fields = {f.label: f.value for f in digests["#L1"].message.fields}
    assert fields == {
        "Open tickets": "2 (S1: 1, S2: 0, S3: 0, S4: 1)",
        "Breaches in the last day": "1",
        "On call now": "alice",
        "Major incidents": "none open",
        "Yesterday's SLA met": "response –, resolution –, update –",  # a quiet Sunday
        "Yesterday's breaches (desk)": "0",
        "Yesterday's self-service": "–",
    }
    world.clock.advance(timedelta(days=1))
    assert await world.desk.sla.digest()
    await world.dispatcher.deliver_due()
    digests = {d.where: d for d in world.gateway.take() if d.message.title.startswith("Daily")}
    fields = {f.label: f.value for f in digests["#L2"].message.fields}
    # Monday: the S1 ticket missed both its clocks, the S4 one is not due yet; no article
    # solved anything of the two problems reported
    assert fields["Yesterday's SLA met"] == "response 0%, resolution 0%, update –"
    assert fields["Yesterday's breaches (desk)"] == "1"
    assert fields["Yesterday's self-service"] == "0%"
