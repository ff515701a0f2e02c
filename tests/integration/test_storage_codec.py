"""The outbox's JSON encoding of messages: lossless, versioned, strict about instants."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.messages import Action, Button, Field, Message
from storage.codec import decode_message, encode_message

BERLIN = ZoneInfo("Europe/Berlin")

CARD = Message(
    text="S2 · L1 · due in 2 h",
    title="#42 VPN drops <!channel>",
    fields=(
        Field("Requester", "Alice"),
        Field("Due", datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN)),  # the repeated hour
        Field("Opened", datetime(2026, 11, 23, 9, 0, tzinfo=UTC)),
        Field("Local", datetime(2026, 11, 23, 9, 0, tzinfo=timezone(timedelta(hours=-3)))),
    ),
    quote="It *drops* — every hour 🙃",
    quote_author="Alice",
    buttons=(
        (Button("Claim", Action.CLAIM, 42), Button("Escalate", Action.ESCALATE, 42)),
        (Button("S1", Action.PRIORITY, 42, "S1"), Button("Help", Action.NEED_HELP)),
    ),
)


def _round_trip(message: Message) -> Message:
    return decode_message(json.loads(json.dumps(encode_message(message))))


def test_a_card_round_trips_through_json() -> None:
    decoded = _round_trip(CARD)
    assert decoded == CARD
    for before, after in zip(CARD.fields, decoded.fields, strict=True):
        assert type(after.value) is type(before.value)
        if isinstance(before.value, datetime):
            assert isinstance(after.value, datetime)
            assert after.value.tzinfo == before.value.tzinfo
            assert after.value.utcoffset() == before.value.utcoffset()
            assert after.value.fold == before.value.fold
    assert decoded.buttons[0][0].action is Action.CLAIM


def test_an_empty_message_round_trips() -> None:
    assert _round_trip(Message()) == Message()


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        encode_message(Message(fields=(Field("Due", datetime(2026, 1, 1)),)))


@pytest.mark.parametrize(
    "data",
    [
        {"v": 2, "text": "from the future"},
        {"text": "no version"},
        {"v": 1, "fields": [{"label": "x"}]},
        {"v": 1, "text": 5},
        {"v": 1, "buttons": [[{"label": "x", "action": "nope"}]]},
        {"v": 1, "buttons": [[{"label": "x", "action": "cl", "ticket": "42"}]]},
        {"v": 1, "fields": "not a list of fields"},
    ],
)
def test_garbage_is_refused(data: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        decode_message(data)


_text = st.text(max_size=20)
_instants = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.timezones()
)
_fields = st.builds(Field, _text, st.one_of(_text, _instants))
_buttons = st.builds(
    Button, _text, st.sampled_from(Action), st.none() | st.integers(1, 2**31), _text
)
_messages = st.builds(
    Message,
    text=_text,
    title=_text,
    fields=st.lists(_fields, max_size=4).map(tuple),
    quote=_text,
    quote_author=_text,
    buttons=st.lists(st.lists(_buttons, max_size=3).map(tuple), max_size=3).map(tuple),
)


@given(_messages)
def test_any_message_round_trips(message: Message) -> None:
    decoded = _round_trip(message)
    assert decoded == message
    for before, after in zip(message.fields, decoded.fields, strict=True):
        if isinstance(before.value, datetime):
            assert isinstance(after.value, datetime)
            assert after.value.tzinfo == before.value.tzinfo
            assert after.value.fold == before.value.fold
            assert after.value.utcoffset() == before.value.utcoffset()


def test_a_wall_time_inside_a_dst_gap_round_trips() -> None:
    """02:30 does not exist in Berlin on 2026-03-29; hypothesis found this one."""
    gap = Message(fields=(Field("Due", datetime(2026, 3, 29, 2, 30, tzinfo=BERLIN)),))
    assert _round_trip(gap) == gap
