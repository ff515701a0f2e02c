"""The knowledge-base evaluation sets, built the same way for every benchmark script.

Every set follows one protocol (``shared/data/clinc150/SOURCE.md``,
``shared/data/hint3/SOURCE.md``): one article per intent, its title the intent name in
words, its keywords the first five ``train`` sentences of that intent.

``test`` asks the set's test questions (HINT3: ``NO_NODES_DETECTED`` ones are out of scope;
CLINC150: ``oos_test``). ``dev`` never reads a test file: CLINC150 asks ``val`` /
``oos_val``; a HINT3 set leaves every fourth intent's article out and asks the train
sentences after the first five of the intents it kept (in scope) and every train sentence of
the intents it left out (out of scope: in-domain questions the knowledge base has no article
for, like HINT3's own out-of-scope questions).
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.knowledge import Article


def _find_data() -> Path:
    """``shared/data`` beside the checkout (``../shared/data``), or beside a parent of it."""
    for parent in Path(__file__).resolve().parents[1:]:
        if (parent / "shared/data").is_dir():
            return parent / "shared/data"
    return Path(__file__).resolve().parents[2] / "shared/data"


DATA = _find_data()
PHRASINGS = 5
OUT_OF_SCOPE = "NO_NODES_DETECTED"
SETS = ("curekart", "powerplay11", "clinc150")
DEV_HELD_OUT = 4  # dev: every fourth intent (in order of first appearance) has no article


@dataclass(frozen=True)
class EvalSet:
    name: str
    split: str
    articles: list[Article]
    tests: list[tuple[str, str]]  # (question, right article id)
    oos: list[str]  # questions that should get no suggestion
    exposure: str  # what, if anything, was tuned on these questions


def build_articles(train: Sequence[Sequence[str]], source: str = "clinc150") -> list[Article]:
    """One article per intent: title from the intent name, first five phrasings as keywords."""
    phrasings: dict[str, list[str]] = {}
    for text, intent in train:
        bucket = phrasings.setdefault(intent, [])
        if len(bucket) < PHRASINGS:
            bucket.append(text)
    return [
        Article(
            id=intent,
            title=intent.replace("_", " ").lower(),
            body="",
            keywords=tuple(texts),
            source=source,
        )
        for intent, texts in phrasings.items()
    ]


def _read_csv(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [(row["sentence"], row["label"]) for row in csv.DictReader(handle)]


def load(name: str, split: str = "test", data: Path = DATA) -> EvalSet:
    if name == "clinc150":
        raw = json.loads((data / "clinc150/data_full.json").read_text(encoding="utf-8"))
        articles = build_articles(raw["train"])
        tests = [(text, intent) for text, intent in raw["val" if split == "dev" else "test"]]
        oos = [text for text, _ in raw["oos_val" if split == "dev" else "oos_test"]]
        exposure = (
            "val/oos_val: the ranking and gate weights were fitted on them (kb_tune.py)"
            if split == "dev"
            else "test: never tuned on (the shipped gate's operating point was set after one look)"
        )
        return EvalSet(name, split, articles, tests, oos, exposure)
    train = _read_csv(data / f"hint3/{name}_train.csv")
    articles = build_articles(train, source=name)
    if split == "test":
        rows = _read_csv(data / f"hint3/{name}_test.csv")
        tests = [(text, label) for text, label in rows if label != OUT_OF_SCOPE]
        oos = [text for text, label in rows if label == OUT_OF_SCOPE]
        return EvalSet(name, split, articles, tests, oos, "test: never tuned on")
    dropped = {a.id for i, a in enumerate(articles) if i % DEV_HELD_OUT == DEV_HELD_OUT - 1}
    kept = [a for a in articles if a.id not in dropped]
    seen: dict[str, int] = {}
    tests = []
    oos = []
    for text, label in train:
        seen[label] = seen.get(label, 0) + 1
        if label in dropped:
            oos.append(text)
        elif seen[label] > PHRASINGS:
            tests.append((text, label))
    exposure = "train (after the first five per intent): used for error analysis and tuning"
    return EvalSet(name, split, kept, tests, oos, exposure)


def typo(text: str, rng: random.Random, rate: float = 0.3) -> str:
    """``text`` as typed in a hurry: a share of its longer words get one slip (a letter
    dropped, doubled, swapped with the next or replaced by another), and now and then two
    words run together. For measuring robustness on dev questions without touching test."""
    out: list[str] = []
    for word in text.split():
        if len(word) >= 4 and word.isalpha() and rng.random() < rate:
            i = rng.randrange(1, len(word) - 1)
            kind = rng.randrange(4)
            if kind == 0:
                word = word[:i] + word[i + 1 :]
            elif kind == 1:
                word = word[:i] + word[i] + word[i:]
            elif kind == 2:
                word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            else:
                word = word[:i] + rng.choice("aeiourstnl") + word[i + 1 :]
        if out and rng.random() < rate / 6:
            out[-1] += word
        else:
            out.append(word)
    return " ".join(out)


def noisy(evalset: EvalSet, seed: int = 11) -> EvalSet:
    """The same set with every question passed through :func:`typo` (deterministic)."""
    rng = random.Random(seed)
    tests = [(typo(q, rng), gold) for q, gold in evalset.tests]
    oos = [typo(q, rng) for q in evalset.oos]
    exposure = evalset.exposure + "; seeded typos injected"
    return EvalSet(evalset.name, evalset.split + "+typos", evalset.articles, tests, oos, exposure)
