"""Small statistics the lead's report is made of, pure so a test can check them by hand."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0–100) by linear interpolation between closest ranks (what
    numpy's default and spreadsheets give); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def share(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent; None when there is nothing to measure."""
    return None if whole == 0 else 100.0 * part / whole


def mean(values: Sequence[float]) -> float | None:
    return None if not values else sum(values) / len(values)
