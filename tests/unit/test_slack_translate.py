"""Slack payloads → desk events, on plain dicts (no SDK running)."""

from __future__ import annotations

import json

import pytest

from adapters.slack import translate
from adapters.slack.translate import Profile
from bot.events import ChatRef
from bot.messages import Action, Button, Pressed, pack_button, unpack_button

COMMANDS = ("help", "new", "ticket", "claim", "queue", "escalate")


def envelope(event: dict, event_id: str = "Ev1") -> dict:
    return {"type": "event_callback", "event_id": event_id, "event": event}


@pytest.mark.parametrize(
    "button",
    [
        Button("Claim", Action.CLAIM, 42),
        Button("Group", Action.CHOOSE, None, "group"),
        Button("Odd", Action.PRIORITY, 7, "S1|with|pipes"),
        Button("Ack", Action.SHOW, 123456789, ""),
    ],
)
def test_button_values_round_trip(button: Button) -> None:
    assert unpack_button(pack_button(button)) == Pressed(button.action, button.ticket, button.value)


@pytest.mark.parametrize("value", ["", "hello", "2|cl|1|", "1|zz|1|", "1|cl|x|", "1|cl", "1|cl|²|"])
def test_foreign_button_values_are_ignored(value: str) -> None:
    assert unpack_button(value) is None


def test_dm_message_carries_envelope_id_profile_and_files() -> None:
    event = {
        "type": "message",
        "subtype": "file_share",
        "channel": "D1",
        "channel_type": "im",
        "user": "U1",
        "text": "see attached",
        "ts": "1.1",
        "files": [{"name": "error.png"}, {"title": "log"}],
    }
    received = translate.message_received(envelope(event), Profile("Sam", "Europe/Paris"))
    assert received.event_id == "Ev1"
    assert received.chat == ChatRef("slack", "D1", direct=True)
    assert (received.user.display_name, received.user.timezone) == ("Sam", "Europe/Paris")
    assert received.files == ("error.png", "log")
    assert received.reply_to == ""


def test_thread_reply_in_a_channel_points_at_the_card() -> None:
    event = {
        "type": "message",
        "channel": "C1",
        "channel_type": "channel",
        "user": "U2",
        "text": "hi",
        "ts": "2.2",
        "thread_ts": "1.1",
    }
    received = translate.message_received(envelope(event))
    assert received.reply_to == "1.1" and not received.chat.direct


@pytest.mark.parametrize(
    "event",
    [
        {"subtype": "message_changed", "user": "U1"},
        {"subtype": "message_deleted"},
        {"subtype": "bot_message", "bot_id": "B1"},
        {"user": "U9", "bot_id": "B9"},
        {"user": "UBOT"},
        {"subtype": "channel_join", "user": "U1"},
        {},
    ],
)
def test_edits_bots_and_self_have_no_author(event: dict) -> None:
    assert translate.message_author(event, "UBOT") is None


def test_people_writing_have_an_author() -> None:
    assert translate.message_author({"user": "U1"}, "UBOT") == "U1"
    assert translate.message_author({"user": "U1", "subtype": "thread_broadcast"}) == "U1"


def test_mention_becomes_new_in_the_dm_without_the_mention() -> None:
    body = envelope(
        {
            "type": "app_mention",
            "user": "U1",
            "channel": "C1",
            "text": "<@UBOT> printer <@UBOT|tierdesk> broken",
            "ts": "1.1",
        },
        "Ev7",
    )
    assert translate.mention_wants_intake(body["event"])
    event = translate.mention_invoked(body, Profile("Sam"), "D1")
    assert (event.name, event.args, event.chat.chat_id, event.chat.direct) == (
        "new",
        "printer  broken",
        "D1",
        True,
    )
    assert event.event_id == "Ev7"
    assert not translate.mention_wants_intake({"user": "U1", "thread_ts": "1.0"})


def block_actions(value: str, channel: str = "C1", trigger: str = "T-1") -> dict:
    return {
        "type": "block_actions",
        "user": {"id": "U2"},
        "trigger_id": trigger,
        "channel": {"id": channel},
        "container": {"channel_id": channel, "message_ts": "1.1"},
        "actions": [{"action_id": "tierdesk:0:1", "value": value, "action_ts": "3.3"}],
    }


def test_press_decodes_action_ticket_and_value_with_a_stable_id() -> None:
    value = pack_button(Button("S2", Action.PRIORITY, 5, "S2"))
    event = translate.action_pressed(block_actions(value))
    assert event is not None
    assert (event.action, event.ticket, event.value) == (Action.PRIORITY, 5, "S2")
    assert event.event_id == "act:T-1" == translate.action_pressed(block_actions(value)).event_id
    assert not event.chat.direct


def test_presses_on_foreign_buttons_are_ignored() -> None:
    body = block_actions("whatever")
    assert translate.action_pressed(body) is None
    body["actions"][0]["action_id"] = "someone_else"
    assert translate.action_pressed(body) is None


def test_text_actions_in_a_channel_ask_for_text_but_not_in_a_dm() -> None:
    escalate = pack_button(Button("Escalate", Action.ESCALATE, 3))
    in_channel = translate.action_pressed(block_actions(escalate))
    in_dm = translate.action_pressed(block_actions(escalate, channel="D1"))
    claim = translate.action_pressed(block_actions(pack_button(Button("Claim", Action.CLAIM, 3))))
    assert in_channel and translate.asks_for_text(in_channel)
    assert in_dm and not translate.asks_for_text(in_dm)
    assert claim and not translate.asks_for_text(claim)


def test_modal_submission_becomes_the_press_with_its_text() -> None:
    pressed = translate.action_pressed(
        block_actions(pack_button(Button("Resolve", Action.RESOLVE, 9)))
    )
    assert pressed is not None
    body = {
        "type": "view_submission",
        "user": {"id": "U2"},
        "view": {
            "id": "V1",
            "callback_id": translate.PROMPT_CALLBACK_ID,
            "private_metadata": translate.prompt_metadata(pressed),
            "state": {"values": {"text": {"text": {"value": "  replaced toner \n"}}}},
        },
    }
    event = translate.prompt_submitted(body, Profile("Alice"))
    assert event is not None
    assert (event.action, event.ticket, event.value, event.chat.chat_id) == (
        Action.RESOLVE,
        9,
        "replaced toner",
        "C1",
    )
    assert event.event_id == "view:V1"
    body["view"]["private_metadata"] = json.dumps({"a": "nope"})
    assert translate.prompt_submitted(body) is None


@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        ("claim 42", "claim", "42"),
        ("/queue", "queue", ""),
        ("Escalate 3 needs admin", "escalate", "3 needs admin"),
        ("my printer is broken", "new", "my printer is broken"),
        ("", "new", ""),
    ],
)
def test_slash_command_text_picks_a_desk_command_or_opens_a_ticket(
    text: str, name: str, args: str
) -> None:
    body = {"user_id": "U1", "channel_id": "C1", "text": text, "trigger_id": "T9"}
    event = translate.command_invoked(body, None, COMMANDS)
    assert (event.name, event.args, event.event_id) == (name, args, "cmd:T9")
    assert translate.command_wants_dm(event) == (name == "new")


def test_profile_prefers_display_name_then_real_name() -> None:
    user = {
        "name": "sam.s",
        "real_name": "Sam Smith",
        "tz": "America/New_York",
        "profile": {"display_name": "", "real_name": "Sam S."},
    }
    assert translate.profile_of(user) == Profile("Sam S.", "America/New_York")
    assert translate.profile_of({"name": "x"}) == Profile("x", None)


@pytest.mark.parametrize(
    ("wire", "typed"),
    [
        ("Use &lt;Ctrl&gt; &amp; P", "Use <Ctrl> & P"),
        ("&amp;lt;b&amp;gt;", "&lt;b&gt;"),  # typed entities stay as typed
        ("<!here> and <!channel>", "@here and @channel"),
        ("ask <@U024BE7LH|alice> or <@U0G9QF9C6>", "ask @alice or @U0G9QF9C6"),
        ("in <#C0123|it-help>", "in #it-help"),
        (
            "see <https://status.example|status> or <https://x.example>",
            "see status (https://status.example) or https://x.example",
        ),
    ],
)
def test_slack_wire_text_becomes_what_the_person_typed(wire: str, typed: str) -> None:
    assert translate.plain_text(wire) == typed


def test_mentions_without_a_label_are_resolved_to_names() -> None:
    raw = "ask <@U1> or <@U2|bob>, not <@U3>"
    assert translate.mentioned_users(raw) == ["U1", "U3"]
    assert translate.plain_text(raw, {"U1": "Alice"}) == "ask @Alice or @bob, not @U3"


def test_a_problem_names_whom_it_mentions_but_an_agent_command_keeps_the_id() -> None:
    names, commands = {"U2": "Bob"}, ("new", "reassign")

    def args(text: str) -> tuple[str, str]:
        body = {"text": text, "user_id": "U1", "channel_id": "C1", "trigger_id": "t"}
        event = translate.command_invoked(body, None, commands, names)
        return event.name, event.args

    assert args("printer jams, ask <@U2>") == ("new", "printer jams, ask @Bob")
    assert args("new printer jams, ask <@U2>") == ("new", "printer jams, ask @Bob")
    assert args("reassign 4 <@U2>") == ("reassign", "4 @U2")
