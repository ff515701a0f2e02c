"""How alike two reports are, and when a handful of them is one outage.

A storm of the same problem is written in many words ("vpn keeps dropping", "cannot reach the
VPN since 9"), so the knowledge base's engine compares them: the static sentence vectors for
meaning plus the shared stemmed words. Pure functions over text; the incident service decides
what a burst means for the desk, ``benchmarks/incident_replay.py`` measures the same code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from bot.knowledge.text import analyze
from bot.knowledge.vectors import StaticEncoder, Vector, default_encoder

__all__ = ["DEFAULT_THRESHOLD", "Likeness", "Report", "find_burst"]

DEFAULT_THRESHOLD = 0.5  # both halves agree: same meaning, some words in common


@dataclass(frozen=True)
class Report:
    """One opened ticket as the detector sees it."""

    ticket_id: int
    requester: str
    text: str  # summary, details and category in one string
    opened_at: datetime


class Likeness:
    """``score(a, b)`` in [0, 1]: how surely two reports describe the same problem."""

    def __init__(self, encoder: StaticEncoder | None = None) -> None:
        self.encoder = encoder if encoder is not None else default_encoder()

    def features(self, text: str) -> tuple[Vector, frozenset[str]]:
        """What :meth:`compare` needs of one text (computed once per report)."""
        return self.encoder.encode(text), frozenset(analyze(text))

    def compare(self, a: tuple[Vector, frozenset[str]], b: tuple[Vector, frozenset[str]]) -> float:
        meaning = max(0.0, float(np.dot(a[0], b[0])))
        words_a, words_b = a[1], b[1]
        shared = (
            len(words_a & words_b) / min(len(words_a), len(words_b)) if words_a and words_b else 0
        )
        return 0.7 * meaning + 0.3 * shared

    def score(self, a: str, b: str) -> float:
        return self.compare(self.features(a), self.features(b))


def find_burst(
    new: Report,
    recent: Iterable[Report],
    likeness: Likeness,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    requesters: int = 3,
) -> Sequence[Report]:
    """``new`` and the ``recent`` reports alike it, oldest first, when they come from at least
    ``requesters`` distinct people; else empty (one person writing three times is no outage)."""
    mine = likeness.features(new.text)
    alike = [r for r in recent if likeness.compare(mine, likeness.features(r.text)) >= threshold]
    group = sorted([*alike, new], key=lambda r: (r.opened_at, r.ticket_id))
    if len({r.requester for r in group}) < requesters:
        return ()
    return group
