"""Does the incident detector see an outage by its third report, and stay quiet otherwise?

A synthetic but realistic desk day, replayed through :func:`bot.knowledge.likeness.find_burst`
exactly as the desk calls it: each ticket, when opened, against every ticket opened in the
last 30 minutes (all categories in one window: the data has none, and one window is the harder
case).

- Background: ``--tickets`` requests (default 4 000) drawn without repetition from real
  questions (CLINC150 and HINT3 curekart / powerplay11), at the times of a Poisson process
  whose rate follows business hours (08-19 h busy, nights a tenth of it), from a population of
  ``tickets // 2`` requesters (so some people write twice).
- Bursts: three outages of 5, 15 and 40 reports, each from a distinct new requester, written
  in their own words: paraphrases of one CLINC150 intent, arriving uniformly over 10-20
  minutes, starting at a random time between 09:00 and 17:00. The three intents are left out of
  that day's background (an outage is a problem the desk did not have yesterday).
- Warm-up: the Likeness first ``remember``s a previous day (another draw of the same kind,
  without the bursts), as the service does after a restart.

Splits (``shared/data/*/SOURCE.md``): ``dev`` draws from CLINC150 ``train``, ``val``,
``oos_train``, ``oos_val`` and HINT3 ``train``; ``test`` from CLINC150 ``test``, ``oos_test``
and HINT3 ``test`` (30 paraphrases per intent there: the 40-report burst repeats some after its
30th report, people do write "vpn down" alike). Everything was tuned on ``dev``.

Figures per configuration (split, detector, threshold), over ``--seeds`` days: per burst, the
reports and minutes until the first proposal whose group is mostly (> half) that burst; false
proposals per 1 000 background tickets, where a proposal is a *card*: a find_burst result that
shares no ticket with an earlier proposal (one that does is the desk updating its card), false
when its group is not mostly one burst; p50 / p99 of find_burst. Beside it, same days, same
protocol: rapidfuzz ``token_set_ratio`` >= ``--reference`` (no memory).

Output: one JSON line per configuration on stdout, a readable table on stderr.
``--sweep 0.4,0.45@1e-4,...`` adds our detector at other thresholds (``@`` its surprise;
dev only: choose there); ``--reference 70,80,90`` more reference thresholds. Run from the
repository root: ``.venv/bin/python benchmarks/incident_replay.py --quick`` (2 seeds, ~10 s)
or ``--split dev`` / ``--split test`` (5 seeds, ~20 s per configuration).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the desk sets it (adapters/__init__.py)

from rapidfuzz import fuzz, utils

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from kb_sets import DATA

from bot.knowledge.likeness import DEFAULT_THRESHOLD, SURPRISE, Likeness, Report, find_burst
from bot.knowledge.vectors import default_encoder

__all__ = ["Day", "make_day", "pools", "replay"]

WINDOW = timedelta(minutes=30)
BURST_SIZES = (5, 15, 40)
DAY0 = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday; the warm-up day is the one before
REFERENCE = 80.0  # token_set_ratio threshold of the reference detector (chosen on dev)
Detector = Callable[[Report, Sequence[Report]], Sequence[Report]]


@dataclass(frozen=True)
class Pool:
    background: list[tuple[str, str]]  # (text, intent); intent "" when out of scope
    paraphrases: dict[str, list[str]]  # CLINC150 intent -> its utterances in this split


def _hint3(split: str) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for name in ("curekart", "powerplay11"):
        path = DATA / "hint3" / f"{name}_{split}.csv"
        with path.open(encoding="utf-8", newline="") as handle:
            rows += [(r["sentence"], f"{name}:{r['label']}") for r in csv.DictReader(handle)]
    return rows


def pools(split: str) -> Pool:
    """The questions a split may use (dev never reads a test file)."""
    raw = json.loads((DATA / "clinc150/data_full.json").read_text(encoding="utf-8"))
    parts = ("train", "val", "oos_train", "oos_val") if split == "dev" else ("test", "oos_test")
    clinc = [(text, intent) for part in parts for text, intent in raw[part]]
    paraphrases: dict[str, list[str]] = {}
    for text, intent in clinc:
        if intent != "oos":
            paraphrases.setdefault(intent, []).append(text)
    background = clinc + _hint3("train" if split == "dev" else "test")
    return Pool(background, paraphrases)


@dataclass
class Day:
    warmup: list[Report]
    reports: list[Report]  # the replayed day, in opening order
    burst_of: dict[int, int]  # ticket id -> burst index (0, 1, 2); background absent
    bursts: list[list[Report]]


def _busy(hour: float) -> float:
    """Relative arrival rate at an hour of the day: business hours, quiet nights."""
    if 8 <= hour < 19:
        return 1.0
    if 7 <= hour < 8 or 19 <= hour < 21:
        return 0.4
    return 0.1


def _arrivals(rng: random.Random, count: int) -> list[float]:
    """``count`` arrival hours of a Poisson process with the business-hours rate (drawn by
    thinning, so given their number they are independent with that density)."""
    out: list[float] = []
    while len(out) < count:
        hour = rng.uniform(0, 24)
        if rng.random() < _busy(hour):
            out.append(hour)
    return sorted(out)


def make_day(pool: Pool, seed: int, tickets: int) -> Day:
    rng = random.Random(seed)
    intents = sorted(i for i, texts in pool.paraphrases.items() if len(texts) >= 20)
    chosen = rng.sample(intents, len(BURST_SIZES))
    background = [q for q in pool.background if q[1] not in chosen]
    people = max(1, tickets // 2)
    next_id = 1

    def draw_day(start: datetime, texts: list[tuple[str, str]]) -> list[Report]:
        nonlocal next_id
        out: list[Report] = []
        for hour, (text, _intent) in zip(_arrivals(rng, len(texts)), texts, strict=True):
            who = f"u{rng.randrange(people)}"
            out.append(Report(next_id, who, text, start + timedelta(hours=hour)))
            next_id += 1
        return out

    shuffled = rng.sample(background, len(background))
    count = min(tickets, len(shuffled) // 2)
    warmup = draw_day(DAY0 - timedelta(days=1), shuffled[count : 2 * count])
    reports = draw_day(DAY0, shuffled[:count])
    bursts: list[list[Report]] = []
    burst_of: dict[int, int] = {}
    for index, (size, intent) in enumerate(zip(BURST_SIZES, chosen, strict=True)):
        texts = rng.sample(pool.paraphrases[intent], min(size, len(pool.paraphrases[intent])))
        while len(texts) < size:  # fewer paraphrases than reports (test): some write alike
            texts.append(rng.choice(pool.paraphrases[intent]))
        start = DAY0 + timedelta(hours=rng.uniform(9, 17))
        span = rng.uniform(10, 20)
        minutes = sorted([0.0, *(rng.uniform(0, span) for _ in range(size - 1))])
        burst = []
        for n, (text, minute) in enumerate(zip(texts, minutes, strict=True)):
            report = Report(next_id, f"b{index}-{n}", text, start + timedelta(minutes=minute))
            next_id += 1
            burst.append(report)
            burst_of[report.ticket_id] = index
        bursts.append(burst)
    everything = sorted([*reports, *(r for b in bursts for r in b)], key=lambda r: r.opened_at)
    return Day(warmup, everything, burst_of, bursts)


@dataclass
class Result:
    background: int = 0
    false_cards: int = 0
    cards: int = 0
    until: list[int | None] = field(default_factory=list)  # reports until proposed, per burst
    minutes: list[float | None] = field(default_factory=list)
    latency_ms: list[float] = field(default_factory=list)
    windows: list[int] = field(default_factory=list)  # reports in the window at each call
    false_groups: list[list[str]] = field(default_factory=list)


def replay(day: Day, detect: Detector) -> Result:
    """Open the day's tickets one by one, as the desk does, and judge each proposal."""
    window: deque[Report] = deque()
    result = Result()
    proposed_at: dict[int, tuple[int, float]] = {}
    in_card: set[int] = set()
    seen = [0] * len(day.bursts)
    for report in day.reports:
        while window and window[0].opened_at < report.opened_at - WINDOW:
            window.popleft()
        burst = day.burst_of.get(report.ticket_id)
        if burst is None:
            result.background += 1
        else:
            seen[burst] += 1
        started = time.perf_counter()
        group = detect(report, list(window))
        result.latency_ms.append((time.perf_counter() - started) * 1000)
        result.windows.append(len(window))
        window.append(report)
        if not group:
            continue
        labels = [day.burst_of.get(r.ticket_id, -1) for r in group]
        top = max(set(labels), key=labels.count)
        mostly = top if top >= 0 and labels.count(top) * 2 > len(labels) else None
        if mostly is not None and mostly not in proposed_at:
            first = day.bursts[mostly][0].opened_at
            minutes = (report.opened_at - first).total_seconds() / 60
            proposed_at[mostly] = (seen[mostly], minutes)
        ids = {r.ticket_id for r in group}
        if in_card.isdisjoint(ids):
            result.cards += 1
            if mostly is None:
                result.false_cards += 1
                if len(result.false_groups) < 3:
                    result.false_groups.append([r.text for r in group][:6])
        in_card |= ids
    for index in range(len(day.bursts)):
        hit = proposed_at.get(index)
        result.until.append(None if hit is None else hit[0])
        result.minutes.append(None if hit is None else round(hit[1], 2))
    return result


def ours(threshold: float, surprise: float = SURPRISE) -> Callable[[Day], Detector]:
    def build(day: Day) -> Detector:
        likeness = Likeness(surprise=surprise)
        likeness.remember(day.warmup)

        def detect(new: Report, recent: Sequence[Report]) -> Sequence[Report]:
            return find_burst(new, recent, likeness, threshold=threshold)

        return detect

    return build


def reference(threshold: float) -> Callable[[Day], Detector]:
    """rapidfuzz token_set_ratio >= threshold to ``new``, three distinct people, no memory."""

    def build(day: Day) -> Detector:
        processed: dict[int, str] = {}

        def text(r: Report) -> str:
            if r.ticket_id not in processed:
                processed[r.ticket_id] = utils.default_process(r.text)
            return processed[r.ticket_id]

        def detect(new: Report, recent: Sequence[Report]) -> Sequence[Report]:
            mine = text(new)
            alike = [r for r in recent if fuzz.token_set_ratio(mine, text(r)) >= threshold]
            if len({r.requester for r in alike} | {new.requester}) < 3:
                return ()
            return sorted([*alike, new], key=lambda r: (r.opened_at, r.ticket_id))

        return detect

    return build


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summarise(
    split: str,
    name: str,
    threshold: float,
    surprise: float | None,
    results: list[Result],
    seeds: list[int],
) -> dict[str, Any]:
    background = sum(r.background for r in results)
    false = sum(r.false_cards for r in results)
    per_size: dict[str, Any] = {}
    for index, size in enumerate(BURST_SIZES):
        until = [r.until[index] for r in results]
        per_size[str(size)] = {
            "reports_until": until,
            "minutes_until": [r.minutes[index] for r in results],
        }
    all_until = [u for r in results for u in r.until]
    latency = [ms for r in results for ms in r.latency_ms]
    windows = [n for r in results for n in r.windows]
    exposure = (
        "dev: thresholds and constants were chosen on these days"
        if split == "dev"
        else "test: run after the choice, nothing tuned on it"
    )
    return {
        "split": split,
        "detector": name,
        "threshold": threshold,
        "surprise": surprise,
        "seeds": seeds,
        "background": background,
        "false_proposals": false,
        "false_per_1000": round(1000 * false / max(background, 1), 2),
        "by_third_report": sum(1 for u in all_until if u is not None and u <= 3),
        "bursts": len(all_until),
        "never_proposed": sum(1 for u in all_until if u is None),
        "per_size": per_size,
        "find_burst_ms_p50": round(percentile(latency, 0.5), 3),
        "find_burst_ms_p99": round(percentile(latency, 0.99), 3),
        "window_p50_p99": [percentile(windows, q) for q in (0.5, 0.99)],
        "exposure": exposure,
    }


def _cell(values: list[Any]) -> str:
    got = [v for v in values if v is not None]
    missing = len(values) - len(got)
    text = "-" if not got else f"{statistics.median(got):g}"
    return text + (f" ({missing} never)" if missing else "")


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        f"{'split':5} {'detector':9} {'thr':>5} {'surprise':>8} {'by 3rd':>7} {'false/1k':>8}  "
        + "  ".join(f"{s:>2}: reports / min (median)" for s in BURST_SIZES)
        + "  p50/p99 ms"
    )
    lines = [head]
    for row in rows:
        sizes = "  ".join(
            f"{_cell(row['per_size'][str(s)]['reports_until']):>10} / "
            f"{_cell(row['per_size'][str(s)]['minutes_until']):<12}"
            for s in BURST_SIZES
        )
        lines.append(
            f"{row['split']:5} {row['detector']:9} {row['threshold']:>5g} "
            f"{'-' if row['surprise'] is None else format(row['surprise'], 'g'):>8} "
            f"{row['by_third_report']:>3}/{row['bursts']:<3} {row['false_per_1000']:>8.2f}  "
            f"{sizes}  {row['find_burst_ms_p50']:.2f}/{row['find_burst_ms_p99']:.2f}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "test"), default="dev")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--tickets", type=int, default=4000, help="background tickets a day")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument(
        "--reference", default=str(REFERENCE), help="token_set_ratio threshold(s), comma-separated"
    )
    parser.add_argument("--surprise", type=float, default=SURPRISE)
    parser.add_argument(
        "--sweep", default="", help="more of ours, comma-separated THRESHOLD or THRESHOLD@SURPRISE"
    )
    parser.add_argument("--quick", action="store_true", help="2 seeds (< 1 min)")
    parser.add_argument("--show-false", action="store_true", help="print false groups")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds = 2
    if args.sweep and args.split == "test":
        parser.error("--sweep is for choosing, so dev only")
    default_encoder()  # loaded once, outside the timings
    pool = pools(args.split)
    seeds = list(range(args.seeds))
    days = [make_day(pool, 1000 + seed, args.tickets) for seed in seeds]
    configs: list[tuple[str, float, float | None, Callable[[Day], Detector]]] = [
        ("ours", args.threshold, args.surprise, ours(args.threshold, args.surprise)),
    ]
    for value in (float(v) for v in args.reference.split(",") if v.strip()):
        configs.append(("reference", value, None, reference(value)))
    for item in (v.strip() for v in args.sweep.split(",") if v.strip()):
        value, _, alpha = item.partition("@")
        surprise = float(alpha) if alpha else args.surprise
        configs.append(("ours", float(value), surprise, ours(float(value), surprise)))
    rows = []
    for name, threshold, surprise, build in configs:
        results = [replay(day, build(day)) for day in days]
        row = summarise(args.split, name, threshold, surprise, results, seeds)
        print(json.dumps(row), flush=True)
        rows.append(row)
        if args.show_false:
            for result in results:
                for group in result.false_groups:
                    print(f"  false ({name} {threshold}): {group}", file=sys.stderr)
    print(table(rows), file=sys.stderr)


if __name__ == "__main__":
    main()
