"""Human durations (``90s``, ``15m``, ``1h30m``, ``3d``) and instants shown to readers."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(w|d|h|m|s)", re.IGNORECASE)
_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str | int | float) -> timedelta:
    """Parse ``"1h30m"`` (or a number of seconds); ValueError says what is wrong."""
    if isinstance(text, bool):
        raise ValueError("expected a duration like 30m, 2h or 3d")
    if isinstance(text, int | float):
        seconds = float(text)
    else:
        compact = text.strip().replace(" ", "")
        parts = _PART.findall(compact)
        if not compact or "".join(n + u for n, u in parts).lower() != compact.lower():
            raise ValueError(f'"{text}" is not a duration like 30m, 2h or 3d')
        seconds = sum(float(n) * _UNITS[u.lower()] for n, u in parts)
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """Compact rendering: ``1h 30m``, ``3d``, ``45s``."""
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return sign + (" ".join(parts[:2]) if parts else "0s")


def format_instant(instant: datetime, zone: str, now: datetime | None = None) -> str:
    """``2026-11-23 10:15 CET (in 15m)``: wall time in the reader's zone, for text chats."""
    local = instant.astimezone(ZoneInfo(zone))
    text = f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
    if now is not None:
        seconds = int((instant - now).total_seconds())
        span = _rough(abs(seconds))
        text += f" (in {span})" if seconds >= 0 else f" ({span} ago)"
    return text


def _rough(seconds: int) -> str:
    """Days and hours, hours and minutes, or minutes: precise enough for a due time."""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"
