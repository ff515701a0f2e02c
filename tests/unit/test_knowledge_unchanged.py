"""Making the index faster or smaller must not change what it suggests.

``knowledge_unchanged.json.gz`` holds, for fixed samples of CLINC150 ``train`` / ``val`` /
``oos_train`` / ``oos_val`` and HINT3 ``train`` questions (never a ``test`` split; seeded typos
added to some, plus a few hand-written and hostile ones), what the index answered *before* the
search was optimised: the suggestions shown (ids, order, scores), the five best candidates with
their ranking scores, and the gate's calibrated log-odds, on five knowledge bases — the starter
kit, the starter kit after feedback and after articles were removed and changed, and the dev
article sets of CLINC150, curekart and powerplay11 (articles stored in the fixture, so the test
needs neither ``kb/`` nor ``shared/data``). Ranking scores and log-odds must agree to 1e-6.

Re-record (only when a ranking change is intended, and say so in the commit) with
``.venv/bin/python tests/unit/test_knowledge_unchanged.py`` from the repository root.
"""

from __future__ import annotations

import gzip
import json
import math
import random
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.knowledge import Article, KnowledgeIndex
from bot.knowledge.semantic import SemanticTable

FIXTURE = Path(__file__).with_name("knowledge_unchanged.json.gz")
# Also relative: the vectors are float32, and another numpy/BLAS build sums them in another order
# (seen: 9.6807489 vs 9.6807478 on numpy 2.4.6). Rankings and shown/quiet stay exact.
TOLERANCE = 1e-6
RELATIVE = 1e-5
TOP = 5

Observation = dict[str, Any]


def observe(index: KnowledgeIndex, question: str) -> Observation:
    """What the index says about ``question``: shown suggestions, best candidates, gate."""
    shown = [[s.article.id, s.score] for s in index.search(question)]
    wide = [[s.article.id, s.score] for s in index.search(question, threshold=0, limit=TOP)]
    ranked = index._ranked(question, TOP)
    top: list[list[Any]] = []
    gate = None
    if ranked is not None:
        context, candidates = ranked
        gate = index._gate_logit(context, candidates[0]) + index.calibration.offset
        top = [[c.entry.article.id, c.rank] for c in candidates[:TOP]]
    return {"q": question, "shown": shown, "wide": wide, "top": top, "gate": gate}


def _article(data: dict[str, Any]) -> Article:
    return Article(
        id=data["id"],
        title=data["title"],
        body=data["body"],
        keywords=tuple(data["keywords"]),
        tags=tuple(data.get("tags", ())),
    )


def _article_data(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "keywords": list(article.keywords),
        "tags": list(article.tags),
    }


def build(case: dict[str, Any], cases: list[dict[str, Any]]) -> KnowledgeIndex:
    """The case's index (its articles, or those of the case named ``base``), with its
    feedback and its changes applied in order."""
    articles = (
        case.get("articles") or next(c for c in cases if c["name"] == case["base"])["articles"]
    )
    index = KnowledgeIndex([_article(a) for a in articles])
    for article_id, shown, accepted in case.get("feedback", ()):
        index.set_feedback(article_id, shown, accepted)
    for article_id in case.get("removed", ()):
        index.remove(article_id)
    for data in case.get("added", ()):
        index.add(_article(data))
    return index


def _cases() -> list[dict[str, Any]]:
    if not FIXTURE.exists():
        return []
    with gzip.open(FIXTURE, "rt", encoding="utf-8") as handle:
        cases: list[dict[str, Any]] = json.load(handle)["cases"]
    return cases


CASES = _cases()


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= max(TOLERANCE, RELATIVE * abs(b))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_suggestions_are_what_they_were_before_the_speed_up(case: dict[str, Any]) -> None:
    check(case)


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c["name"] in ("starter-kit", "clinc150-dev")],
    ids=["starter-kit", "clinc150-dev"],
)
def test_the_same_past_the_phrasing_vector_budget(
    case: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A knowledge base too large to keep its phrasings' vectors sums token products: its
    cosines differ from the kept ones in the last float32 bits, its suggestions do not."""
    monkeypatch.setattr(SemanticTable, "vector_budget", 0)
    check(case)


def check(case: dict[str, Any]) -> None:
    index = build(case, CASES)
    index.calibrate()
    assert index.calibration.offset == pytest.approx(case["offset"], abs=TOLERANCE)
    assert [a.id for a in index.articles()] == case["order"]
    for expected in case["questions"]:
        got = observe(index, expected["q"])
        where = f"{case['name']}: {expected['q']!r}"
        assert got["shown"] == expected["shown"], where
        assert got["wide"] == expected["wide"], where
        assert [c[0] for c in got["top"]] == [c[0] for c in expected["top"]], where
        for (_, rank), (_, want) in zip(got["top"], expected["top"], strict=True):
            assert _close(rank, want), (where, rank, want)
        assert _close(got["gate"], expected["gate"]), (where, got["gate"], expected["gate"])


def test_the_fixture_covers_every_case() -> None:
    names = {c["name"] for c in CASES}
    assert names >= {"starter-kit", "starter-kit-changed", "clinc150-dev", "curekart-dev"}
    assert sum(len(c["questions"]) for c in CASES) >= 500


# -- recording (run as a script, before a change that must not change the ranking) ----------

HAND_WRITTEN = [
    "vpn keeps disconnecting",
    "forgot my password",
    "my machine is sluggish",
    "the tunnel to headquarters keeps falling over",
    "printer says offline",
    "cancle my ordr pls",
    "pasword reset",
    "how do I set up 2fa on my new phone",
    "outlook not syncing since yesterday 10:30 am, ticket INC0012345",
    "Rs 200 deducted but wallet not credited 😡🙏",
    "paise wapas kab milenge",
    "musclemass gainer",
    "",
    "???",
    "<!channel> <b>help</b>",
    "\x00\x01 binary \udcff junk",
    "what's the weather on mars",
    "hello",
    "ok thanks",
]


def _long_questions(pool: list[str], rng: random.Random) -> list[str]:
    """Pasted descriptions: more than MAX_QUERY_TERMS words, and one beyond MAX_QUERY_CHARS."""
    out = [" ".join(rng.sample(pool, 8)) for _ in range(3)]
    out.append(" ".join(rng.sample(pool, 60)) + " " + "ERROR 0x80070005 " * 150)
    return out


def _rounded(seen: Observation) -> Observation:
    """Nine decimals are plenty for a 1e-6 check and keep the fixture small."""
    seen["top"] = [[i, round(rank, 9)] for i, rank in seen["top"]]
    gate = seen["gate"]
    seen["gate"] = round(gate, 9) if gate is not None and math.isfinite(gate) else gate
    return seen


def _record() -> None:  # pragma: no cover - a tool, run by hand
    root = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(root / "benchmarks"))
    from kb_sets import DATA, load, typo  # type: ignore[import-not-found]

    from bot.knowledge import load_markdown_dir

    rng = random.Random(20261206)
    clinc = json.loads((DATA / "clinc150/data_full.json").read_text(encoding="utf-8"))
    clinc_train = [q for q, _ in clinc["train"]]
    clinc_val = [q for q, _ in clinc["val"]]
    clinc_oos = [q for q, _ in clinc["oos_train"] + clinc["oos_val"]]
    sets = {name: load(name, "dev") for name in ("clinc150", "curekart", "powerplay11")}
    hint3 = {name: [q for q, _ in sets[name].tests] + sets[name].oos for name in sets}

    def sample(pool: list[str], count: int) -> list[str]:
        return rng.sample(pool, min(count, len(pool)))

    def typos(questions: list[str]) -> list[str]:
        return [typo(q, rng) for q in questions]

    starter_questions = (
        HAND_WRITTEN
        + sample(clinc_train, 60)
        + sample(clinc_val, 40)
        + sample(clinc_oos, 20)
        + sample(hint3["curekart"], 25)
        + sample(hint3["powerplay11"], 25)
        + typos(sample(clinc_train, 20))
        + _long_questions(clinc_train, rng)
    )
    kit = load_markdown_dir(root / "kb")
    kit_ids = [a.id for a in kit]
    changed_questions = HAND_WRITTEN[:8] + sample(clinc_train, 30) + typos(sample(clinc_val, 10))
    feedback = [[i, 40, 30 - 3 * n] for n, i in enumerate(sorted(rng.sample(kit_ids, 6)))]
    removed = sorted(rng.sample(kit_ids, 3))
    reworded = next(a for a in kit if a.id not in removed)
    added = [
        _article_data(
            Article(
                reworded.id,
                reworded.title + " (updated)",
                reworded.body + "\nAlso restart the computer.",
                (*reworded.keywords, "it stopped working after the update"),
                reworded.tags,
            )
        ),
        _article_data(
            Article(
                "kbsave-1",
                "Teams camera not detected",
                "Close other apps that use the camera, then restart Teams.",
                ("camera not working in teams", "webcam black in meeting"),
            )
        ),
    ]
    cases: list[dict[str, Any]] = [
        {"name": "starter-kit", "articles": [_article_data(a) for a in kit]},
        {
            "name": "starter-kit-changed",
            "base": "starter-kit",
            "feedback": feedback,
            "removed": removed,
            "added": added,
        },
    ]
    questions = {"starter-kit": starter_questions, "starter-kit-changed": changed_questions}
    for name, count in (("clinc150", 110), ("curekart", 70), ("powerplay11", 70)):
        evalset = sets[name]
        pool = [q for q, _ in evalset.tests]
        qs = sample(pool, count) + sample(evalset.oos, count // 3) + typos(sample(pool, 15))
        cases.append(
            {"name": f"{name}-dev", "articles": [_article_data(a) for a in evalset.articles]}
        )
        questions[f"{name}-dev"] = qs
    for case in cases:
        index = build(case, cases)
        index.calibrate()
        case["offset"] = index.calibration.offset
        case["order"] = [a.id for a in index.articles()]
        case["questions"] = [_rounded(observe(index, q)) for q in questions[case["name"]]]
        print(case["name"], len(case["questions"]), f"offset {case['offset']:+.3f}")
    payload = {
        "about": (
            "Expected suggestions, recorded from the index before its search was optimised. "
            "Questions from CLINC150 train/val/oos_train/oos_val (Larson et al. 2019, CC BY 3.0) "
            "and HINT3 curekart/powerplay11 train (Arora et al. 2020, ODbL 1.0 / DbCL 1.0); "
            "see tests/unit/test_knowledge_unchanged.py."
        ),
        "cases": cases,
    }
    with gzip.GzipFile(FIXTURE, "wb", mtime=0) as raw:
        raw.write(json.dumps(payload, separators=(",", ":")).encode("utf-8"))
    print(FIXTURE, FIXTURE.stat().st_size, "bytes")


if __name__ == "__main__":  # pragma: no cover
    _record()
