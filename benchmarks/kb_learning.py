"""Does the knowledge base get better as requesters confirm answers? (issue 11, item 3)

Replays a HINT3 ``train`` split as requesters who confirm the right article: each confirmed
question beyond the five phrasings an article starts with becomes a new phrasing of that
article, masked by :func:`bot.knowledge.privacy.mask` as the desk would store it. After 0, 100
and 500 confirmations (train order, shuffled with a fixed seed; a split with fewer confirmations
stops at what it has) the ``test`` questions are asked, top-3 (gate on) and the quiet rate
measured as in ``kb_quality.py``. Only train sentences become phrasings; test is only asked.

Run from the repository root: ``.venv/bin/python benchmarks/kb_learning.py``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from kb_quality import measure, ours_ranker
from kb_sets import DATA, PHRASINGS, _read_csv, load

from bot.knowledge import KnowledgeIndex
from bot.knowledge.privacy import mask

STEPS = (0, 100, 500)


def confirmations(name: str, data: Path) -> list[tuple[str, str]]:
    """Train sentences after each intent's first five, in a seeded random order."""
    seen: dict[str, int] = {}
    extra = []
    for text, label in _read_csv(data / f"hint3/{name}_train.csv"):
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > PHRASINGS:
            extra.append((text, label))
    random.Random(11).shuffle(extra)
    return extra


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    for name in ("curekart", "powerplay11"):
        evalset = load(name, "test", args.data)
        learnt = confirmations(name, args.data)
        questions = list(dict.fromkeys([*(q for q, _ in evalset.tests), *evalset.oos]))
        for step in STEPS:
            added: dict[str, list[str]] = {}
            for text, label in learnt[:step]:
                added.setdefault(label, []).append(mask(text))
            articles = [
                replace(a, keywords=(*a.keywords, *added.get(a.id, ()))) for a in evalset.articles
            ]
            index = KnowledgeIndex(articles)
            rank = ours_ranker(index, 0.0)
            result = measure(
                {q: rank(q) for q in questions}, evalset.tests, evalset.oos, index.threshold
            )
            line = {
                "set": name,
                "confirmations": min(step, len(learnt)),
                "top3": round(result["top3"], 3),
                "quiet": round(result["quiet"], 3),
                "top3_rank": round(result["top3_rank"], 3),
                "exposure": "phrasings from train only; test asked, never tuned on",
            }
            print(json.dumps(line), flush=True)
            if step >= len(learnt):
                break


if __name__ == "__main__":
    main()
