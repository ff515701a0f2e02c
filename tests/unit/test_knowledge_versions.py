"""Versions of an index: the next one is built from the current one while it serves searches.

The desk searches off the event loop (``asyncio.to_thread``) and swaps in a new index when
articles change. A search must therefore never see a half-applied change: ``with_changes``
builds the next version on a copy, and ``calibrate`` asks its held-out questions of a copy.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bot.knowledge import Article, KnowledgeIndex, Suggestion, load_markdown_dir
from bot.knowledge import index as knowledge_index
from bot.knowledge.calibration import Calibration

KB = Path(__file__).resolve().parents[2] / "kb"
QUESTIONS = [
    "vpn keeps disconnecting",
    "forgot my password",
    "my machine is sluggish",
    "printer says offline",
    "how do I set up 2fa",
    "outlook not syncing",
    "camera not working in teams",
    "what's the weather on mars",
]
CAMERA = Article(
    "teams-camera",
    "Teams camera not detected",
    "Close other apps that use the camera, then restart Teams.",
    ("camera not working in teams", "webcam black in meeting"),
)


def shown(suggestions: list[Suggestion]) -> list[tuple[str, float]]:
    return [(s.article.id, s.score) for s in suggestions]


@pytest.fixture(scope="module")
def kit() -> list[Article]:
    return load_markdown_dir(KB)


def test_a_copy_has_everything_a_new_index_has(kit: list[Article]) -> None:
    index = KnowledgeIndex(kit[:3])
    assert set(vars(index.copy())) == set(vars(index))


def test_with_changes_is_the_same_as_changing_in_place(kit: list[Article]) -> None:
    removed = [kit[0].id, kit[5].id]
    changed = Article(kit[7].id, kit[7].title, kit[7].body + " Restart first.", kit[7].keywords)
    in_place = KnowledgeIndex(kit)
    for article_id in removed:
        in_place.remove(article_id)
    in_place.add(CAMERA)
    in_place.add(changed)

    current = KnowledgeIndex(kit)
    before = {q: shown(current.search(q)) for q in QUESTIONS}
    following = current.with_changes(added=[CAMERA, changed], removed=removed)

    assert following.calibration == in_place.calibrate()
    assert [a.id for a in following.articles()] == [a.id for a in in_place.articles()]
    for q in QUESTIONS:
        assert shown(following.search(q)) == shown(in_place.search(q)), q
        assert shown(current.search(q)) == before[q], q  # the current version is untouched
    assert CAMERA.id in following and CAMERA.id not in current
    assert kit[0].id in current and kit[0].id not in following
    assert current.get(kit[7].id) == kit[7] and following.get(kit[7].id) == changed


def test_changes_to_either_side_of_a_copy_stay_on_that_side(kit: list[Article]) -> None:
    original = KnowledgeIndex(kit)
    original.calibrate()
    copy = original.copy()
    expected = {q: shown(original.search(q)) for q in QUESTIONS}
    copy.remove(kit[1].id)
    copy.add(CAMERA)
    copy.set_feedback(kit[2].id, shown=50, accepted=1)
    for q in QUESTIONS:
        assert shown(original.search(q)) == expected[q], q
    assert len(original) == len(kit) and len(copy) == len(kit)
    assert original.acceptance(kit[2].id) != copy.acceptance(kit[2].id)

    original.remove(kit[3].id)  # and the other way round
    assert kit[3].id in copy
    assert copy.search("camera not working in teams")[0].article.id == CAMERA.id


def test_calibrating_leaves_the_index_as_it_was(kit: list[Article]) -> None:
    index = KnowledgeIndex(kit, calibrate=False)
    order = [a.id for a in index.articles()]
    docs = dict(index._by_id)
    index.calibrate()
    assert [a.id for a in index.articles()] == order
    assert index._by_id == docs  # same entries, same document numbers: nothing re-added


def test_searches_in_threads_never_see_a_half_applied_change(kit: list[Article]) -> None:
    current = KnowledgeIndex(kit)
    expected = {q: shown(current.search(q)) for q in QUESTIONS}
    failures: list[str] = []
    stop = threading.Event()

    def search() -> None:
        while not stop.is_set():
            for q in QUESTIONS:
                if shown(current.search(q)) != expected[q]:
                    failures.append(q)

    threads = [threading.Thread(target=search) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        following = current
        for article in kit[:2]:  # versions built while the searches run
            following = following.with_changes(added=[CAMERA], removed=[article.id])
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not failures
    assert len(following) == len(kit) - 1  # CAMERA added once, replaced once


def test_the_first_searches_in_several_threads_calibrate_once(
    kit: list[Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = KnowledgeIndex(kit)
    expected = {q: shown(reference.search(q)) for q in QUESTIONS}
    monkeypatch.setattr(knowledge_index, "_CALIBRATIONS", {})  # really calibrate again
    asked: list[int] = []
    held_out = KnowledgeIndex._held_out_calibration

    def counted(self: KnowledgeIndex, articles: list[Article]) -> Calibration:
        asked.append(len(articles))
        return held_out(self, articles)

    monkeypatch.setattr(KnowledgeIndex, "_held_out_calibration", counted)
    index = KnowledgeIndex(kit)  # not calibrated yet: the first search does it
    results: list[dict[str, list[tuple[str, float]]]] = []

    def search() -> None:
        results.append({q: shown(index.search(q)) for q in QUESTIONS})

    threads = [threading.Thread(target=search) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 4
    assert index.calibration == reference.calibration
    assert asked == [len(kit)]  # asked once: the other threads waited for it
