"""Neutral message → terminal text. Buttons become numbered choices."""

from __future__ import annotations

from datetime import datetime

from bot.messages import Button, Message
from bot.views.reports import PICTURE_IN_A_FILE


def render(
    message: Message, *, zone: str, now: datetime | None = None
) -> tuple[list[str], list[Button]]:
    """Lines to print and the buttons in the order of their numbers."""
    lines: list[str] = []
    if message.title:
        lines.append(f"*{message.title}*")
    if message.text:
        lines.extend(message.text.splitlines())
    for field in message.fields:
        lines.append(f"  {field.label}: {field.shown(zone, now)}")
    if message.quote:
        if message.quote_author:
            lines.append(f"  {message.quote_author} wrote:")
        lines.extend(f"  > {line}" for line in message.quote.splitlines())
    if message.picture:
        lines.append(f"  ({PICTURE_IN_A_FILE})")
    buttons = numbered(message.buttons)
    number = {id(button): i for i, button in enumerate(buttons, 1)}
    for row in message.buttons:
        cells = [f"[{number[id(button)]}] {button.label}" for button in row]
        lines.append("  " + "   ".join(cells))
    return lines, buttons


def numbered(rows: tuple[tuple[Button, ...], ...]) -> list[Button]:
    """The buttons in the order of their numbers: a scale (a row valued "1".."n", such as
    the star rating) is numbered by its values, so typing 5 gives five stars; the other
    buttons follow in reading order."""
    scales = [row for row in rows if _is_scale(row)]
    return [b for row in scales for b in row] + [
        b for row in rows if row not in scales for b in row
    ]


def _is_scale(row: tuple[Button, ...]) -> bool:
    return len(row) > 1 and [b.value for b in row] == [str(n) for n in range(1, len(row) + 1)]
