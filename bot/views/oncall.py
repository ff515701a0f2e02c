"""On-call duty as people read it in chat."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.oncall import OnCall, OnCallOverride
from bot.messages import Field, Message


def on_call_now(rows: Sequence[tuple[str, OnCall | None, str]]) -> Message:
    """(tier, duty, the name of the person on duty) per tier."""
    fields = []
    for tier, duty, name in rows:
        if duty is None:
            fields.append(Field(tier, "nobody on call"))
        else:
            via = "" if duty.layer == "override" else f" ({duty.layer})"
            fields.append(Field(f"{tier}: {name}{via}, until", duty.until))
    return Message(title="On call now", fields=tuple(fields))


def took_on_call(name: str, override: OnCallOverride) -> Message:
    return Message(
        text=f"{name} is on call for {override.tier}.",
        fields=(Field("Until", override.ends_at),),
    )


def you_are_on_call(override: OnCallOverride) -> Message:
    return Message(
        text=f"You are on call for {override.tier}.", fields=(Field("Until", override.ends_at),)
    )
