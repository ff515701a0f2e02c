"""The lead's report as data, and the small statistics it is made of (pure, so a test can check
them by hand). :mod:`bot.services.reports` computes it; views and renderers read it."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime


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


@dataclass(frozen=True, slots=True)
class Figures:
    """The figures of one period and one group of tickets (``label``; "all" for all)."""

    label: str
    opened: int
    resolved: int
    backlog: int
    response_met: float | None  # percent
    resolution_met: float | None
    update_met: float | None
    response_median: float | None  # business hours
    response_p90: float | None
    resolution_median: float | None
    resolution_p90: float | None
    breaches: int
    pings: int
    escalated: Mapping[str, float | None]  # tier → percent of its tickets passed on
    deflection: float | None
    reopen_rate: float | None
    rated: float | None  # percent of resolved tickets with a rating
    rating_mean: float | None
    ratings: tuple[int, int, int, int, int]  # how many 1s … 5s

    def row(self) -> dict[str, object]:
        """Flat, in a stable column order: what a table, CSV and JSON carry."""
        flat: dict[str, object] = {
            "group": self.label,
            "opened": self.opened,
            "resolved": self.resolved,
            "backlog": self.backlog,
            "response_met_pct": _round(self.response_met),
            "resolution_met_pct": _round(self.resolution_met),
            "update_met_pct": _round(self.update_met),
            "response_median_h": _round(self.response_median, 2),
            "response_p90_h": _round(self.response_p90, 2),
            "resolution_median_h": _round(self.resolution_median, 2),
            "resolution_p90_h": _round(self.resolution_p90, 2),
            "breaches": self.breaches,
            "pings": self.pings,
        }
        for tier, rate in self.escalated.items():
            flat[f"escalated_{tier}_pct"] = _round(rate)
        flat |= {
            "deflection_pct": _round(self.deflection),
            "reopen_pct": _round(self.reopen_rate),
            "rated_pct": _round(self.rated),
            "rating_mean": _round(self.rating_mean, 2),
        }
        for score, count in enumerate(self.ratings, start=1):
            flat[f"rated_{score}"] = count
        return flat


@dataclass(frozen=True, slots=True)
class Week:
    """One week of the period (clipped to it), for the trend pictures."""

    start: datetime
    label: str  # "2026-W47"
    total: Figures
    by_priority: Mapping[str, Figures]
    backlog_by_tier: Mapping[str, int]
    days: float = 7.0  # less for a week the period cuts

    @property
    def short(self) -> str:
        """``W47``, or ``W47 (3d)`` for a week the period cuts."""
        week = self.label.split("-")[-1]
        return week if self.days >= 6.99 else f"{week} ({self.days:.0f}d)"


@dataclass(frozen=True, slots=True)
class IncidentFigures:
    """Major incidents of one period (see the module's definitions)."""

    proposed: int
    declared: int
    dismissed: int
    resolved: int
    proposals_per_1000: float | None  # proposals per 1 000 tickets opened
    declare_median_min: float | None
    resolve_median_h: float | None
    tickets_per_incident: float | None

    def row(self) -> dict[str, object]:
        return {
            "incidents_proposed": self.proposed,
            "incidents_declared": self.declared,
            "incidents_dismissed": self.dismissed,
            "incidents_resolved": self.resolved,
            "proposals_per_1000_tickets": _round(self.proposals_per_1000, 2),
            "time_to_declare_median_min": _round(self.declare_median_min),
            "time_to_resolve_median_h": _round(self.resolve_median_h, 2),
            "tickets_per_incident": _round(self.tickets_per_incident, 1),
        }


@dataclass(frozen=True, slots=True)
class Report:
    start: datetime
    end: datetime
    by: str  # "" or one of GROUPINGS
    total: Figures
    groups: tuple[Figures, ...]
    weeks: tuple[Week, ...]
    # (priority, business hours to resolve, target hours) of each ticket resolved in it
    resolution_times: tuple[tuple[str, float, float], ...] = field(default=())
    incidents: IncidentFigures | None = None


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)
