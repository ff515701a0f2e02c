"""Neutral message → terminal text. Buttons become numbered choices."""

from __future__ import annotations

from datetime import datetime

from bot.messages import Button, Message


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
    buttons: list[Button] = []
    for row in message.buttons:
        cells = []
        for button in row:
            buttons.append(button)
            cells.append(f"[{len(buttons)}] {button.label}")
        lines.append("  " + "   ".join(cells))
    return lines, buttons
