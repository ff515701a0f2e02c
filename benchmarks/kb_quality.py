"""How often does the knowledge base suggest the right article, and stay quiet otherwise?

Every set of ``shared/data`` (HINT3 curekart and powerplay11, CLINC150; see ``kb_sets.py``),
built through the public API (:class:`~bot.knowledge.Article`,
:class:`~bot.knowledge.KnowledgeIndex`) so it measures the product's own ranking and its own
per-knowledge-base gate. For each in-scope question: is the right article first / among the
suggestions shown? For each out-of-scope question: is nothing shown? "Ours" is exactly what
``KnowledgeIndex.search`` returns, at its default threshold (what the desk shows) and at
threshold 0 (ranking only, ``*_rank``).

Baseline, same articles, same run: rapidfuzz ``token_set_ratio`` of the question against each
article's strings (title and phrasings, ``default_process``), best string per article, no
threshold (it always answers, so it is never quiet).

Prints one JSON line per set, with the exposure of its questions (what was tuned on them).
``--split test`` (default) asks the test questions, which nothing was fitted on; ``--split dev``
asks only train / val questions (for tuning and error analysis). ``--sweep`` adds our top-3 and
quiet rate at other thresholds. Run from the repository root:
``.venv/bin/python benchmarks/kb_quality.py`` (about 30 s for the three sets).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from rapidfuzz import fuzz, process, utils

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from kb_sets import DATA, SETS, EvalSet, build_articles, load, noisy

from bot.knowledge import Article, KnowledgeIndex

__all__ = ["DEFAULT_DATA", "baseline_ranker", "build_articles", "measure", "ours_ranker"]

DEFAULT_DATA = DATA / "clinc150/data_full.json"
Ranker = Callable[[str], list[tuple[str, float]]]  # question → [(article id, score)], best first


def baseline_ranker(articles: Sequence[Article]) -> Ranker:
    strings: list[str] = []
    owners: list[str] = []
    for article in articles:
        for text in (article.title, *article.keywords):
            strings.append(text)
            owners.append(article.id)

    def rank(question: str) -> list[tuple[str, float]]:
        best: dict[str, float] = {}
        hits = process.extract(
            question,
            strings,
            scorer=fuzz.token_set_ratio,
            processor=utils.default_process,
            limit=len(strings),
        )
        for _, score, i in hits:
            if score > best.get(owners[i], -1.0):
                best[owners[i]] = score
        return sorted(best.items(), key=lambda item: item[1], reverse=True)[:3]

    return rank


def ours_ranker(index: KnowledgeIndex, threshold: float | None = None) -> Ranker:
    """What the product shows: ``search`` with its own threshold rule (default: the index's)."""

    def rank(question: str) -> list[tuple[str, float]]:
        found = index.search(question, threshold=threshold, limit=3)
        return [(s.article.id, s.score) for s in found]

    return rank


def measure(
    ranked: dict[str, list[tuple[str, float]]],
    tests: Sequence[tuple[str, str]],
    oos: Sequence[str],
    threshold: float,
) -> dict[str, float]:
    """Top-1/top-3 over what is shown at ``threshold`` (and over the ranking alone), quiet rate."""
    top1 = top3 = top1_any = top3_any = 0
    for question, gold in tests:
        ids = [i for i, _ in ranked[question]]
        kept = [i for i, s in ranked[question] if s >= threshold]
        top1_any += bool(ids) and ids[0] == gold
        top3_any += gold in ids
        top1 += bool(kept) and kept[0] == gold
        top3 += gold in kept
    quiet = sum(1 for q in oos if not [s for _, s in ranked[q] if s >= threshold])
    n = max(1, len(tests))
    return {
        "top1": top1 / n,
        "top3": top3 / n,
        "quiet": quiet / max(1, len(oos)),
        "top1_rank": top1_any / n,
        "top3_rank": top3_any / n,
    }


def run_set(evalset: EvalSet, sweep: bool = False) -> dict[str, object]:
    start = time.perf_counter()
    index = KnowledgeIndex(evalset.articles)
    index.search("warm up")  # the gate calibrates itself on the first search
    build_s = time.perf_counter() - start
    questions = list(dict.fromkeys([*(q for q, _ in evalset.tests), *evalset.oos]))
    ours = ours_ranker(index, 0.0)
    start = time.perf_counter()
    ranked = {q: ours(q) for q in questions}
    ms = 1000 * (time.perf_counter() - start) / max(1, len(questions))
    base = baseline_ranker(evalset.articles)
    baseline = measure({q: base(q) for q in questions}, evalset.tests, evalset.oos, 0.0)
    result = measure(ranked, evalset.tests, evalset.oos, index.threshold)
    line: dict[str, object] = {
        "set": evalset.name,
        "split": evalset.split,
        "articles": len(evalset.articles),
        "in_scope": len(evalset.tests),
        "out_of_scope": len(evalset.oos),
        "baseline_top1": round(baseline["top1"], 3),
        "baseline_top3": round(baseline["top3"], 3),
        **{key: round(value, 3) for key, value in result.items()},
        "threshold": index.threshold,
        "ms_per_question": round(ms, 2),
        "build_s": round(build_s, 2),
        "exposure": evalset.exposure,
    }
    if sweep:
        curve = {}
        for threshold in range(20, 85, 5):
            r = measure(ranked, evalset.tests, evalset.oos, float(threshold))
            curve[str(threshold)] = [round(r["top3"], 3), round(r["quiet"], 3)]
        line["sweep_top3_quiet"] = curve
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the shared/data folder")
    parser.add_argument("--split", default="test", choices=("test", "dev"))
    parser.add_argument("--set", action="append", choices=SETS, help="only this set (repeatable)")
    parser.add_argument("--sweep", action="store_true", help="also top-3/quiet at 20..80")
    parser.add_argument("--typos", action="store_true", help="inject seeded typos (robustness)")
    args = parser.parse_args()
    for name in args.set or SETS:
        evalset = load(name, args.split, args.data)
        if args.typos:
            evalset = noisy(evalset)
        print(json.dumps(run_set(evalset, args.sweep)), flush=True)


if __name__ == "__main__":
    main()
