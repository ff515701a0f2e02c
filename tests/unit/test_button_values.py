"""A packed button value is only trusted when the desk could have packed it: a known
action and a ticket number a database column can hold."""

from __future__ import annotations

import pytest

from bot.messages import MAX_TICKET, Action, Button, Pressed, pack_button, unpack_button


def test_the_largest_ticket_number_round_trips() -> None:
    packed = pack_button(Button("Claim", Action.CLAIM, MAX_TICKET))
    assert unpack_button(packed) == Pressed(Action.CLAIM, MAX_TICKET, "")


@pytest.mark.parametrize(
    "value",
    [
        f"1|cl|{MAX_TICKET + 1}|",
        "1|cl|99999999999999999999|",
        "1|cl|0|",
        "1|cl|00000000001|",
        "1|cl|-1|",
        "1|cl|１|",  # a full-width digit
        "1|xx|1|",
        "9|cl|1|",
        "1|cl",
    ],
)
def test_values_the_desk_never_packed_are_refused(value: str) -> None:
    assert unpack_button(value) is None
