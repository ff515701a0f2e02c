"""A major incident through Telegram: three people report the same VPN outage in their own
words → one proposal card in the L1 group → Declare → each requester told once → a fourth
person joins through *Add me to incident #1* → /incident update reaches each of the four once
→ /incident resolve asks each "Did this solve it?"."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.e2e.telegram.conftest import ALICE, BOB, KIM, L1, L2, MALLORY, SAM, TelegramWorld
from tests.fakes.telegram_api import Call, person

STORM = (
    (SAM, "VPN keeps disconnecting"),
    (KIM, "the vpn drops every few minutes"),
    (MALLORY, "cannot stay connected to VPN"),
)
DAN = person(503, "Dan")
ANSWERS = ("I still need help", "Just me", "Yes, but limited", "Today", "Network, VPN", "Skip")


async def report(world: TelegramWorld, who: dict[str, Any], text: str) -> list[Call]:
    """Run ``who``'s intake ("just me, can work limited") to the ticket; every message sent."""
    sent = await world.feed(world.api.text(who, text))
    seen = list(sent)
    question = sent[-1]
    for label in ANSWERS:
        full = next((t for t, _ in question.buttons if t.startswith(label)), None)
        if full is None:
            continue  # not asked for this text
        sent = await world.feed(world.api.press(who, question, full))
        seen += sent
        question = sent[-1]
    seen += await world.feed(world.api.press(who, question, "Open ticket"))
    assert any("Ticket #" in c.plain for c in seen if c.chat_id == str(who["id"]))
    return seen


async def storm(world: TelegramWorld) -> list[Call]:
    """The three reports of :data:`STORM`, four minutes apart; every message sent."""
    sent: list[Call] = []
    for who, text in STORM:
        sent += await report(world, who, text)
        world.clock.advance(timedelta(minutes=4))
    return sent


def said_to(sent: list[Call], who: dict[str, Any], words: str) -> list[Call]:
    return [c for c in sent if c.chat_id == str(who["id"]) and words in c.plain]


async def test_a_storm_becomes_one_incident_with_updates_and_resolution(
    world: TelegramWorld,
) -> None:
    sent = await storm(world)
    group = str(L1["id"])
    proposals = [c for c in sent if c.chat_id == group and "Possible incident" in c.plain]
    assert len(proposals) == 1
    card = proposals[0]
    assert "3 reports" in card.plain
    assert [label for label, _ in card.buttons] == ["Declare incident", "Not related"]

    sent = await world.feed(world.api.press(ALICE, card, "Declare incident"))
    for who, _ in STORM:
        known = said_to(sent, who, "This is a known problem")
        assert len(known) == 1 and "incident #1" in known[0].plain
    edits = [c for c in sent if c.method == "editMessageText" and c.chat_id == group]
    incident_card = next(c for c in edits if "Incident #1" in c.plain)
    assert [label for label, _ in incident_card.buttons] == ["Take command"]
    assert len([c for c in edits if "Part of incident #1" in c.plain]) == 3

    # a fourth person writes about it: offered to join before the intake goes on
    sent = await world.feed(world.api.text(DAN, "VPN keeps disconnecting for me too"))
    (offer,) = said_to(sent, DAN, "incident #1")
    sent = await world.feed(world.api.press(DAN, offer, "Add me to incident #1"))
    assert len(said_to(sent, DAN, "This is a known problem")) == 1

    sent = await world.feed(
        world.api.text(ALICE, "/incident update 1 Gateway restarted, watching it", chat=L1)
    )
    for who in (SAM, KIM, MALLORY, DAN):
        assert len(said_to(sent, who, "Gateway restarted, watching it")) == 1

    sent = await world.feed(
        world.api.text(ALICE, "/incident resolve 1 gateway firmware rolled back", chat=L1)
    )
    for who, _ in STORM:
        (asked,) = said_to(sent, who, "Did this solve it?")
        assert "gateway firmware rolled back" in asked.plain
        assert [label for label, _ in asked.buttons] == ["Yes, solved", "No, reopen"]
    asked = said_to(sent, SAM, "Did this solve it?")[0]
    sent = await world.feed(world.api.press(SAM, asked, "Yes, solved"))
    assert said_to(sent, SAM, "Ticket #1 is now closed.")


async def test_an_incident_nobody_commands_reaches_the_next_tier_which_takes_it(
    world: TelegramWorld,
) -> None:
    sent = await storm(world)
    l1, l2 = str(L1["id"]), str(L2["id"])
    card = next(c for c in sent if c.chat_id == l1 and "Possible incident" in c.plain)
    await world.feed(world.api.press(ALICE, card, "Declare incident"))

    async def tick(after: timedelta) -> list[Call]:
        world.clock.advance(after)
        await world.runtime.desk.tick()
        return await world.deliver()

    breach = await tick(timedelta(hours=4))  # its S2 targets pass: nobody took command
    assert any(c.chat_id == l1 and "breached its" in c.plain for c in breach)
    assert not [c for c in breach if c.chat_id == l2]
    escalated = await tick(timedelta(minutes=30))  # unacknowledged: up the chain, to L2
    (to_l2, *_) = [c for c in escalated if c.chat_id == l2 and "still breaches" in c.plain]
    assert "Nobody has taken command: /incident command 1." in to_l2.plain
    sent = await world.feed(world.api.press(BOB, to_l2, "Take command"))
    edits = [c for c in sent if c.method == "editMessageText" and "Incident #1" in c.plain]
    assert "Bob" in edits[-1].plain and edits[-1].buttons == []
    later = await tick(timedelta(minutes=30))
    assert not [c for c in later if c.chat_id == l2 and "still breaches" in c.plain]
