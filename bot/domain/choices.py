"""Understanding free text where a choice was offered ("just me", "2", "asap")."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process


@dataclass(frozen=True, slots=True)
class Choice:
    """An answer offered in the intake; ``aliases`` help match free text to it."""

    key: str
    label: str
    aliases: tuple[str, ...] = ()


_WORD = re.compile(r"[\w']+")


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


_LABEL_PARTS = re.compile(r",|&|/|\band\b")


def _phrases(choice: Choice) -> list[str]:
    """What may name ``choice`` inside a sentence: its label, the parts of a label like
    "Network, VPN & Wi-Fi", and its aliases; one letter ("i") only as a whole answer."""
    parts = [choice.label, *_LABEL_PARTS.split(choice.label), *choice.aliases]
    return [p for p in map(_norm, parts) if len(p) > 1]


def mentioned(text: str, choices: Sequence[Choice]) -> Choice | None:
    """The one choice whose label, label part or alias appears as a phrase in ``text``."""
    padded = f" {_norm(text)} "
    hits = [c for c in choices if any(f" {p} " in padded for p in _phrases(c))]
    return hits[0] if len(hits) == 1 else None


def match_choice(text: str, choices: Sequence[Choice]) -> Choice | None:
    """The one choice ``text`` means, or None when it is unclear.

    Tries, in order: a number (1-based), an exact key/label/alias, an alias or label (part)
    as a whole phrase inside the text (only if exactly one choice has one), a close fuzzy
    match.
    """
    said = _norm(text)
    if not said:
        return None
    if said.isdigit():
        index = int(said) - 1
        return choices[index] if 0 <= index < len(choices) else None
    for choice in choices:
        if said in {_norm(choice.key), _norm(choice.label), *(_norm(a) for a in choice.aliases)}:
            return choice
    padded = f" {said} "
    if any(any(f" {p} " in padded for p in _phrases(c)) for c in choices):
        return mentioned(said, choices)
    names = {i: _norm(c.label) for i, c in enumerate(choices)}
    best = process.extract(said, names, scorer=fuzz.ratio, limit=2)
    if best and best[0][1] >= 80 and (len(best) == 1 or best[0][1] - best[1][1] >= 10):
        return choices[best[0][2]]
    return None
