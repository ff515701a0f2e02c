"""Telegram callback data: versioned, compact, ≤ 64 bytes, and it round-trips."""

from __future__ import annotations

import pytest

from adapters.telegram.callback_data import (
    MAX_BYTES,
    LongValues,
    StaleButton,
    decode,
    encode,
)
from bot.messages import Action, Button

VALUES = ["", "group", "S2", "5.2", "password-reset", "a|b|c", "ünïcødé", "★★★"]


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("ticket", [None, 1, 42, 999_999_999])
def test_every_action_round_trips_generically(action: Action, ticket: int | None) -> None:
    for value in VALUES:
        data = encode(Button("label", action, ticket, value))
        assert len(data.encode("utf-8")) <= MAX_BYTES
        decoded = decode(data)
        assert (decoded.action, decoded.ticket, decoded.value) == (action, ticket, value)


def test_format_is_compact_and_versioned() -> None:
    assert encode(Button("Claim", Action.CLAIM, 42)) == "1|cl|42|"
    assert encode(Button("A group", Action.CHOOSE, value="group")) == "1|ch||group"


@pytest.mark.parametrize(
    "value", ["x" * 49, "x" * 500, "é" * 40, "~starts-with-the-digest-mark", "🙂" * 20]
)
def test_long_values_travel_as_a_digest_within_64_bytes(value: str) -> None:
    registry = LongValues()
    data = encode(Button("This solved it", Action.SOLVED, 123_456_789, value), registry)
    assert len(data.encode("utf-8")) <= MAX_BYTES
    assert decode(data, registry).value == value


def test_a_long_value_without_a_registry_is_refused_not_cut() -> None:
    with pytest.raises(ValueError, match="too long"):
        encode(Button("x", Action.SOLVED, value="y" * 100))


def test_a_forgotten_long_value_is_a_stale_button_not_a_wrong_one() -> None:
    data = encode(Button("x", Action.SOLVED, value="y" * 100), LongValues())
    with pytest.raises(StaleButton):
        decode(data, LongValues())  # e.g. after a restart


def test_registry_is_bounded() -> None:
    registry = LongValues(capacity=2)
    first = encode(Button("x", Action.CHOOSE, value="a" * 80), registry)
    encode(Button("x", Action.CHOOSE, value="b" * 80), registry)
    encode(Button("x", Action.CHOOSE, value="c" * 80), registry)
    assert len(registry) == 2
    with pytest.raises(StaleButton):
        decode(first, registry)


@pytest.mark.parametrize(
    "data", ["", "garbage", "0|cl|42|", "2|cl|42|", "1|zz|1|", "1|cl|4x|", "1|cl|42", "1|cl|٤٢|"]
)
def test_foreign_or_old_data_is_a_stale_button(data: str) -> None:
    with pytest.raises(StaleButton):
        decode(data)
