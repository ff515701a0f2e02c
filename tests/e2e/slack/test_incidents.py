"""A major incident through Slack: three people report the same VPN outage in their own
words → one proposal card in L1 → Declare → each requester told once → a fourth person is
offered *Add me to incident #1* and joins → /ticket incident update reaches each of the four
once → resolve asks each "Did this solve it?"."""

from __future__ import annotations

from datetime import timedelta

from tests.e2e.slack.conftest import ALICE, BOB, L1, L2, SlackWorld, dm
from tests.fakes.slack_api import Call, slack_user

ANN, BEN, CAT, DAN = "UANN", "UBEN", "UCAT", "UDAN"
STORM = (
    (ANN, "VPN keeps disconnecting"),
    (BEN, "the vpn drops every few minutes"),
    (CAT, "cannot stay connected to VPN"),
)
ANSWERS = (
    "I still need help",
    "Just me",
    "Yes, but limited",
    "Today",
    "Network, VPN",
    "Skip",
    "Open ticket",
)


async def report(slack: SlackWorld, user: str, text: str) -> list[Call]:
    """``user`` reports ``text`` in a DM and answers "just me, can work limited"; returns
    every Web API call on the way."""
    calls = await slack.say(user, dm(user), text)
    seen = list(calls)
    for label in ANSWERS:
        question = slack.post_to(calls, dm(user))
        if not any(label in b["text"]["text"] for b in question.buttons):
            continue  # not asked for this text (no suggestions, a category it named)
        button = next(b["text"]["text"] for b in question.buttons if label in b["text"]["text"])
        calls = await slack.press(user, question, button)
        seen += calls
    assert any("Ticket #" in c.shown for c in slack.posts(seen, dm(user)))
    return seen


async def storm(slack: SlackWorld) -> list[Call]:
    """The three reports of :data:`STORM`, four minutes apart; every Web API call."""
    calls: list[Call] = []
    for user, text in STORM:
        calls += await report(slack, user, text)
        slack.clock.advance(timedelta(minutes=4))
    return calls


def said_to(calls: list[Call], user: str, words: str) -> list[Call]:
    return [
        c
        for c in calls
        if c.method == "chat.postMessage" and c.channel == dm(user) and words in c.shown
    ]


async def test_a_storm_becomes_one_incident_with_updates_and_resolution(
    slack: SlackWorld,
) -> None:
    for user, name in ((ANN, "Ann"), (BEN, "Ben"), (CAT, "Cat"), (DAN, "Dan")):
        slack.api.users[user] = slack_user(user, name)
    calls = await storm(slack)

    proposals = [c for c in slack.posts(calls, L1) if "Possible incident" in c.shown]
    assert len(proposals) == 1
    card = proposals[0]
    assert "3 reports" in card.shown and "in 8 minutes" in card.shown
    assert [b["text"]["text"] for b in card.buttons] == ["Declare incident", "Not related"]

    calls = await slack.press(ALICE, card, "Declare incident")
    for user, _ in STORM:
        known = said_to(calls, user, "This is a known problem")
        assert len(known) == 1 and "incident #1" in known[0].shown
    updated = [c for c in slack.posts(calls, L1, "chat.update") if c.args["ts"] == card.ts]
    assert updated and "Incident #1" in updated[-1].shown
    assert [b["text"]["text"] for b in updated[-1].buttons] == ["Take command"]
    collapsed = [
        c for c in slack.posts(calls, L1, "chat.update") if "Part of incident #1" in c.shown
    ]
    assert len(collapsed) == 3  # each ticket's card
    # (no tier has an on-call rotation here: paging is in tests/desk/test_incidents.py)
    calls = await slack.press(ALICE, updated[-1], "Take command")
    commanded = [c for c in slack.posts(calls, L1, "chat.update") if c.args["ts"] == card.ts]
    assert "Alice" in commanded[-1].shown and commanded[-1].buttons == []

    # a fourth person writes about it: offered to join before the intake goes on
    calls = await slack.say(DAN, dm(DAN), "VPN keeps disconnecting for me too")
    (offer,) = [c for c in slack.posts(calls, dm(DAN)) if "incident #1" in c.shown]
    calls = await slack.press(DAN, offer, "Add me to incident #1")
    assert len(said_to(calls, DAN, "This is a known problem")) == 1

    calls = await slack.command(ALICE, L1, "incident update 1 Gateway restarted, watching it")
    for user in (ANN, BEN, CAT, DAN):
        assert len(said_to(calls, user, "Gateway restarted, watching it")) == 1
    threaded = [c for c in slack.posts(calls, L1) if c.args.get("thread_ts") == card.ts]
    assert any("Gateway restarted" in c.shown for c in threaded)

    calls = await slack.command(ALICE, L1, "incident resolve 1 gateway firmware rolled back")
    for user, _ in STORM:
        (asked,) = said_to(calls, user, "Did this solve it?")
        assert "gateway firmware rolled back" in asked.shown
        assert [b["text"]["text"] for b in asked.buttons] == ["Yes, solved", "No, reopen"]
    calls = await slack.press(ANN, said_to(calls, ANN, "Did this solve it?")[0], "Yes, solved")
    assert said_to(calls, ANN, "How did we do?")


async def test_an_incident_nobody_commands_reaches_the_next_tier_which_takes_it(
    slack: SlackWorld,
) -> None:
    for user, name in ((ANN, "Ann"), (BEN, "Ben"), (CAT, "Cat")):
        slack.api.users[user] = slack_user(user, name)
    calls = await storm(slack)
    card = next(c for c in slack.posts(calls, L1) if "Possible incident" in c.shown)
    await slack.press(ALICE, card, "Declare incident")

    async def tick(after: timedelta) -> list[Call]:
        slack.clock.advance(after)
        await slack.runtime.desk.tick()
        return await slack.settle()

    breach = await tick(timedelta(hours=4))  # its S2 targets pass: nobody took command
    assert any("breached its" in c.shown for c in slack.posts(breach, L1))
    assert not slack.posts(breach, L2)
    escalated = await tick(timedelta(minutes=30))  # unacknowledged: up the chain, to L2
    (to_l2, *_) = [c for c in slack.posts(escalated, L2) if "still breaches" in c.shown]
    assert "Nobody has taken command: /incident command 1." in to_l2.shown
    calls = await slack.press(BOB, to_l2, "Take command")
    commanded = [c for c in slack.posts(calls, L1, "chat.update") if c.args["ts"] == card.ts]
    assert "Bob" in commanded[-1].shown and commanded[-1].buttons == []
    calls = await tick(timedelta(minutes=30))
    assert not [c for c in slack.posts(calls, L2) if "still breaches" in c.shown]
