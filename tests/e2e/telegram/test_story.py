"""The whole desk over Telegram: a requester in a private chat, agents in their tier groups.

Private chat → knowledge-base suggestions → intake → card in the L1 group → Claim button →
an agent's reply to the card reaches the requester → the requester's answer lands under
the card → ``/escalate N reason`` → card in the L2 group → ``/resolve`` → requester told.
"""

from __future__ import annotations

from tests.e2e.telegram.conftest import ALICE, BOB, L1, L2, SAM, TelegramWorld
from tests.fakes.telegram_api import BOT_USER


async def test_whole_story_from_private_chat_to_resolution(world: TelegramWorld) -> None:
    api = world.api
    commands = {
        c.params["scope"]["type"]: [x["command"] for x in c.params["commands"]]
        for c in api.of("setMyCommands")
    }
    assert commands["default"] == [
        *("start", "new", "mytickets", "show", "reply", "close", "reopen", "rate"),
        *("timezone", "cancel", "help"),
    ]
    for_l1_group = next(
        c for c in api.of("setMyCommands") if c.params["scope"].get("chat_id") == L1["id"]
    )
    assert [x["command"] for x in for_l1_group.params["commands"]][:4] == [
        "help",
        "queue",
        "show",
        "claim",
    ]

    # 1. the requester describes the problem privately and is offered articles first
    sent = await world.feed(api.text(SAM, "my vpn keeps disconnecting"))
    suggestion = sent[-1]
    assert suggestion.chat_id == str(SAM["id"])
    assert "These articles might help" in suggestion.plain
    assert suggestion.params["parse_mode"] == "HTML"
    assert ("I still need help", "1|nh||") in suggestion.buttons
    assert all(len(data.encode()) <= 64 for _, data in suggestion.buttons)

    # 2. intake by buttons; every press is answered
    presses = len(api.of("answerCallbackQuery"))
    question = (await world.feed(api.press(SAM, suggestion, "I still need help")))[-1]
    assert "Who is affected?" in question.plain
    for label in ("A group of people (a team, a site, everyone)", "No, I'm blocked", "Right now"):
        question = (await world.feed(api.press(SAM, question, label)))[-1]
    question = (await world.feed(api.press(SAM, question, "Network, VPN & Wi-Fi")))[-1]
    assert "Anything else we should know?" in question.plain
    question = (await world.feed(api.text(SAM, "Since this morning, whole sales team")))[-1]
    sent = await world.feed(api.press(SAM, question, "Open ticket"))
    assert len(api.of("answerCallbackQuery")) == presses + 6

    # 3. the requester gets the number and due times in the desk's zone; L1 gets the card
    confirmation = next(c for c in sent if c.chat_id == str(SAM["id"]))
    assert "Ticket #1: my vpn keeps disconnecting" in confirmation.plain
    assert "Response due: 2026-11-23 10:15 CET (in 15m)" in confirmation.plain
    card = next(c for c in sent if c.chat_id == str(L1["id"]))
    assert card.text.startswith("<b>#1 · S1 Critical · my vpn keeps disconnecting</b>")
    assert "Since this morning, whole sales team" in card.plain
    assert [label for label, _ in card.buttons][:4] == ["Claim", "Reply", "Escalate", "Resolve"]
    card_id = api.message_id_of(card)

    # 4. Alice claims with the button: the card is edited in place, Sam is told
    sent = await world.feed(api.press(ALICE, card, "Claim"))
    edit = next(c for c in sent if c.method == "editMessageText")
    assert edit.chat_id == str(L1["id"]) and edit.params["message_id"] == card_id
    assert "Assignee: Alice" in edit.plain
    assert "Claim" not in [label for label, _ in edit.buttons]
    assert any(
        c.chat_id == str(SAM["id"]) and "Alice is now working on #1" in c.plain for c in sent
    )

    # 5. Alice replies to the card in the group: relayed to Sam's private chat
    sent = await world.feed(
        api.text(ALICE, "Please try the backup gateway", chat=L1, reply_to=card)
    )
    relayed = next(c for c in sent if c.chat_id == str(SAM["id"]))
    assert "Please try the backup gateway" in relayed.plain
    assert "Alice wrote:" in relayed.plain

    # 6. Sam answers privately: the answer appears in the group as a reply to the card
    sent = await world.feed(api.text(SAM, "the backup gateway works but it is slow"))
    in_group = next(c for c in sent if c.chat_id == str(L1["id"]) and c.method == "sendMessage")
    assert in_group.reply_to == card_id
    assert "the backup gateway works but it is slow" in in_group.plain

    # 7. /escalate with the bot's name appended, as Telegram groups send it
    sent = await world.feed(
        api.text(ALICE, f"/escalate@{BOT_USER['username']} 1 needs a firewall change", chat=L1)
    )
    l2_card = next(c for c in sent if c.chat_id == str(L2["id"]))
    assert "#1 · S1 Critical" in l2_card.plain
    old = next(c for c in sent if c.method == "editMessageText" and c.chat_id == str(L1["id"]))
    assert "Escalated to L2." in old.plain and old.buttons == []
    assert any(c.chat_id == str(SAM["id"]) and "2nd level" in c.plain for c in sent)

    # 8. Bob resolves from the L2 group; Sam is told with the note
    sent = await world.feed(api.text(BOB, "/resolve 1 firewall rule fixed", chat=L2))
    told = next(c for c in sent if c.chat_id == str(SAM["id"]))
    assert "Ticket #1 is resolved" in told.plain
    assert "Resolution: firewall rule fixed" in told.plain
    assert [label for label, _ in told.buttons] == ["Yes, solved", "No, reopen"]


async def test_command_menus_list_each_command_once(world: TelegramWorld) -> None:
    for call in world.api.of("setMyCommands"):
        names = [x["command"] for x in call.params["commands"]]
        assert len(names) == len(set(names)), call.params["scope"]
        assert all(3 <= len(x["description"]) <= 256 for x in call.params["commands"])
    agent_chat = next(
        c for c in world.api.of("setMyCommands") if c.params["scope"].get("chat_id") == ALICE["id"]
    )
    assert {"new", "queue", "takeoncall", "kbsave"} <= {
        x["command"] for x in agent_chat.params["commands"]
    }
