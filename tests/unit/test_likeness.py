"""What a desk would notice of the incident detector: a few people describing one outage are a
burst, one person repeating themselves or a category's unrelated tickets are not, and the
24-hour memory keeps a routine daily question from looking like an outage.

Times are explicit datetimes (the detector reads no clock); the real shipped encoder is used,
so these are the wordings the desk will actually meet.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.knowledge.likeness import DEFAULT_THRESHOLD, Likeness, Report, find_burst
from bot.knowledge.vectors import StaticEncoder, Vector, default_encoder

NOON = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
VPN = (
    "VPN keeps disconnecting every few minutes",
    "cannot connect to the vpn since this morning",
    "the VPN is down, I cannot reach the intranet",
)
RESETS = (
    "I forgot my password and need a reset",
    "how do I reset my password",
    "please reset my password, I am locked out",
)
OTHER = (
    "the printer on floor 3 is jammed",
    "I need a new laptop charger",
    "my second monitor flickers",
    "please add me to the finance shared drive",
    "outlook does not show my calendar invites",
    "can I get a license for the diagram tool",
    "my badge does not open the garage door",
    "teams calls have no sound on my headset",
    "how do I book a meeting room for friday",
    "excel crashes when I open the budget file",
    "please install python on my workstation",
    "my phone does not receive work email",
)
_ids = itertools.count(1)


def report(text: str, who: str, at: datetime) -> Report:
    return Report(next(_ids), who, text, at)


def routine_day(start: datetime, *, resets: int = 30, suffix: str = "") -> Iterator[Report]:
    """Yesterday at a desk: a password reset every ~20 business minutes, other requests
    around them (eight an hour, enough for the detector to measure hubs), each from someone
    else."""
    for n in range(resets):
        yield report(RESETS[n % 3] + suffix, f"reset-{n}", start + timedelta(minutes=20 * n))
    for n in range(8 * 24):
        text = OTHER[n % len(OTHER)] + suffix
        yield report(text, f"other-{n}", start + timedelta(minutes=7.5 * n))


def replay(likeness: Likeness, reports: list[Report]) -> list[Report]:
    """Each report through find_burst against those before it, as the desk does; the last
    call's group."""
    group: list[Report] = []
    for i, new in enumerate(reports):
        group = list(find_burst(new, reports[:i], likeness))
    return group


@pytest.fixture(scope="module")
def encoder() -> StaticEncoder:
    return default_encoder()


def test_three_people_describing_a_vpn_outage_in_their_own_words_are_a_burst(
    encoder: StaticEncoder,
) -> None:
    likeness = Likeness(encoder)
    likeness.remember(routine_day(NOON - timedelta(days=1)))
    reports = [report(text, f"p{n}", NOON + timedelta(minutes=4 * n)) for n, text in enumerate(VPN)]
    assert replay(likeness, reports) == reports


def test_the_group_is_oldest_first_whatever_order_the_window_comes_in(
    encoder: StaticEncoder,
) -> None:
    likeness = Likeness(encoder)
    first, second, third = (
        report(text, f"p{n}", NOON + timedelta(minutes=n)) for n, text in enumerate(VPN)
    )
    group = find_burst(third, [second, first], likeness)
    assert [r.ticket_id for r in group] == [first.ticket_id, second.ticket_id, third.ticket_id]


def test_one_person_writing_three_times_is_not_a_burst(encoder: StaticEncoder) -> None:
    likeness = Likeness(encoder)
    reports = [report(text, "same", NOON + timedelta(minutes=n)) for n, text in enumerate(VPN)]
    assert replay(likeness, reports) == []


def test_two_people_are_not_enough_by_default(encoder: StaticEncoder) -> None:
    likeness = Likeness(encoder)
    reports = [report(VPN[0], "a", NOON), report(VPN[1], "b", NOON + timedelta(minutes=1))]
    assert replay(likeness, reports) == []
    again = [report(VPN[0], "a", NOON), report(VPN[1], "b", NOON + timedelta(minutes=1))]
    assert find_burst(again[1], again[:1], Likeness(encoder), requesters=2) == again


def test_unrelated_tickets_of_one_category_are_not_a_burst(encoder: StaticEncoder) -> None:
    """The category's words are in every report of a one-category window: they make unrelated
    tickets look alike (cold, three of them would be proposed), the day's memory does not."""
    hardware = " (category: hardware)"
    likeness = Likeness(encoder)
    likeness.remember(routine_day(NOON - timedelta(days=1), suffix=hardware))
    texts = [t + hardware for t in OTHER[:3]]
    reports = [report(text, f"p{n}", NOON + timedelta(minutes=n)) for n, text in enumerate(texts)]
    assert replay(likeness, reports) == []
    bare = Likeness(encoder)
    assert max(bare.score(a, b) for a, b in itertools.combinations(OTHER[:3], 2)) < (
        DEFAULT_THRESHOLD
    )


def test_a_routine_daily_question_is_no_outage_once_the_day_is_remembered(
    encoder: StaticEncoder,
) -> None:
    today = [
        report(text, f"p{n}", NOON + timedelta(minutes=7 * n)) for n, text in enumerate(RESETS)
    ]
    cold = Likeness(encoder)  # just restarted, nothing remembered: three alike people propose
    assert replay(cold, today) == today

    warm = Likeness(encoder)
    warm.remember(routine_day(NOON - timedelta(days=1)))  # 30 resets yesterday
    assert replay(warm, today) == []


def test_the_memory_learns_from_find_burst_alone(encoder: StaticEncoder) -> None:
    """No warm-up: a desk that ran through yesterday has seen it through find_burst."""
    likeness = Likeness(encoder)
    yesterday = sorted(routine_day(NOON - timedelta(days=1)), key=lambda r: r.opened_at)
    for new in yesterday:
        find_burst(new, [], likeness)
    assert likeness.remembered == len(yesterday)
    today = [
        report(text, f"p{n}", NOON + timedelta(minutes=7 * n)) for n, text in enumerate(RESETS)
    ]
    assert replay(likeness, today) == []


def test_remember_ignores_reports_it_already_has(encoder: StaticEncoder) -> None:
    likeness = Likeness(encoder)
    day = list(routine_day(NOON - timedelta(days=1), resets=3))
    likeness.remember(day)
    likeness.remember(day)
    assert likeness.remembered == len(day)


class CountingEncoder(StaticEncoder):
    """The shipped encoder, counting the texts it encodes."""

    def __init__(self, inner: StaticEncoder) -> None:  # shares the table of inner
        self.__dict__.update(inner.__dict__)
        self.encoded: list[str] = []

    def encode(self, text: str) -> Vector:
        self.encoded.append(text)
        return super().encode(text)


def test_features_are_computed_once_per_ticket(encoder: StaticEncoder) -> None:
    counting = CountingEncoder(encoder)
    likeness = Likeness(counting)
    counting.encoded.clear()  # the built-in centre's phrases
    window = [report(text, f"p{n}", NOON + timedelta(minutes=n)) for n, text in enumerate(OTHER)]
    for i, new in enumerate(window):
        find_burst(new, window[:i], likeness)
    assert len(counting.encoded) == len(window)  # each once, though each was compared often


def test_score_is_symmetric_and_bounded(encoder: StaticEncoder) -> None:
    likeness = Likeness(encoder)
    assert likeness.score(VPN[0], VPN[1]) == pytest.approx(likeness.score(VPN[1], VPN[0]))
    assert 0.0 <= likeness.score(VPN[0], OTHER[0]) < likeness.score(VPN[0], VPN[1]) <= 1.0
    assert likeness.score("", VPN[0]) == 0.0


def test_the_memory_stays_bounded_whatever_the_traffic(
    encoder: StaticEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.knowledge.likeness.MAX_MEMORY", 300)
    likeness = Likeness(encoder)
    likeness.remember(
        report(OTHER[n % len(OTHER)], f"p{n}", NOON + timedelta(seconds=n)) for n in range(1000)
    )
    assert 0 < likeness.remembered <= 300


def test_the_window_joins_the_memory_too(encoder: StaticEncoder) -> None:
    """A replica remembers the tickets another replica opened once they are in its window."""
    likeness = Likeness(encoder)
    window = [report(text, f"p{n}", NOON + timedelta(minutes=n)) for n, text in enumerate(OTHER)]
    find_burst(report(VPN[0], "me", NOON + timedelta(minutes=20)), window, likeness)
    assert likeness.remembered == len(window) + 1
