"""Translating real-shaped Bot API updates into desk events, without PTB running."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Update

from adapters.telegram.callback_data import StaleButton
from adapters.telegram.translate import translate
from bot.events import ActionPressed, CommandInvoked, MessageReceived
from bot.messages import Action

SAM = {"id": 501, "is_bot": False, "first_name": "Sam", "last_name": "Hill", "username": "sam_h"}
ALICE = {"id": 1001, "is_bot": False, "first_name": "Alice", "language_code": "de"}
BOT = {"id": 123456, "is_bot": True, "first_name": "Tier Desk", "username": "tierdesk_bot"}
PRIVATE = {"id": 501, "type": "private", "first_name": "Sam", "username": "sam_h"}
GROUP = {"id": -1001001, "type": "supergroup", "title": "Helpdesk L1"}


def update(**payload: Any) -> Update:
    return Update.de_json({"update_id": 10_000, **payload}, None)  # type: ignore[arg-type]


def message(
    text: str, *, chat: dict[str, Any] = PRIVATE, who: dict[str, Any] = SAM, **extra: Any
) -> Update:
    body: dict[str, Any] = {
        "message_id": 77,
        "date": 1_795_000_000,
        "chat": chat,
        "from": who,
        "text": text,
        **extra,
    }
    if text.startswith("/"):
        length = len(text.split(" ", 1)[0])
        body["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return update(message=body)


def run(u: Update) -> Any:
    return translate(u, bot_username="tierdesk_bot")


def test_private_text_is_a_direct_message_with_a_stable_event_id() -> None:
    event = run(message("my vpn keeps disconnecting"))
    assert isinstance(event, MessageReceived)
    assert event.text == "my vpn keeps disconnecting"
    assert (event.user.platform, event.user.user_id, event.user.display_name) == (
        "telegram",
        "501",
        "Sam Hill",
    )
    assert event.chat.chat_id == "501" and event.chat.direct
    assert event.event_id == "m:501:77" and event.reply_to == ""


def test_a_reply_to_a_card_in_a_group_carries_the_card_id() -> None:
    card = {"message_id": 1000, "date": 1_795_000_000, "chat": GROUP, "from": BOT, "text": "#1"}
    event = run(message("try the other gateway", chat=GROUP, who=ALICE, reply_to_message=card))
    assert isinstance(event, MessageReceived)
    assert not event.chat.direct and event.chat.chat_id == "-1001001"
    assert event.reply_to == "1000"
    assert event.event_id == "m:-1001001:77"


@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        ("/claim 42", "claim", "42"),
        ("/claim@tierdesk_bot 42", "claim", "42"),
        (
            "/Escalate@TierDesk_Bot 42 needs a firewall change",
            "escalate",
            "42 needs a firewall change",
        ),
        ("/start", "start", ""),
        ("/queue", "queue", ""),
    ],
)
def test_commands_lose_the_slash_and_the_bot_name(text: str, name: str, args: str) -> None:
    event = run(message(text, chat=GROUP, who=ALICE))
    assert isinstance(event, CommandInvoked)
    assert (event.name, event.args) == (name, args)


@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        ("/start ticket_7", "show", "7"),  # t.me/<bot>?start=ticket_7
        ("/start@TierDesk_Bot ticket_42", "show", "42"),
        ("/start ticket_", "start", "ticket_"),
        ("/start ticket_7 now", "start", "ticket_7 now"),
        ("/show ticket_7", "show", "ticket_7"),  # only /start carries a deep link
    ],
)
def test_a_deep_link_to_a_ticket_is_the_show_command(text: str, name: str, args: str) -> None:
    event = run(message(text, who=SAM))
    assert isinstance(event, CommandInvoked)
    assert (event.name, event.args) == (name, args)


def test_a_command_for_another_bot_is_not_ours() -> None:
    assert run(message("/claim@other_bot 42", chat=GROUP, who=ALICE)) is None


def test_a_button_press_is_an_action_with_its_own_event_id() -> None:
    u = update(
        callback_query={
            "id": "4382bfdwdsb323b2d9",
            "from": ALICE,
            "chat_instance": "-8123456789012345678",
            "data": "1|cl|42|",
            "message": {
                "message_id": 1000,
                "date": 1_795_000_000,
                "chat": GROUP,
                "from": BOT,
                "text": "#42",
            },
        }
    )
    event = run(u)
    assert isinstance(event, ActionPressed)
    assert (event.action, event.ticket, event.value) == (Action.CLAIM, 42, "")
    assert event.chat.chat_id == "-1001001" and not event.chat.direct
    assert event.event_id == "cb:4382bfdwdsb323b2d9"


def test_a_press_with_foreign_data_is_a_stale_button() -> None:
    u = update(callback_query={"id": "1", "from": ALICE, "chat_instance": "1", "data": "claim:42"})
    with pytest.raises(StaleButton):
        run(u)


def test_files_are_noted_by_name_and_captions_are_the_text() -> None:
    u = update(
        message={
            "message_id": 78,
            "date": 1_795_000_000,
            "chat": PRIVATE,
            "from": SAM,
            "caption": "the error",
            "document": {"file_id": "BQ", "file_unique_id": "AQ", "file_name": "error.log"},
        }
    )
    event = run(u)
    assert isinstance(event, MessageReceived)
    assert event.text == "the error" and event.files == ("error.log",)
    photo = update(
        message={
            "message_id": 79,
            "date": 1_795_000_000,
            "chat": PRIVATE,
            "from": SAM,
            "photo": [
                {"file_id": "a", "file_unique_id": "a", "width": 90, "height": 60},
                {"file_id": "b", "file_unique_id": "b", "width": 1280, "height": 853},
            ],
        }
    )
    event = run(photo)
    assert isinstance(event, MessageReceived)
    assert event.text == "" and event.files == ("photo 1280×853",)


def test_what_means_nothing_to_the_desk_is_dropped() -> None:
    assert run(message("hello", who=BOT)) is None  # another bot
    joined = {
        "message_id": 80,
        "date": 1_795_000_000,
        "chat": GROUP,
        "from": ALICE,
        "new_chat_members": [ALICE],
    }
    assert run(update(message=joined)) is None
    edited = {
        "message_id": 77,
        "date": 1_795_000_000,
        "edit_date": 1_795_000_100,
        "chat": PRIVATE,
        "from": SAM,
        "text": "x",
    }
    assert run(update(edited_message=edited)) is None
