"""Business calendars: exact instants for the awkward cases, then hypothesis properties.

Expected instants are written in the calendar's wall-clock time and compared in UTC (an aware
datetime in a DST fold never compares equal across zones, so everything goes through ``at``).
"""

from __future__ import annotations

import time as stopwatch
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.calendars import Calendar, Window, parse_week, parse_windows, preset

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
KOLKATA = "Asia/Kolkata"
LORD_HOWE = "Australia/Lord_Howe"
H = 3600


def at(zone: str, *args: int, fold: int = 0) -> datetime:
    """A wall-clock time in ``zone`` as a UTC instant."""
    return datetime(*args, tzinfo=ZoneInfo(zone), fold=fold).astimezone(UTC)  # type: ignore[misc]


def berlin(*args: int, fold: int = 0) -> datetime:
    return at(BERLIN, *args, fold=fold)


def daily(text: str, zone: str = BERLIN, **kwargs: object) -> Calendar:
    return Calendar("daily", zone, dict.fromkeys(range(7), parse_windows(text)), **kwargs)  # type: ignore[arg-type]


TWELVE_FIVE = preset("12x5", BERLIN)
TWELVE_FIVE_DE = preset("12x5", BERLIN, holidays_country="DE")
TWELVE_FIVE_BY = preset("12x5", BERLIN, holidays_country="DE", holidays_subdivision="BY")
ALWAYS = preset("24x7", BERLIN)


# -- parsing ------------------------------------------------------------------------------


def test_parse_windows_accepts_the_documented_forms() -> None:
    assert parse_windows("08:00-12:00, 13:00-17:00") == (
        Window(time(8), time(12)),
        Window(time(13), time(17)),
    )
    assert parse_windows("13:00-17:00,08:00-12:00")[0].start == time(8)  # sorted
    assert parse_windows("22:00-06:00") == (Window(time(22), time(6)),)
    assert parse_windows("22:00-06:00")[0].crosses_midnight
    assert parse_windows("00:00-24:00") == (Window(time(0), time(0)),)
    assert parse_windows("00:00-24:00")[0].nominal == timedelta(hours=24)
    assert parse_windows("18:00-24:00")[0].nominal == timedelta(hours=6)
    assert parse_windows("8:30-17:15:30") == (Window(time(8, 30), time(17, 15, 30)),)
    assert parse_windows("") == ()
    assert parse_windows("  Closed ") == ()
    assert str(parse_windows("00:00-24:00")[0]) == "00:00-24:00"
    assert str(parse_windows("22:00-06:00")[0]) == "22:00-06:00"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("08:00-12:00, 11:00-17:00", "overlap"),
        ("00:00-24:00, 08:00-09:00", "overlap"),
        ("08:00-12:00, 22:00-09:00, 23:00-23:30", "overlap"),
        ("25:00-26:00", "out of range"),
        ("08:60-09:00", "out of range"),
        ("24:00-06:00", "cannot start at 24:00"),
        ("8-9", "bad time"),
        ("08:00", "HH:MM-HH:MM"),
        ("08:00-", "HH:MM-HH:MM"),
        ("08:00-09:00-10:00", "HH:MM-HH:MM"),
        ("08:00-12:00,", "empty window"),
        ("noon-five", "bad time"),
    ],
)
def test_parse_windows_refuses_bad_input_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_windows(text)


def test_parse_week_reads_day_names() -> None:
    week = parse_week({"mon": "22:00-06:00", "Friday": "08:00-12:00", "sun": "closed"})
    assert week == {0: (Window(time(22), time(6)),), 4: (Window(time(8), time(12)),), 6: ()}
    with pytest.raises(ValueError, match="unknown weekday"):
        parse_week({"monk": "08:00-09:00"})
    with pytest.raises(ValueError, match="twice"):
        parse_week({"mon": "08:00-09:00", "monday": "10:00-11:00"})


def test_presets_and_validation() -> None:
    assert TWELVE_FIVE.week[0] == (Window(time(8), time(20)),)
    assert 5 not in TWELVE_FIVE.week and 6 not in TWELVE_FIVE.week
    assert preset("8x5", KOLKATA).week[4] == (Window(time(9), time(17)),)
    assert ALWAYS.always
    assert hash(TWELVE_FIVE_BY) == hash(
        preset("12x5", BERLIN, holidays_country="DE", holidays_subdivision="BY")
    )
    with pytest.raises(ValueError, match="unknown calendar preset"):
        preset("9x6", BERLIN)
    with pytest.raises(ValueError, match="time zone"):
        preset("12x5", "Mars/Olympus_Mons")
    with pytest.raises(ValueError, match="XX"):
        preset("12x5", BERLIN, holidays_country="XX")
    with pytest.raises(ValueError, match="ZZ"):
        preset("12x5", BERLIN, holidays_country="DE", holidays_subdivision="ZZ")
    with pytest.raises(ValueError, match="needs a holidays country"):
        preset("12x5", BERLIN, holidays_subdivision="BY")
    with pytest.raises(ValueError, match="no open time"):
        Calendar("never", BERLIN, {0: ()})
    with pytest.raises(ValueError, match="weekday keys"):
        Calendar("bad", BERLIN, {7: parse_windows("08:00-09:00")})
    with pytest.raises(ValueError, match="aware"):
        TWELVE_FIVE.add(datetime(2026, 3, 2, 9), 60)
    with pytest.raises(ValueError, match="negative"):
        TWELVE_FIVE.add(berlin(2026, 3, 2, 9), -1)


# -- outside hours, weekends, window ends --------------------------------------------------


@pytest.mark.parametrize(
    ("start", "seconds", "due"),
    [
        # Mon 2026-03-02 before opening, after closing, at night
        (berlin(2026, 3, 2, 6), 1 * H, berlin(2026, 3, 2, 9)),
        (berlin(2026, 3, 2, 21), 1 * H, berlin(2026, 3, 3, 9)),
        (berlin(2026, 3, 3, 3), H // 2, berlin(2026, 3, 3, 8, 30)),
        (berlin(2026, 3, 2, 9, 15), 45 * 60, berlin(2026, 3, 2, 10)),
        # weekend start, Friday evening spill-over
        (berlin(2026, 3, 7, 10), 2 * H, berlin(2026, 3, 9, 10)),
        (berlin(2026, 3, 6, 19), 2 * H, berlin(2026, 3, 9, 9)),
        # the budget runs out exactly at a window's end: that end is the due time
        (berlin(2026, 3, 2, 10), 10 * H, berlin(2026, 3, 2, 20)),
        (berlin(2026, 3, 6, 6), 12 * H, berlin(2026, 3, 6, 20)),
        (berlin(2026, 3, 6, 20), 1, berlin(2026, 3, 9, 8, 0, 1)),
        # S4: 3 business days = 36 business hours, across a weekend
        (berlin(2026, 3, 5, 14), 36 * H, berlin(2026, 3, 10, 14)),
        # 10 business days, ending exactly on a Friday's closing time
        (berlin(2026, 3, 2, 8), 120 * H, berlin(2026, 3, 13, 20)),
    ],
)
def test_add_on_12x5(start: datetime, seconds: int, due: datetime) -> None:
    assert TWELVE_FIVE.add(start, seconds) == due
    assert TWELVE_FIVE.add(start, timedelta(seconds=seconds)) == due
    assert TWELVE_FIVE.elapsed(start, due) == timedelta(seconds=seconds)


def test_add_zero_returns_the_start_even_when_closed() -> None:
    saturday = berlin(2026, 3, 7, 10)
    assert TWELVE_FIVE.add(saturday, 0) == saturday
    assert TWELVE_FIVE.add(saturday, 0).tzinfo is UTC
    assert TWELVE_FIVE.add(saturday, 0.5) == berlin(2026, 3, 9, 8) + timedelta(milliseconds=500)


def test_elapsed_counts_only_business_time() -> None:
    assert TWELVE_FIVE.elapsed(berlin(2026, 3, 6, 19), berlin(2026, 3, 9, 9)) == timedelta(hours=2)
    assert TWELVE_FIVE.elapsed(berlin(2026, 3, 7, 0), berlin(2026, 3, 8, 23)) == timedelta(0)
    assert TWELVE_FIVE.elapsed(berlin(2026, 3, 9, 9), berlin(2026, 3, 6, 19)) == timedelta(0)
    # a calendar week of 12x5 holds exactly 60 business hours
    assert TWELVE_FIVE.elapsed(berlin(2026, 3, 2, 0), berlin(2026, 3, 9, 0)) == timedelta(hours=60)


def test_is_open_next_opening_and_next_closing() -> None:
    assert TWELVE_FIVE.is_open(berlin(2026, 3, 2, 8))  # open at the opening instant
    assert not TWELVE_FIVE.is_open(berlin(2026, 3, 2, 20))  # closed at the closing instant
    assert TWELVE_FIVE.is_open(berlin(2026, 3, 2, 19, 59, 59))
    assert not TWELVE_FIVE.is_open(berlin(2026, 3, 7, 12))
    inside = berlin(2026, 3, 2, 12)
    assert TWELVE_FIVE.next_opening(inside) == inside
    assert TWELVE_FIVE.next_opening(berlin(2026, 3, 6, 20)) == berlin(2026, 3, 9, 8)
    assert TWELVE_FIVE.next_closing(inside) == berlin(2026, 3, 2, 20)
    assert TWELVE_FIVE.next_closing(berlin(2026, 3, 7, 12)) == berlin(2026, 3, 9, 20)
    assert ALWAYS.next_closing(inside) is None
    assert ALWAYS.next_opening(inside) == inside
    assert ALWAYS.is_open(berlin(2026, 12, 25, 3))


# -- holidays and closed dates ------------------------------------------------------------


def test_christmas_and_the_weekend_are_skipped() -> None:
    # Thu 24 Dec 17:30: 2.5 h left that day; Fri 25 and Sat 26 are holidays, then Sunday
    start = berlin(2026, 12, 24, 17, 30)
    assert TWELVE_FIVE_DE.add(start, 3 * H) == berlin(2026, 12, 28, 8, 30)
    assert TWELVE_FIVE.add(start, 3 * H) == berlin(2026, 12, 25, 8, 30)
    assert TWELVE_FIVE_DE.add(start, 36 * H) == berlin(2026, 12, 30, 17, 30)
    assert not TWELVE_FIVE_DE.is_open(berlin(2026, 12, 25, 10))
    assert TWELVE_FIVE_DE.next_opening(berlin(2026, 12, 25, 10)) == berlin(2026, 12, 28, 8)
    assert TWELVE_FIVE_DE.elapsed(start, berlin(2026, 12, 28, 8, 30)) == timedelta(hours=3)


def test_good_friday_and_easter_monday() -> None:
    # Thu 2 Apr 19:00: one hour left; Good Friday, weekend, Easter Monday (a Monday holiday)
    start = berlin(2026, 4, 2, 19)
    assert TWELVE_FIVE_DE.add(start, 2 * H) == berlin(2026, 4, 7, 9)
    assert TWELVE_FIVE_DE.add(berlin(2026, 4, 6, 8), 1) == berlin(2026, 4, 7, 8, 0, 1)


def test_subdivision_only_holiday() -> None:
    # Epiphany (Tue 6 Jan 2026) is a holiday in Bavaria, not nationally
    start = berlin(2026, 1, 5, 19)
    assert TWELVE_FIVE_BY.add(start, 2 * H) == berlin(2026, 1, 7, 9)
    assert TWELVE_FIVE_DE.add(start, 2 * H) == berlin(2026, 1, 6, 9)
    assert TWELVE_FIVE_BY.is_closed_date(date(2026, 1, 6))
    assert not TWELVE_FIVE_DE.is_closed_date(date(2026, 1, 6))


def test_extra_closed_dates() -> None:
    cal = preset("12x5", BERLIN, closed_dates=frozenset({date(2026, 3, 3), date(2026, 3, 4)}))
    assert cal.add(berlin(2026, 3, 2, 19), 2 * H) == berlin(2026, 3, 5, 9)


def test_holiday_closes_only_the_windows_that_start_on_it() -> None:
    nights = Calendar(
        "nights",
        BERLIN,
        {0: parse_windows("22:00-06:00"), 6: parse_windows("22:00-06:00")},
        closed_dates=frozenset({date(2026, 3, 9)}),  # Monday
    )
    # Sunday's night window still runs into the closed Monday morning
    assert nights.is_open(berlin(2026, 3, 9, 5))
    assert nights.add(berlin(2026, 3, 8, 22), 8 * H) == berlin(2026, 3, 9, 6)
    # Monday's own night window (into Tuesday) is cancelled
    assert not nights.is_open(berlin(2026, 3, 9, 23))
    assert not nights.is_open(berlin(2026, 3, 10, 1))
    assert nights.next_opening(berlin(2026, 3, 9, 6)) == berlin(2026, 3, 15, 22)
    # a closed Tuesday does not touch Monday's window that ends on it
    tuesday_off = Calendar(
        "nights",
        BERLIN,
        {0: parse_windows("22:00-06:00")},
        closed_dates={date(2026, 3, 3)},  # type: ignore[arg-type]
    )
    assert tuesday_off.is_open(berlin(2026, 3, 3, 1))


# -- windows crossing midnight, several windows a day --------------------------------------


MONDAY_NIGHT = Calendar("monday night", BERLIN, {0: parse_windows("22:00-06:00")})


def test_window_crossing_midnight() -> None:
    cal = MONDAY_NIGHT
    assert not cal.is_open(berlin(2026, 3, 2, 21, 59, 59))
    assert cal.is_open(berlin(2026, 3, 2, 22))
    assert cal.is_open(berlin(2026, 3, 3, 5, 59, 59))
    assert not cal.is_open(berlin(2026, 3, 3, 6))
    assert not cal.is_open(berlin(2026, 3, 1, 23))  # Sunday night is not Monday night
    assert cal.add(berlin(2026, 3, 2, 21), H) == berlin(2026, 3, 2, 23)
    assert cal.add(berlin(2026, 3, 2, 22), 8 * H) == berlin(2026, 3, 3, 6)  # window end
    assert cal.add(berlin(2026, 3, 2, 22), 8 * H + 1) == berlin(2026, 3, 9, 22, 0, 1)
    assert cal.add(berlin(2026, 3, 3, 2), 5 * H) == berlin(2026, 3, 9, 23)
    assert cal.elapsed(berlin(2026, 3, 3, 2), berlin(2026, 3, 9, 23)) == timedelta(hours=5)
    assert cal.next_closing(berlin(2026, 3, 3, 12)) == berlin(2026, 3, 10, 6)


def test_windows_of_neighbouring_days_that_overlap_are_counted_once() -> None:
    cal = Calendar(
        "overlap", BERLIN, {0: parse_windows("22:00-06:00"), 1: parse_windows("05:00-09:00")}
    )
    assert cal.elapsed(berlin(2026, 3, 2, 12), berlin(2026, 3, 3, 12)) == timedelta(hours=11)
    assert cal.add(berlin(2026, 3, 2, 12), 11 * H) == berlin(2026, 3, 3, 9)
    assert cal.next_closing(berlin(2026, 3, 2, 23)) == berlin(2026, 3, 3, 9)


LUNCH = Calendar(
    "lunch", BERLIN, dict.fromkeys(range(5), parse_windows("08:00-12:00, 13:00-17:00"))
)


def test_multi_window_day() -> None:
    assert LUNCH.add(berlin(2026, 3, 2, 11), H) == berlin(2026, 3, 2, 12)  # ends at a window end
    assert LUNCH.add(berlin(2026, 3, 2, 11), 2 * H) == berlin(2026, 3, 2, 14)
    assert LUNCH.add(berlin(2026, 3, 2, 12, 30), H) == berlin(2026, 3, 2, 14)
    assert LUNCH.add(berlin(2026, 3, 2, 16), 6 * H) == berlin(2026, 3, 3, 14)
    assert not LUNCH.is_open(berlin(2026, 3, 2, 12, 30))
    assert LUNCH.next_opening(berlin(2026, 3, 2, 12, 30)) == berlin(2026, 3, 2, 13)
    assert LUNCH.next_closing(berlin(2026, 3, 2, 10)) == berlin(2026, 3, 2, 12)
    assert LUNCH.next_closing(berlin(2026, 3, 2, 12, 30)) == berlin(2026, 3, 2, 17)
    assert LUNCH.elapsed(berlin(2026, 3, 2, 11), berlin(2026, 3, 2, 14)) == timedelta(hours=2)


# -- DST ----------------------------------------------------------------------------------


def test_24x7_counts_real_time_across_dst() -> None:
    # spring forward: local 00:00 → 04:00 is three real hours
    assert ALWAYS.add(berlin(2026, 3, 29, 0), 3 * H) == berlin(2026, 3, 29, 4)
    assert ALWAYS.elapsed(berlin(2026, 3, 29, 0), berlin(2026, 3, 29, 4)) == timedelta(hours=3)
    # fall back: local 00:00 → 04:00 is five real hours; 4 h after 00:00 is 03:00 CET
    assert ALWAYS.add(berlin(2026, 10, 25, 0), 4 * H) == berlin(2026, 10, 25, 3)
    assert ALWAYS.elapsed(berlin(2026, 10, 25, 0), berlin(2026, 10, 25, 4)) == timedelta(hours=5)
    assert ALWAYS.add(berlin(2026, 10, 25, 0), 2 * H) == berlin(2026, 10, 25, 2, fold=0)
    assert ALWAYS.add(berlin(2026, 10, 25, 0), 3 * H) == berlin(2026, 10, 25, 2, fold=1)


def test_window_calendar_across_dst() -> None:
    cal = daily("01:00-04:00")

    def day(y: int, m: int, d: int) -> timedelta:
        return cal.elapsed(berlin(y, m, d), berlin(y, m, d + 1))

    assert day(2026, 3, 28) == timedelta(hours=3)
    assert day(2026, 3, 29) == timedelta(hours=2)  # spring forward: 02:00 → 03:00
    assert day(2026, 10, 25) == timedelta(hours=4)  # fall back: 03:00 → 02:00
    assert cal.add(berlin(2026, 3, 29, 0), 2 * H) == berlin(2026, 3, 29, 4)
    assert cal.add(berlin(2026, 3, 29, 0), 2 * H + 1800) == berlin(2026, 3, 30, 1, 30)
    assert cal.add(berlin(2026, 10, 25, 0), 4 * H) == berlin(2026, 10, 25, 4)
    assert cal.add(berlin(2026, 10, 25, 1, 30), H) == berlin(2026, 10, 25, 2, 30, fold=0)
    assert cal.add(berlin(2026, 10, 25, 1, 30), 2 * H) == berlin(2026, 10, 25, 2, 30, fold=1)


def test_12x5_over_a_dst_weekend() -> None:
    assert TWELVE_FIVE.add(berlin(2026, 3, 27, 19), 2 * H) == berlin(2026, 3, 30, 9)
    assert TWELVE_FIVE.add(berlin(2026, 10, 23, 19), 2 * H) == berlin(2026, 10, 26, 9)
    week = TWELVE_FIVE.elapsed(berlin(2026, 3, 23), berlin(2026, 4, 6))
    assert week == timedelta(hours=120)  # wall-clock hours do not move with DST


def test_overnight_window_on_dst_nights() -> None:
    cal = Calendar("sat night", BERLIN, {5: parse_windows("22:00-06:00")})
    assert cal.elapsed(berlin(2026, 3, 28, 12), berlin(2026, 3, 29, 12)) == timedelta(hours=7)
    assert cal.elapsed(berlin(2026, 10, 24, 12), berlin(2026, 10, 25, 12)) == timedelta(hours=9)
    assert cal.add(berlin(2026, 3, 28, 22), 7 * H) == berlin(2026, 3, 29, 6)


def test_nonexistent_and_ambiguous_window_bounds() -> None:
    # 02:30 does not exist on 29 Mar: the window opens when the gap ends, at 03:00 CEST
    late = daily("02:30-05:00")
    assert late.next_opening(berlin(2026, 3, 29, 0)) == berlin(2026, 3, 29, 3)
    assert late.elapsed(berlin(2026, 3, 29, 0), berlin(2026, 3, 29, 12)) == timedelta(hours=2)
    # a window entirely inside the gap is empty that night
    gap = daily("02:00-02:45")
    assert gap.elapsed(berlin(2026, 3, 29, 0), berlin(2026, 3, 29, 12)) == timedelta(0)
    assert gap.next_opening(berlin(2026, 3, 29, 0)) == berlin(2026, 3, 30, 2)
    # ambiguous bounds: opening at the first 02:30, closing at the second
    opens_ambiguous = daily("02:30-05:00")
    assert opens_ambiguous.next_opening(berlin(2026, 10, 25, 0)) == berlin(
        2026, 10, 25, 2, 30, fold=0
    )
    closes_ambiguous = daily("01:00-02:30")
    assert closes_ambiguous.next_closing(berlin(2026, 10, 25, 1)) == berlin(
        2026, 10, 25, 2, 30, fold=1
    )
    # both together overlap for an hour of real time; it counts once: 01:00 CEST → 05:00 CET
    both = daily("01:00-02:30, 02:30-05:00")
    assert both.elapsed(berlin(2026, 10, 25), berlin(2026, 10, 26)) == timedelta(hours=5)


def test_other_zones_across_dst() -> None:
    ny = daily("01:00-04:00", NEW_YORK)
    assert ny.elapsed(at(NEW_YORK, 2026, 3, 8), at(NEW_YORK, 2026, 3, 9)) == timedelta(hours=2)
    assert ny.elapsed(at(NEW_YORK, 2026, 11, 1), at(NEW_YORK, 2026, 11, 2)) == timedelta(hours=4)
    # Lord Howe moves its clocks by 30 minutes at 02:00
    lh = daily("01:00-04:00", LORD_HOWE)
    assert lh.elapsed(at(LORD_HOWE, 2026, 10, 4), at(LORD_HOWE, 2026, 10, 5)) == timedelta(
        hours=2, minutes=30
    )
    assert lh.elapsed(at(LORD_HOWE, 2026, 4, 5), at(LORD_HOWE, 2026, 4, 6)) == timedelta(
        hours=3, minutes=30
    )
    assert lh.add(at(LORD_HOWE, 2026, 10, 4), 2 * H + 1800) == at(LORD_HOWE, 2026, 10, 4, 4)
    india = preset("12x5", KOLKATA)
    assert india.add(at(KOLKATA, 2026, 3, 27, 19), 2 * H) == at(KOLKATA, 2026, 3, 30, 9)


# -- long targets, degenerate calendars ----------------------------------------------------


def test_long_targets_are_fast() -> None:
    start = berlin(2026, 1, 2, 9)
    begun = stopwatch.perf_counter()
    due = TWELVE_FIVE_BY.add(start, 240 * 12 * H)  # ~a working year
    spent = stopwatch.perf_counter() - begun
    assert TWELVE_FIVE_BY.elapsed(start, due) == timedelta(hours=240 * 12)
    assert date(2026, 12, 1) < due.date() < date(2027, 2, 1)
    assert spent < 0.5
    begun = stopwatch.perf_counter()
    for _ in range(100):
        TWELVE_FIVE.add(berlin(2026, 3, 5, 14), 36 * H)
    assert (stopwatch.perf_counter() - begun) / 100 < 0.002


def test_whole_day_windows_without_a_closing_within_a_year() -> None:
    open_always = daily("00:00-24:00")
    assert open_always.next_closing(berlin(2026, 3, 2, 12)) is None
    assert open_always.add(berlin(2026, 3, 29, 0), 3 * H) == berlin(2026, 3, 29, 4)
    with_holiday = daily("00:00-24:00", closed_dates=frozenset({date(2026, 3, 10)}))
    assert with_holiday.next_closing(berlin(2026, 3, 2, 12)) == berlin(2026, 3, 10, 0)


def test_a_calendar_closed_for_years_raises_instead_of_looping() -> None:
    mondays = frozenset(date(2026, 1, 5) + timedelta(weeks=k) for k in range(52 * 4))
    never = Calendar("never", BERLIN, {0: parse_windows("09:00-10:00")}, closed_dates=mondays)
    with pytest.raises(ValueError, match="no open time"):
        never.add(berlin(2026, 1, 1), 60)


# -- properties ---------------------------------------------------------------------------


PROPERTY_CALENDARS = [
    TWELVE_FIVE_BY,
    preset("8x5", NEW_YORK, holidays_country="US"),
    preset("24x7", KOLKATA),
    Calendar(
        "india shifts",
        KOLKATA,
        {
            **dict.fromkeys(range(5), parse_windows("09:00-13:00, 14:00-18:30")),
            5: parse_windows("10:00-14:00"),
        },
        holidays_country="IN",
    ),
    Calendar(
        "dst edges",
        BERLIN,
        {
            **dict.fromkeys(range(6), parse_windows("01:00-02:30, 02:30-05:00, 22:00-00:30")),
            6: parse_windows("02:15-03:00, 23:00-23:30"),
        },
        closed_dates=frozenset({date(2026, 3, 30), date(2026, 12, 24)}),
    ),
    Calendar(
        "lord howe nights",
        LORD_HOWE,
        {
            d: parse_windows("22:00-02:15" if d % 2 else "01:45-04:00, 08:00-12:00")
            for d in range(7)
        },
    ),
    Calendar("monday night", NEW_YORK, {0: parse_windows("22:00-06:00")}),
]
DST_DAYS = [
    datetime(2026, 3, 29, tzinfo=UTC),
    datetime(2026, 10, 25, tzinfo=UTC),
    datetime(2026, 3, 8, 6, tzinfo=UTC),
    datetime(2026, 11, 1, 6, tzinfo=UTC),
    datetime(2026, 4, 4, 15, tzinfo=UTC),
    datetime(2026, 10, 3, 15, tzinfo=UTC),
]
EPOCH_2025 = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp())
EPOCH_2029 = int(datetime(2029, 1, 1, tzinfo=UTC).timestamp())

calendars = st.sampled_from(PROPERTY_CALENDARS)
instants = st.one_of(
    st.integers(EPOCH_2025, EPOCH_2029).map(lambda s: datetime.fromtimestamp(s, UTC)),
    st.tuples(st.sampled_from(DST_DAYS), st.integers(-2 * 86_400, 2 * 86_400)).map(
        lambda pair: pair[0] + timedelta(seconds=pair[1])
    ),
)
budgets = st.one_of(
    st.integers(0, 4 * H), st.integers(0, 20 * 86_400), st.sampled_from([0, 1, 1800, 36 * H])
).map(lambda s: timedelta(seconds=s))
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(calendars, instants, budgets)
def test_elapsed_inverts_add(cal: Calendar, start: datetime, budget: timedelta) -> None:
    due = cal.add(start, budget)
    assert due >= start
    assert cal.elapsed(start, due) == budget


@PROPERTY_SETTINGS
@given(calendars, instants, budgets)
def test_due_is_never_strictly_inside_a_closed_period(
    cal: Calendar, start: datetime, budget: timedelta
) -> None:
    due = cal.add(start, budget)
    if budget > timedelta(0):
        assert cal.is_open(due - timedelta(seconds=1))
        assert cal.is_open(due - timedelta(microseconds=1))
        assert cal.add(cal.next_opening(start), budget) == due
    else:
        assert due == start


@PROPERTY_SETTINGS
@given(calendars, instants, budgets, budgets)
def test_add_is_monotone_in_the_budget(
    cal: Calendar, start: datetime, first: timedelta, second: timedelta
) -> None:
    low, high = sorted((first, second))
    assert cal.add(start, low) <= cal.add(start, high)


@PROPERTY_SETTINGS
@given(calendars, instants, instants, budgets)
def test_add_is_monotone_in_the_start(
    cal: Calendar, first: datetime, second: datetime, budget: timedelta
) -> None:
    early, late = sorted((first, second))
    assert cal.add(early, budget) <= cal.add(late, budget)


@PROPERTY_SETTINGS
@given(calendars, instants, instants, instants)
def test_elapsed_is_additive(cal: Calendar, x: datetime, y: datetime, z: datetime) -> None:
    a, b, c = sorted((x, y, z))
    assert cal.elapsed(a, b) + cal.elapsed(b, c) == cal.elapsed(a, c)


@PROPERTY_SETTINGS
@given(calendars, instants)
def test_next_opening_and_closing_agree_with_is_open(cal: Calendar, instant: datetime) -> None:
    opening = cal.next_opening(instant)
    assert cal.is_open(opening)
    assert cal.elapsed(instant, opening) == timedelta(0)
    assert (opening == instant) == cal.is_open(instant)
    closing = cal.next_closing(instant)
    if closing is not None:
        assert closing > opening
        assert not cal.is_open(closing)
        assert cal.is_open(closing - timedelta(seconds=1))
        assert cal.elapsed(opening, closing) == closing - opening
