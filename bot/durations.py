"""Human durations in configuration and commands: ``90s``, ``15m``, ``1h30m``, ``3d``."""

from __future__ import annotations

import re
from datetime import timedelta

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
