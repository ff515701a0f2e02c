"""Neutral message → terminal text. Buttons become numbered choices."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.messages import Button, Message


def format_instant(instant: datetime, zone: str, now: datetime | None = None) -> str:
    """``2026-11-23 17:45 CET (in 1h 2m)``: local wall time in the reader's zone."""
    local = instant.astimezone(ZoneInfo(zone))
    text = f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
    if now is not None:
        seconds = int((instant - now).total_seconds())
        span = _span(abs(seconds))
        text += f" (in {span})" if seconds >= 0 else f" ({span} ago)"
    return text


def _span(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"


def render(
    message: Message, *, zone: str, now: datetime | None = None, first_number: int = 1
) -> tuple[list[str], list[Button]]:
    """Lines to print and the buttons in the order of their numbers."""
    lines: list[str] = []
    if message.title:
        lines.append(f"*{message.title}*")
    if message.text:
        lines.extend(message.text.splitlines())
    for field in message.fields:
        value = field.value
        shown = format_instant(value, zone, now) if isinstance(value, datetime) else value
        lines.append(f"  {field.label}: {shown}")
    if message.quote:
        if message.quote_author:
            lines.append(f"  {message.quote_author} wrote:")
        lines.extend(f"  > {line}" for line in message.quote.splitlines())
    buttons: list[Button] = []
    for row in message.buttons:
        cells = []
        for button in row:
            buttons.append(button)
            cells.append(f"[{first_number + len(buttons) - 1}] {button.label}")
        lines.append("  " + "   ".join(cells))
    return lines, buttons
