"""How alike two reports are, and when a handful of them is one outage.

A storm of the same problem is written in many words ("vpn keeps dropping", "cannot reach the
VPN since 9"), so reports are compared by meaning: the static sentence vectors of
:mod:`bot.knowledge.vectors`, *centred* (the mean vector of the desk's own traffic subtracted),
so the "help me with my ..." that every request shares stops making them look alike, and
less each text's *hub* (how alike it is to its 50 nearest reports of the day, as CSLS does for
word vectors): two texts alike to everything are less alike to each other than two alike only
to each other, which is what the paraphrases of a new outage are.

Likeness alone cannot tell an outage from a routine question: thirty password resets a day
make three in half an hour ordinary. So a :class:`Likeness` remembers the last 24 hours of
reports it saw (through :func:`find_burst` or :meth:`Likeness.remember`) and
:func:`find_burst` proposes a group only when that many alike reports in the window are
improbable under a Poisson rate estimated from the day's alike reports (scaled by the share of
the day's traffic the window carries, so business hours do not look like a storm). A new topic
(nothing alike yesterday) is proposed on its third requester; a routine one needs a real surge.
``benchmarks/incident_replay.py`` measures exactly this code.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from bot.knowledge.text import analyze
from bot.knowledge.vectors import StaticEncoder, Vector, default_encoder

__all__ = ["DEFAULT_THRESHOLD", "Features", "Likeness", "Report", "find_burst"]

# Threshold, surprise, grid, pseudo-count and hub: chosen together on the replay's dev days
# (benchmarks/README.md, issue 13); none was fitted on a test split.
DEFAULT_THRESHOLD = 0.15  # score (centred cosine minus mean hub), clipped to [0, 1]
SURPRISE = 1e-3  # a group is an outage when so many alike people have p below this
LEVEL_STEP = 0.1  # yesterday is counted at the window's score floored to this grid: counting
# at the window's exact score would let the closest pair of the window set its own bar
PRIOR_ALIKE = 0.1  # pseudo-count of alike reports a day: "never seen" is not "impossible"
PRIOR_DAY = 200  # pseudo-count of reports spread evenly over the day: until a desk's memory
# holds far more, the window's share of the day is about its share of the clock (a quiet desk
# whose whole day is the window would otherwise find nothing unusual)
HUB_K = 50  # neighbours in memory that say how "ordinary" a text is
HUB_WEIGHT = 1.0  # score = cosine - HUB_WEIGHT x mean of the two texts' hubs (CSLS)
MIN_HUB = 200  # reports remembered before hubs are measured
PRIOR_HUB = 0.3  # the hub before that: a rare topic's on the dev days (ordinary ones: 0.43)
MEMORY = timedelta(hours=24)
WINDOW = timedelta(minutes=30)  # the caller's window; the share of the day's traffic it holds
MAX_MEMORY = 20_000  # reports kept at most (30 MB of float32 vectors at 384 dimensions)
MAX_CACHED = 4_096  # features kept per ticket id: a window plus what arrives while it is read
RECENTRE_EVERY = 500  # reports remembered between two refreshes of the mean vector
MIN_CENTRE = 500  # reports before the desk's own mean replaces the built-in one (varied enough)

# What every request says whatever it is about: their mean is the centre until the desk's own
# traffic (MIN_CENTRE reports) gives a better one.
_GENERIC = (
    "i need help with my account",
    "how do i do this",
    "can you help me please",
    "i have a problem with it",
    "what should i do now",
    "please help me",
    "it does not work",
    "how can i get this",
    "tell me about that",
    "i want to know how",
    "is it possible to change it",
    "why is my request not working",
    "where can i find it",
    "when will it be ready",
    "hi, i have an issue since this morning",
    "could you check this for me",
)


class Features(NamedTuple):
    """What :meth:`Likeness.compare` needs of one text, computed once per report."""

    vector: Vector  # centred unit vector (zero when the text has no known word)
    words: frozenset[str]  # analysed terms, for callers that show what the group shares
    hub: float = 0.0  # how alike it is to the day anyway: mean of its HUB_K best in memory


@dataclass(frozen=True)
class Report:
    """One opened ticket as the detector sees it."""

    ticket_id: int
    requester: str
    text: str  # summary and details in one string
    opened_at: datetime


class Likeness:
    """``score(a, b)`` in [0, 1]: the centred cosine of two reports less their mean hub (0 when
    unrelated), plus a bounded 24-hour memory of reports that tells ordinary from unusual.

    One long-lived instance per process; after a restart, :meth:`remember` the last day's
    reports so the first half hour is judged against a real day, not an empty one.
    """

    def __init__(
        self,
        encoder: StaticEncoder | None = None,
        *,
        surprise: float = SURPRISE,
        window: timedelta = WINDOW,
        memory: timedelta = MEMORY,
    ) -> None:
        self.encoder = encoder if encoder is not None else default_encoder()
        self.surprise = surprise
        self.window = window
        self.memory = max(memory, 2 * window)  # a day before the window to compare with
        self._centre: Vector = self._mean(self.encoder.encode(t) for t in _GENERIC)
        self._cache: OrderedDict[int, tuple[Vector, Features]] = OrderedDict()  # raw, features
        dims = self.encoder.dims
        self._raw: npt.NDArray[np.float32] = np.zeros((0, dims), dtype=np.float32)
        self._times = np.zeros(0, dtype=np.float64)  # POSIX seconds
        self._ids = np.zeros(0, dtype=np.int64)
        self._size = 0
        self._known: set[int] = set()
        self._since_centre = 0
        self._raw_dot_centre = np.zeros(0, dtype=np.float32)  # each memory row · centre
        self._hubs = np.zeros(0, dtype=np.float32)  # each memory row's hub when it came

    # -- comparing ---------------------------------------------------------------------------

    def features(self, text: str) -> Features:
        """The centred unit vector, the terms and the hub of ``text``."""
        return self._make(self.encoder.encode(text), text)

    def _make(self, raw: Vector, text: str) -> Features:
        vector = self._centred(raw)
        return Features(vector, frozenset(analyze(text)), self._hub(vector))

    def _hub(self, vector: Vector) -> float:
        if not vector.any():
            return 0.0
        if self._size < MIN_HUB:
            return PRIOR_HUB
        scores = self._memory_scores(vector)
        return float(np.partition(scores, -HUB_K)[-HUB_K:].mean())

    def _memory_scores(self, query: Vector) -> npt.NDArray[np.float32]:
        """Centred cosine of ``query`` (centred) with every remembered report."""
        size = self._size
        norms = np.sqrt(np.maximum(1.0 - 2.0 * self._raw_dot_centre[:size] + self._cc, 1e-12))
        scores: npt.NDArray[np.float32] = self._raw[:size] @ query - float(self._centre @ query)
        return scores / norms  # type: ignore[no-any-return]

    def compare(self, a: Features, b: Features) -> float:
        """Centred cosine minus the texts' mean hub (clipped to [0, 1]): two texts alike to
        everything are less alike to each other than two alike only to each other."""
        return max(0.0, float(np.dot(a.vector, b.vector)) - HUB_WEIGHT * (a.hub + b.hub) / 2)

    def score(self, a: str, b: str) -> float:
        return self.compare(self.features(a), self.features(b))

    def features_of(self, report: Report) -> Features:
        """:meth:`features` of a report, cached by ticket id (bounded, least recently used)."""
        return self._cached(report)[1]

    def _cached(self, report: Report) -> tuple[Vector, Features]:
        cached = self._cache.get(report.ticket_id)
        if cached is not None:
            self._cache.move_to_end(report.ticket_id)
            return cached
        raw = self.encoder.encode(report.text)
        made = (raw, self._make(raw, report.text))
        self._cache[report.ticket_id] = made
        if len(self._cache) > MAX_CACHED:
            self._cache.popitem(last=False)
        return made

    # -- memory ------------------------------------------------------------------------------

    def remember(self, reports: Iterable[Report]) -> None:
        """Add reports to the 24-hour memory (warm-up after a restart; duplicates ignored)."""
        for report in reports:
            self._add(report)

    @property
    def remembered(self) -> int:
        return self._size

    def unusual(
        self,
        new: Report,
        likeness: Sequence[float],
        least: int = 2,
        threshold: float = DEFAULT_THRESHOLD,
    ) -> bool:
        """Whether other people's reports this alike ``new`` (``likeness``: the best score of
        each other requester in the window) are improbable given the last day.

        For the j closest people (j >= ``least``), with s the j-th best score floored to the
        LEVEL_STEP grid above ``threshold``: X ~ Poisson of (reports of the day before the
        window scoring >= s, + PRIOR_ALIKE) x (the window's share of that day's reports, with
        PRIOR_DAY reports spread over the clock added to both),
        and the group is unusual when P(X >= j) < ``surprise`` for some j. Two paraphrases
        closer than anything of yesterday are news; a topic the desk sees hourly needs a real
        surge. With no day remembered, nothing is usual: every group counts as unusual (the
        detector's cold start, as before the memory existed)."""
        best = sorted(likeness, reverse=True)
        if len(best) < least:
            return False
        now = new.opened_at.timestamp()
        size = self._size
        times = self._times[:size]
        start = now - self.window.total_seconds()
        before = (times >= now - self.memory.total_seconds()) & (times < start)
        day = int(np.count_nonzero(before))
        if day == 0:
            return True
        inside = max(1, int(np.count_nonzero((times >= start) & (times <= now))))
        share = (inside + PRIOR_DAY * (self.window / self.memory)) / (day + PRIOR_DAY)
        mine = self.features_of(new)
        scores = self._memory_scores(mine.vector)
        scores -= HUB_WEIGHT * (mine.hub + self._hubs[:size]) / 2
        past = np.sort(scores[before])
        for j in range(least, len(best) + 1):
            level = best[j - 1]
            if LEVEL_STEP:
                level = threshold + LEVEL_STEP * math.floor((level - threshold) / LEVEL_STEP)
            alike = len(past) - int(np.searchsorted(past, level, side="left"))
            if _poisson_tail(j, (alike + PRIOR_ALIKE) * share) < self.surprise:
                return True
        return False

    def _add(self, report: Report) -> None:
        if report.ticket_id in self._known:
            return
        if self._size == len(self._raw):
            self._grow()
        cached = self._cache.get(report.ticket_id)  # find_burst's report: encoded already
        raw = cached[0] if cached is not None else self.encoder.encode(report.text)
        i = self._size
        self._raw[i] = raw
        self._times[i] = report.opened_at.timestamp()
        self._ids[i] = report.ticket_id
        self._raw_dot_centre[i] = float(raw @ self._centre)
        self._hubs[i] = cached[1].hub if cached is not None else self._hub(self._centred(raw))
        self._size += 1
        self._known.add(report.ticket_id)
        self._since_centre += 1
        if self._since_centre >= RECENTRE_EVERY:
            self._recentre()

    def _grow(self) -> None:
        """Double the arrays, or first drop what is older than a day (and the oldest, at the
        cap), so memory stays bounded whatever the traffic."""
        size = self._size
        if size:
            newest = float(self._times[:size].max())
            keep = np.flatnonzero(self._times[:size] >= newest - self.memory.total_seconds())
            if len(keep) >= MAX_MEMORY:
                keep = keep[np.argsort(self._times[keep], kind="stable")[-MAX_MEMORY // 2 :]]
            if len(keep) < size:
                self._compact(keep)
                if self._size < len(self._raw) // 2 or len(self._raw) >= MAX_MEMORY:
                    return
        capacity = min(MAX_MEMORY, max(256, 2 * len(self._raw)))
        for name in ("_raw", "_times", "_ids", "_raw_dot_centre", "_hubs"):
            old = getattr(self, name)
            new = np.zeros((capacity, *old.shape[1:]), dtype=old.dtype)
            new[: self._size] = old[: self._size]
            setattr(self, name, new)

    def _compact(self, keep: npt.NDArray[np.intp]) -> None:
        n = len(keep)
        dropped = set(self._ids[: self._size].tolist()) - set(self._ids[keep].tolist())
        for name in ("_raw", "_times", "_ids", "_raw_dot_centre", "_hubs"):
            array = getattr(self, name)
            array[:n] = array[keep]
        self._size = n
        self._known -= dropped

    def _recentre(self) -> None:
        """Forget what is older than a day; the mean of the rest becomes the centre (once
        there are enough); cached features were centred on the old one, so they go."""
        self._since_centre = 0
        size = self._size
        newest = float(self._times[:size].max())
        keep = np.flatnonzero(self._times[:size] >= newest - self.memory.total_seconds())
        if len(keep) < size:  # so the day's count reads one day, not two
            self._compact(keep)
        if self._size < MIN_CENTRE:
            return
        self._centre = self._mean(self._raw[: self._size])
        self._raw_dot_centre[: self._size] = self._raw[: self._size] @ self._centre
        self._cache.clear()

    # -- helpers -----------------------------------------------------------------------------

    @property
    def _cc(self) -> float:
        return float(self._centre @ self._centre)

    def _centred(self, raw: Vector) -> Vector:
        if not raw.any():
            return raw
        vector = raw - self._centre
        norm = float(np.sqrt(vector @ vector))
        return vector / norm if norm > 0 else vector  # type: ignore[no-any-return]

    @staticmethod
    def _mean(vectors: Iterable[Vector] | npt.NDArray[np.float32]) -> Vector:
        stacked = np.asarray(list(vectors) if not isinstance(vectors, np.ndarray) else vectors)
        stacked = stacked[np.abs(stacked).sum(axis=1) > 0]
        return stacked.mean(axis=0).astype(np.float32)  # type: ignore[no-any-return]


def _poisson_tail(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean)."""
    if k <= 0:
        return 1.0
    term = math.exp(-mean)
    below = term
    for i in range(1, k):
        term *= mean / i
        below += term
    return max(0.0, 1.0 - below)


def find_burst(
    new: Report,
    recent: Iterable[Report],
    likeness: Likeness,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    requesters: int = 3,
) -> Sequence[Report]:
    """``new`` and the ``recent`` reports it forms one outage with, oldest first, when they
    come from at least ``requesters`` distinct people and that many alike reports are unusual
    for the last day (see :meth:`Likeness.unusual`); else empty. One person writing three
    times is no outage. ``new`` and the window join the likeness's memory either way (the
    window too: a replica then also remembers the tickets other replicas opened)."""
    others = [r for r in recent if r.ticket_id != new.ticket_id]
    try:
        mine = likeness.features_of(new)  # cached: it is the window of later reports
        if not others or not mine.vector.any():
            return ()
        window = [likeness.features_of(r) for r in others]
        matrix = np.stack([f.vector for f in window])
        hubs = np.fromiter((f.hub for f in window), dtype=np.float32, count=len(window))
        scores = matrix @ mine.vector - HUB_WEIGHT * (hubs + mine.hub) / 2
        hits = np.flatnonzero(scores >= threshold)
        alike = [others[i] for i in hits]
        people: dict[str, float] = {}
        for i in hits:
            who = others[i].requester
            if who != new.requester:
                people[who] = max(people.get(who, 0.0), float(scores[i]))
        if len(people) + 1 < requesters:
            return ()
        if not likeness.unusual(new, list(people.values()), requesters - 1, threshold):
            return ()
        return sorted([*alike, new], key=lambda r: (r.opened_at, r.ticket_id))
    finally:
        likeness.remember(others)  # known ids are skipped; their vectors are cached
        likeness._add(new)
