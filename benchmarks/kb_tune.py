"""Fit the knowledge index's ranking and gate weights on CLINC150 ``val`` (never ``test``).

Builds the same 150 articles as ``kb_quality.py``, collects the features the product computes
(``KnowledgeIndex._ranked``) for every ``val``, ``oos_val`` and ``oos_train`` question, then fits,
in pure Python (Newton's method, a handful of weights each):

1. **Ranking**: a listwise softmax over each question's shortlist, maximising the probability
   of the right article (questions whose right article is not shortlisted are left out).
2. **Gate**: a logistic regression on the best candidate after that ranking; positives are
   ``val`` questions whose right article is among the first three, negatives the out-of-scope
   ones (``oos_val`` + ``oos_train``, weighted to count as much as the in-scope ones). The bias
   is then moved so that probability 0.5 leaves ``--quiet`` of those out-of-scope questions
   without a suggestion, which makes ``DEFAULT_THRESHOLD = 50`` the chosen operating point.

Prints the constants to paste into ``bot/knowledge/index.py`` and the val figures they give,
for a few follower margins and, with the same gate weights, at a few out-of-scope shares (the
trade-off the bias chooses from). Run from the repository root: ``.venv/bin/python
benchmarks/kb_tune.py`` (about ten seconds).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from kb_quality import DEFAULT_DATA, build_articles

from bot.knowledge import KnowledgeIndex
from bot.knowledge.index import FEATURES, Tuning

Vector = list[float]


@dataclass
class Asked:
    """One question's shortlist as the product sees it."""

    gold: str  # "oos" for out-of-scope
    ids: list[str]
    features: list[tuple[float, ...]]  # FEATURES per candidate
    gate_rest: list[tuple[float, ...]]  # gate features after the ranking score, per candidate


def collect(index: KnowledgeIndex, pairs: Sequence[Sequence[str]]) -> list[Asked | None]:
    out: list[Asked | None] = []
    for text, intent in pairs:
        ranked = index._ranked(text)
        if ranked is None:
            out.append(None)
            continue
        context, candidates = ranked
        out.append(
            Asked(
                intent,
                [c.entry.article.id for c in candidates],
                [c.features for c in candidates],
                [index._gate_features(context, c)[1:] for c in candidates],
            )
        )
    return out


# -- tiny linear algebra and Newton's method ------------------------------------------------


def solve(a: list[Vector], b: Vector) -> Vector:
    """Gaussian elimination with partial pivoting (a is small and positive definite)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(col + 1, n):
            f = m[r][col] / m[col][col]
            for c in range(col, n + 1):
                m[r][c] -= f * m[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][c] * x[c] for c in range(r + 1, n))) / m[r][r]
    return x


Objective = Callable[[Vector], tuple[float, Vector, list[Vector]]]


def newton(objective: Objective, dim: int, iterations: int = 30) -> Vector:
    """Minimise a smooth convex objective returning (value, gradient, Hessian)."""
    w = [0.0] * dim
    value, grad, hess = objective(w)
    for _ in range(iterations):
        step = solve(hess, grad)
        t = 1.0
        while t > 1e-4:
            trial = [wi - t * si for wi, si in zip(w, step, strict=True)]
            trial_value, trial_grad, trial_hess = objective(trial)
            if trial_value <= value:
                break
            t /= 2
        else:
            break
        done = value - trial_value < 1e-9
        w, value, grad, hess = trial, trial_value, trial_grad, trial_hess
        if done:
            break
    return w


def softmax_objective(groups: list[tuple[list[tuple[float, ...]], int]], l2: float) -> Objective:
    n = len(groups)

    def objective(w: Vector) -> tuple[float, Vector, list[Vector]]:
        d = len(w)
        value = l2 * sum(x * x for x in w)
        grad = [2 * l2 * x for x in w]
        hess = [[2 * l2 * (i == j) for j in range(d)] for i in range(d)]
        for rows, gold in groups:
            scores = [sum(wi * xi for wi, xi in zip(w, row, strict=True)) for row in rows]
            top = max(scores)
            exps = [math.exp(s - top) for s in scores]
            z = sum(exps)
            p = [e / z for e in exps]
            value += (math.log(z) + top - scores[gold]) / n
            mean = [sum(pk * row[i] for pk, row in zip(p, rows, strict=True)) for i in range(d)]
            for i in range(d):
                grad[i] += (mean[i] - rows[gold][i]) / n
            for pk, row in zip(p, rows, strict=True):
                centred = [row[i] - mean[i] for i in range(d)]
                for i in range(d):
                    ci = pk * centred[i] / n
                    for j in range(d):
                        hess[i][j] += ci * centred[j]
        return value, grad, hess

    return objective


def logistic_objective(
    rows: list[tuple[float, ...]], labels: list[int], weights: list[float], l2: float
) -> Objective:
    total = sum(weights)

    def objective(w: Vector) -> tuple[float, Vector, list[Vector]]:
        d = len(w)  # last weight is the bias (not regularised)
        value = l2 * sum(x * x for x in w[:-1])
        grad = [2 * l2 * x for x in w[:-1]] + [0.0]
        hess = [[2 * l2 * (i == j and i < d - 1) for j in range(d)] for i in range(d)]
        for row, y, weight in zip(rows, labels, weights, strict=True):
            x = (*row, 1.0)
            z = sum(wi * xi for wi, xi in zip(w, x, strict=True))
            p = 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
            c = weight / total
            value -= c * (y * math.log(max(p, 1e-12)) + (1 - y) * math.log(max(1 - p, 1e-12)))
            for i in range(d):
                grad[i] += c * (p - y) * x[i]
                for j in range(d):
                    hess[i][j] += c * p * (1 - p) * x[i] * x[j]
        return value, grad, hess

    return objective


# -- fitting -----------------------------------------------------------------------------------


def dot(w: Sequence[float], x: Sequence[float]) -> float:
    return sum(a * b for a, b in zip(w, x, strict=True))


def rank_order(asked: Asked, weights: Vector) -> list[int]:
    scores = [dot(weights, f) for f in asked.features]
    return sorted(range(len(scores)), key=lambda i: -scores[i])


def fit_ranking(asked: list[Asked | None], l2: float) -> Vector:
    groups = [(a.features, a.ids.index(a.gold)) for a in asked if a is not None and a.gold in a.ids]
    return newton(softmax_objective(groups, l2), len(FEATURES))


def gate_row(asked: Asked, weights: Vector) -> tuple[tuple[float, ...], list[str], list[float]]:
    order = rank_order(asked, weights)
    ranks = [dot(weights, asked.features[i]) for i in order]
    best = order[0]
    return (ranks[0], *asked.gate_rest[best]), [asked.ids[i] for i in order], ranks


def fit_gate(
    inscope: list[Asked | None], oos: list[Asked | None], weights: Vector, l2: float
) -> Vector:
    rows: list[tuple[float, ...]] = []
    labels: list[int] = []
    row_weights: list[float] = []
    pos = [a for a in inscope if a is not None]
    neg = [a for a in oos if a is not None]
    for group, label, w in ((pos, 1, 1.0), (neg, 0, len(pos) / max(1, len(neg)))):
        for a in group:
            row, ids, _ = gate_row(a, weights)
            rows.append(row)
            labels.append(int(label == 1 and a.gold in ids[:3]))
            row_weights.append(w)
    return newton(logistic_objective(rows, labels, row_weights, l2), len(rows[0]) + 1)


def gate_logits(asked: list[Asked | None], weights: Vector, gate: Vector) -> list[float]:
    out = []
    for a in asked:
        if a is None:
            out.append(-math.inf)
            continue
        row, _, _ = gate_row(a, weights)
        out.append(dot(gate, (*row, 1.0)))
    return out


def bias_for_quiet(logits: list[float], share: float) -> float:
    """The bias shift that leaves ``share`` of these questions under 0 (no suggestion)."""
    ordered = sorted(logits)
    k = max(1, round(len(ordered) * share))
    lo = ordered[k - 1]
    hi = ordered[k] if k < len(ordered) else lo + 1.0
    return -(lo + hi) / 2 if math.isfinite(lo) else -hi + 0.5


def shown(a: Asked | None, weights: Vector, gate: Vector, margin: float, slope: float) -> list[str]:
    if a is None:
        return []
    row, ids, ranks = gate_row(a, weights)
    logit = dot(gate, (*row, 1.0))
    out = []
    for article, rank in zip(ids[:3], ranks[:3], strict=False):
        if logit - slope * max(0.0, ranks[0] - rank - margin) < 0:
            break
        out.append(article)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--quiet", type=float, default=0.65, help="oos share left with nothing")
    parser.add_argument("--l2", type=float, default=1e-3)
    args = parser.parse_args()

    data = json.loads(args.data.read_text(encoding="utf-8"))
    index = KnowledgeIndex(build_articles(data["train"]))
    tuning = Tuning()
    val = collect(index, data["val"])
    oos_val, oos_train = collect(index, data["oos_val"]), collect(index, data["oos_train"])
    oos = oos_val + oos_train

    weights = fit_ranking(val, args.l2)
    gate = fit_gate(val, oos, weights, args.l2)
    gate[-1] += bias_for_quiet(gate_logits(oos, weights, gate), args.quiet)

    n = len(val)
    rank_top1 = sum(1 for a in val if a and gate_row(a, weights)[1][0] == a.gold) / n
    rank_top3 = sum(1 for a in val if a and a.gold in gate_row(a, weights)[1][:3]) / n
    print(f"ranking on val (no gate): top-1 {rank_top1:.3f}  top-3 {rank_top3:.3f}")
    print(f"{'margin':>6} {'slope':>5} | {'top-1':>6} {'top-3':>6} {'quiet':>6} {'shown':>6}")
    for margin in (0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 100.0):
        slope = tuning.follow_slope
        lists = [shown(a, weights, gate, margin, slope) for a in val]
        top1 = sum(1 for a, s in zip(val, lists, strict=True) if a and s[:1] == [a.gold]) / n
        top3 = sum(1 for a, s in zip(val, lists, strict=True) if a and a.gold in s) / n
        quiet = sum(1 for a in oos if not shown(a, weights, gate, margin, slope)) / len(oos)
        mean = sum(len(s) for s in lists if s) / max(1, sum(1 for s in lists if s))
        print(f"{margin:6.1f} {slope:5.1f} | {top1:6.3f} {top3:6.3f} {quiet:6.3f} {mean:6.2f}")

    # The trade-off the bias chooses from: the same gate weights at other out-of-scope shares.
    print(f"\n{'oos quiet (200)':>15} | {'top-3':>6}  (margin {tuning.follow_margin:g})")
    logits = gate_logits(oos, weights, gate)
    for share in sorted({0.5, 0.55, 0.6, args.quiet, 0.7}):
        moved = [*gate[:-1], gate[-1] + bias_for_quiet(logits, share)]
        lists = [shown(a, weights, moved, tuning.follow_margin, tuning.follow_slope) for a in val]
        top3 = sum(1 for a, s in zip(val, lists, strict=True) if a and a.gold in s) / n
        print(f"{share:15.2f} | {top3:6.3f}")

    # How far a quiet rate set on one out-of-scope split carries to the other (the margin).
    print(f"\n{'gate tuned on':>13} | {'quiet there':>11} | {'held-out quiet':>14}")
    for name, tune, held in (("oos_train", oos_train, oos_val), ("oos_val", oos_val, oos_train)):
        fitted = fit_gate(val, tune, weights, args.l2)
        logits = gate_logits(tune, weights, fitted)
        for share in (0.6, args.quiet):
            moved = [*fitted[:-1], fitted[-1] + bias_for_quiet(logits, share)]
            margin, slope = tuning.follow_margin, tuning.follow_slope
            quiet = sum(1 for a in held if not shown(a, weights, moved, margin, slope))
            print(f"{name:>13} | {share:11.2f} | {quiet / len(held):14.2f}")

    print("\n# paste into bot/knowledge/index.py")
    print(f"RANK_WEIGHTS = ({', '.join(f'{w:.2f}' for w in weights)})")
    print(f"GATE_WEIGHTS = ({', '.join(f'{w:.3f}' for w in gate[:-1])})")
    print(f"GATE_BIAS = {gate[-1]:.3f}")


if __name__ == "__main__":
    main()
