"""How often does the knowledge base suggest the right article, and stay quiet otherwise?

CLINC150 (see ``shared/data/clinc150/SOURCE.md``): one article per intent, titled after the
intent, with its first five ``train`` utterances as keywords, built through the public API
(:class:`~bot.knowledge.Article`, :class:`~bot.knowledge.KnowledgeIndex`) so it measures the
product's own ranking. Asks every ``test`` question (is the right article first / in the first
three suggestions?) and every ``oos_test`` question (is nothing suggested?). "Ours" is exactly
what ``KnowledgeIndex.search`` returns: with ``threshold=0`` (ranking only) and with its
default threshold (what the desk shows).

Baseline, same articles: rapidfuzz ``token_set_ratio`` of the question against each article's
strings (title and phrasings, ``default_process``), best string per article. Its threshold is
picked on ``oos_val`` (half of those questions get nothing). Our weights and operating point
were fitted by ``kb_tune.py`` on ``val``/``oos_val``/``oos_train``; nothing here or there looks
at the test split to choose anything. ``--sweep`` prints our whole trade-off curve.

Run from the repository root: ``.venv/bin/python benchmarks/kb_quality.py``.
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

from bot.knowledge import DEFAULT_THRESHOLD, Article, KnowledgeIndex

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared/data/clinc150/data_full.json"
PHRASINGS = 5
Ranker = Callable[[str], list[tuple[str, float]]]  # question → [(article id, score)], best first


def build_articles(train: Sequence[Sequence[str]]) -> list[Article]:
    """One article per intent: title from the intent name, first five phrasings as keywords."""
    phrasings: dict[str, list[str]] = {}
    for text, intent in train:
        bucket = phrasings.setdefault(intent, [])
        if len(bucket) < PHRASINGS:
            bucket.append(text)
    return [
        Article(
            id=intent,
            title=intent.replace("_", " "),
            body="",
            keywords=tuple(texts),
            source="clinc150",
        )
        for intent, texts in phrasings.items()
    ]


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


def threshold_for(ranker: Ranker, oos: Sequence[str], share: float) -> float:
    """The lowest threshold at which ``share`` of the out-of-scope questions get nothing."""
    tops = sorted(max((s for _, s in ranker(q)), default=-1.0) for q in oos)
    k = round(len(tops) * share)
    return tops[k - 1] + 1e-6 if k else 0.0


def measure(
    ranker: Ranker, tests: Sequence[tuple[str, str]], oos: Sequence[str], threshold: float
) -> dict[str, float]:
    top1 = top3 = top1_any = top3_any = 0
    start = time.perf_counter()
    for question, gold in tests:
        ranked = ranker(question)
        ids = [i for i, _ in ranked]
        kept = [i for i, s in ranked if s >= threshold]
        top1_any += bool(ids) and ids[0] == gold
        top3_any += gold in ids
        top1 += bool(kept) and kept[0] == gold
        top3 += gold in kept
    quiet = sum(1 for q in oos if not [s for _, s in ranker(q) if s >= threshold])
    elapsed = time.perf_counter() - start
    n = len(tests)
    return {
        "top1": top1 / n,
        "top3": top3 / n,
        "quiet": quiet / len(oos),
        "top1_rank": top1_any / n,
        "top3_rank": top3_any / n,
        "ms": 1000 * elapsed / (n + len(oos)),
        "threshold": threshold,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--split", default="test", choices=("test", "val"))
    parser.add_argument(
        "--sweep", action="store_true", help="also print ours at thresholds 20..80 (trade-off)"
    )
    args = parser.parse_args()

    data = json.loads(args.data.read_text(encoding="utf-8"))
    articles = build_articles(data["train"])
    tests = [(text, intent) for text, intent in data[args.split]]
    oos = [text for text, _ in data[f"oos_{args.split}"]]
    oos_val = [text for text, _ in data["oos_val"]]

    index = KnowledgeIndex(articles)
    base = baseline_ranker(articles)
    results = {
        "baseline (no threshold)": measure(base, tests, oos, 0.0),
        "baseline (threshold from oos_val)": measure(
            base, tests, oos, threshold_for(base, oos_val, 0.5)
        ),
        "ours (no threshold)": measure(ours_ranker(index, 0.0), tests, oos, 0.0),
        f"ours (default threshold {DEFAULT_THRESHOLD:g})": measure(
            ours_ranker(index), tests, oos, index.threshold
        ),
    }

    print(
        f"\nKnowledge-base suggestions on CLINC150 {args.split}: {len(articles)} articles, "
        f"{len(tests)} in-scope and {len(oos)} out-of-scope questions\n"
    )
    print(f"{'':36} {'top-1':>6} {'top-3':>6} {'oos quiet':>9} {'thr':>6} {'ms/q':>6}")
    print("-" * 75)
    for name, r in results.items():
        print(
            f"{name:36} {r['top1']:6.3f} {r['top3']:6.3f} {r['quiet']:9.3f} "
            f"{r['threshold']:6.1f} {r['ms']:6.2f}"
        )
    print(
        "\ntop-1/top-3: the right article is the first / among the suggestions actually shown "
        "(a suggestion under\nthe threshold is not shown); oos quiet: out-of-scope questions "
        "with no suggestion at all."
    )
    if args.sweep:
        print(f"\n{'ours at threshold':>18} {'top-1':>6} {'top-3':>6} {'oos quiet':>9}")
        cached = {q: ours_ranker(index, 0.0)(q) for q in [*(t for t, _ in tests), *oos]}
        for threshold in range(20, 85, 5):
            r = measure(cached.__getitem__, tests, oos, float(threshold))
            print(f"{threshold:>18} {r['top1']:6.3f} {r['top3']:6.3f} {r['quiet']:9.3f}")


if __name__ == "__main__":
    main()
