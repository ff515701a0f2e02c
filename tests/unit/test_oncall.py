"""On-call rotations: hand-offs across zones and DST, follow-the-sun, overrides, gaps, config."""

from __future__ import annotations

import time as stopwatch
import tomllib
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain import Identity
from bot.domain.calendars import Window
from bot.domain.oncall import (
    ALL_DAYS,
    Layer,
    OnCall,
    OnCallOverride,
    gaps,
    next_in_rotation,
    on_call,
)
from bot.errors import ConfigError
from bot.settings.oncall import parse_layers

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")
TIER = "L2"
KEY = "tiers[1].rotations"

ANNA, BEN, CARA = (
    Identity("slack", "UANNA"),
    Identity("telegram", "222"),
    Identity("console", "cara"),
)
DAN, EVE, FIN = Identity("slack", "UDAN"), Identity("slack", "UEVE"), Identity("telegram", "333")
GUS, HAL = Identity("console", "gus"), Identity("console", "hal")
XAVI, YARA = Identity("slack", "UXAVI"), Identity("telegram", "444")


def utc(text: str) -> datetime:
    """``"2026-06-15 07:00"`` as a UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def local(zone: ZoneInfo, text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def layer(
    name: str,
    members: tuple[Identity, ...],
    zone: ZoneInfo,
    *,
    active: tuple[tuple[time, time], ...] = (),  # (start, end) pairs
    days: frozenset[int] = ALL_DAYS,
    length: timedelta = timedelta(weeks=1),
    handoff: str = "2026-06-15 09:00",  # a Monday
) -> Layer:
    windows = tuple(Window(start, end) for start, end in active)
    return Layer(name, members, str(zone), windows, days, length, local(zone, handoff))


DAYTIME = ((time(8), time(20)),)
WEEKDAYS = frozenset(range(5))
EMEA = layer("emea", (ANNA, BEN, CARA), BERLIN, active=DAYTIME)
AMER = layer("amer", (DAN, EVE), NEW_YORK, active=DAYTIME)
APAC = layer("apac", (FIN, GUS), SYDNEY, active=DAYTIME)


def override(
    person: Identity, starts: str, ends: str, created: str, tier: str = TIER
) -> OnCallOverride:
    return OnCallOverride(tier, person, utc(starts), utc(ends), utc(created))


def ask(layers: tuple[Layer, ...], at: datetime, overrides: tuple[OnCallOverride, ...] = ()) -> Any:
    """(person, layer, until) or None, for compact assertions."""
    answer = on_call(TIER, layers, overrides, at)
    return None if answer is None else (answer.person, answer.layer, answer.until)


# -- hand-offs across time zones -----------------------------------------------------------

WEEKLY = layer(
    "emea", (ANNA, BEN, CARA), BERLIN, handoff="2026-11-02 09:00"
)  # Monday 09:00 Berlin = 03:00 New York


def test_weekly_handoff_monday_0900_berlin_asked_from_new_york() -> None:
    before = local(NEW_YORK, "2026-11-09 02:59:59")
    at_handoff = local(NEW_YORK, "2026-11-09 03:00")
    assert ask((WEEKLY,), before) == (ANNA, "emea", utc("2026-11-09 08:00"))
    assert ask((WEEKLY,), at_handoff) == (BEN, "emea", utc("2026-11-16 08:00"))
    assert ask((WEEKLY,), local(NEW_YORK, "2026-11-20 23:00"))[0] == CARA
    assert ask((WEEKLY,), local(NEW_YORK, "2026-11-23 03:00"))[0] == ANNA  # wrapped around
    answer = on_call(TIER, (WEEKLY,), (), before)
    assert answer is not None and answer.until.tzinfo is UTC


def test_at_before_the_handoff_instant_counts_backwards() -> None:
    handoff = local(BERLIN, "2026-11-02 09:00")
    one_second = timedelta(seconds=1)
    assert ask((WEEKLY,), handoff - one_second) == (CARA, "emea", handoff.astimezone(UTC))
    assert ask((WEEKLY,), handoff - timedelta(weeks=1))[0] == CARA
    assert ask((WEEKLY,), handoff - timedelta(weeks=1) - one_second)[0] == BEN
    assert ask((WEEKLY,), handoff - timedelta(weeks=300))[0] == [ANNA, BEN, CARA][-300 % 3]


def test_handoff_keeps_its_wall_clock_time_across_the_dst_weekend() -> None:
    # Berlin springs forward on Sunday 2026-03-29: the Monday 09:00 hand-off moves from 08:00Z
    # to 07:00Z, so the shift spanning the change lasts a week minus an hour.
    rotation = layer("emea", (ANNA, BEN, CARA), BERLIN, handoff="2026-03-23 09:00")
    assert ask((rotation,), utc("2026-03-23 08:00")) == (ANNA, "emea", utc("2026-03-30 07:00"))
    assert ask((rotation,), utc("2026-03-30 06:59:59"))[0] == ANNA
    assert ask((rotation,), utc("2026-03-30 07:00")) == (BEN, "emea", utc("2026-04-06 07:00"))
    # ... and back in the autumn (2026-10-25): a week plus an hour.
    assert ask((rotation,), utc("2026-10-19 07:00"))[2] == utc("2026-10-26 08:00")
    # From New York, whose clocks change on other weekends (2026-03-08, 2026-11-01).
    assert ask((rotation,), local(NEW_YORK, "2026-03-30 02:59"))[0] == ANNA
    assert ask((rotation,), local(NEW_YORK, "2026-03-30 03:00"))[0] == BEN


def test_twelve_hour_shifts_stay_at_0800_and_2000_through_dst() -> None:
    rotation = layer(
        "24h", (ANNA, BEN), BERLIN, length=timedelta(hours=12), handoff="2026-03-23 08:00"
    )
    # Saturday 20:00 CET (19:00Z) → Sunday 08:00 CEST (06:00Z): an 11-hour night.
    night = ask((rotation,), utc("2026-03-28 19:00"))
    assert night == (BEN, "24h", utc("2026-03-29 06:00"))
    assert ask((rotation,), utc("2026-03-29 06:00")) == (ANNA, "24h", utc("2026-03-29 18:00"))
    # Autumn: Saturday 20:00 CEST (18:00Z) → Sunday 08:00 CET (07:00Z): 13 hours.
    assert ask((rotation,), utc("2026-10-24 18:00"))[2] == utc("2026-10-25 07:00")


def test_active_hours_across_dst_gap_and_ambiguous_hour() -> None:
    nights = layer("night", (ANNA,), BERLIN, active=((time(22), time(2, 30)),))
    # Fall-back night 2026-10-25: 02:30 happens twice; the window closes at the second one.
    assert ask((nights,), utc("2026-10-24 23:00")) == (ANNA, "night", utc("2026-10-25 01:30"))
    assert ask((nights,), utc("2026-10-25 01:29:59")) is not None
    assert ask((nights,), utc("2026-10-25 01:30")) is None
    # Spring-forward night 2026-03-29: 02:00-03:00 does not exist; 02:30 means 03:00 CEST.
    assert ask((nights,), utc("2026-03-28 22:00"))[2] == utc("2026-03-29 01:00")
    early = layer("early", (BEN,), BERLIN, active=((time(2, 30), time(6)),))
    assert ask((early,), utc("2026-03-29 00:59:59")) is None
    assert ask((early,), utc("2026-03-29 01:00")) == (BEN, "early", utc("2026-03-29 04:00"))
    # A daily hand-off at 02:30 happens when the clocks jump.
    daily = layer("d", (ANNA, BEN), BERLIN, length=timedelta(days=1), handoff="2026-03-27 02:30")
    before = ask((daily,), utc("2026-03-28 12:00"))
    assert before[0] == BEN and before[2] == utc("2026-03-29 01:00")
    assert ask((daily,), utc("2026-03-29 01:00"))[0] == ANNA


def test_window_listed_for_friday_runs_into_saturday() -> None:
    nights = layer("nights", (ANNA,), BERLIN, active=((time(20), time(8)),), days=WEEKDAYS)
    assert ask((nights,), local(BERLIN, "2026-06-20 07:59"))[2] == utc("2026-06-20 06:00")  # Sat
    assert ask((nights,), local(BERLIN, "2026-06-20 20:00")) is None  # Saturday's own: none
    assert ask((nights,), local(BERLIN, "2026-06-22 07:00")) is None  # Sunday's: none
    assert ask((nights,), local(BERLIN, "2026-06-22 20:00")) is not None  # Monday's


# -- follow-the-sun ------------------------------------------------------------------------

# Monday 2026-06-15 in UTC: EMEA 06-18 (CEST), AMER 12-24 (EDT), APAC 22-10 (AEST, no DST).
SUN = (EMEA, AMER, APAC)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2026-06-15 05:00", (FIN, "apac", "2026-06-15 06:00")),  # EMEA starts and wins
        ("2026-06-15 06:00", (CARA, "emea", "2026-06-15 07:00")),  # Berlin hand-off 09:00
        ("2026-06-15 07:00", (ANNA, "emea", "2026-06-15 18:00")),
        ("2026-06-15 13:00", (ANNA, "emea", "2026-06-15 18:00")),  # overlaps AMER: EMEA first
        ("2026-06-15 18:00", (DAN, "amer", "2026-06-16 00:00")),  # AMER shifted at 13:00Z
        ("2026-06-15 23:00", (DAN, "amer", "2026-06-16 00:00")),  # APAC active, listed later
        ("2026-06-16 00:00", (FIN, "apac", "2026-06-16 06:00")),
    ],
)
def test_follow_the_sun_three_layers(at: str, expected: tuple[Identity, str, str]) -> None:
    person, name, until = expected
    assert ask(SUN, utc(at)) == (person, name, utc(until))


def test_follow_the_sun_two_layers_leaves_a_gap() -> None:
    two = (EMEA, AMER)
    assert ask(two, utc("2026-06-16 00:00")) is None
    assert ask(two, utc("2026-06-16 05:59:59")) is None
    assert ask(two, utc("2026-06-15 23:59:59"))[2] == utc("2026-06-16 00:00")
    assert gaps(TIER, two, (), utc("2026-06-15 00:00"), utc("2026-06-17 00:00")) == [
        (utc("2026-06-15 00:00"), utc("2026-06-15 06:00")),
        (utc("2026-06-16 00:00"), utc("2026-06-16 06:00")),
    ]


def test_an_earlier_layer_cuts_a_later_one_short_when_it_starts() -> None:
    amer_first = (AMER, EMEA)
    assert ask(amer_first, utc("2026-06-15 07:00")) == (ANNA, "emea", utc("2026-06-15 12:00"))
    assert ask(amer_first, utc("2026-06-15 12:00")) == (EVE, "amer", utc("2026-06-15 13:00"))
    assert ask(amer_first, utc("2026-06-15 13:00")) == (DAN, "amer", utc("2026-06-16 00:00"))


def test_sydney_dst_changes_the_apac_hours() -> None:
    # June: AEST (+10), APAC 08-20 is 22:00Z-10:00Z; from 2026-10-04 AEDT (+11): 21:00Z-09:00Z.
    assert ask((APAC,), utc("2026-06-16 09:30")) == (FIN, "apac", utc("2026-06-16 10:00"))
    assert ask((APAC,), utc("2026-10-13 09:30")) is None
    assert ask((APAC,), utc("2026-10-12 21:00"))[2] == utc("2026-10-13 09:00")
    assert ask((APAC,), utc("2026-10-12 20:59:59")) is None


# -- overrides -----------------------------------------------------------------------------


def test_override_wins_over_the_rotation_and_ends() -> None:
    takeover = (override(XAVI, "2026-06-15 10:00", "2026-06-15 14:00", "2026-06-15 09:55"),)
    assert ask(SUN, utc("2026-06-15 09:00"), takeover) == (ANNA, "emea", utc("2026-06-15 10:00"))
    assert ask(SUN, utc("2026-06-15 10:00"), takeover) == (
        XAVI,
        "override",
        utc("2026-06-15 14:00"),
    )
    assert ask(SUN, utc("2026-06-15 13:59"), takeover)[0] == XAVI
    assert ask(SUN, utc("2026-06-15 14:00"), takeover) == (ANNA, "emea", utc("2026-06-15 18:00"))
    # Overrides also cover gaps, and other tiers' overrides do not count.
    night = (override(XAVI, "2026-06-16 01:00", "2026-06-16 03:00", "2026-06-15 20:00"),)
    assert ask((EMEA, AMER), utc("2026-06-16 02:00"), night)[0] == XAVI
    elsewhere = (override(XAVI, "2026-06-15 10:00", "2026-06-15 14:00", "2026-06-15 09:00", "L3"),)
    assert ask(SUN, utc("2026-06-15 11:00"), elsewhere)[0] == ANNA


def test_overlapping_overrides_latest_created_wins() -> None:
    older = override(XAVI, "2026-06-15 10:00", "2026-06-15 14:00", "2026-06-15 09:00")
    newer = override(YARA, "2026-06-15 12:00", "2026-06-15 16:00", "2026-06-15 11:00")
    both = (newer, older)  # sequence order does not matter, created_at does
    assert ask(SUN, utc("2026-06-15 11:00"), both) == (XAVI, "override", utc("2026-06-15 12:00"))
    assert ask(SUN, utc("2026-06-15 12:00"), both) == (YARA, "override", utc("2026-06-15 16:00"))
    assert ask(SUN, utc("2026-06-15 16:00"), both)[1] == "emea"
    # Created the other way round: the newer one runs to its end, then the older resumes.
    newer_first = override(YARA, "2026-06-15 12:00", "2026-06-15 16:00", "2026-06-15 08:00")
    flipped = (older, newer_first)
    assert ask(SUN, utc("2026-06-15 12:30"), flipped) == (XAVI, "override", utc("2026-06-15 14:00"))
    assert ask(SUN, utc("2026-06-15 14:00"), flipped) == (YARA, "override", utc("2026-06-15 16:00"))


def test_until_is_exact_at_every_boundary_of_a_day() -> None:
    overrides = (
        override(XAVI, "2026-06-15 10:00", "2026-06-15 14:00", "2026-06-15 09:00"),
        override(YARA, "2026-06-15 12:00", "2026-06-15 16:00", "2026-06-15 11:00"),
    )
    t, end, seen = utc("2026-06-15 04:00"), utc("2026-06-16 08:00"), []
    while t < end:
        answer = on_call(TIER, (EMEA, AMER), overrides, t)
        if answer is None:
            seen.append((t, None))
            t += timedelta(hours=1)  # the only gap is 00:00-06:00
            continue
        assert answer.until > t
        assert (
            on_call(TIER, (EMEA, AMER), overrides, answer.until - timedelta(microseconds=1))
            == answer
        )
        seen.append((t, answer.person))
        t = answer.until
    assert [(at.strftime("%d %H:%M"), p and p.external_id) for at, p in seen] == [
        ("15 04:00", None),
        ("15 05:00", None),
        ("15 06:00", "cara"),  # emea, until the 09:00 Berlin hand-off
        ("15 07:00", "UANNA"),
        ("15 10:00", "UXAVI"),  # override
        ("15 12:00", "444"),  # newer override
        ("15 16:00", "UANNA"),  # back to emea
        ("15 18:00", "UDAN"),  # amer (hand-off at 13:00Z was hidden under emea)
        ("16 00:00", None),
        ("16 01:00", None),
        ("16 02:00", None),
        ("16 03:00", None),
        ("16 04:00", None),
        ("16 05:00", None),
        ("16 06:00", "UANNA"),
    ]


# -- next_in_rotation ----------------------------------------------------------------------


def test_next_in_rotation() -> None:
    at = utc("2026-06-15 07:00")  # emea, ANNA on shift
    assert next_in_rotation(TIER, SUN, at, ANNA) == BEN
    assert next_in_rotation(TIER, SUN, at, CARA) == ANNA  # wraps
    assert next_in_rotation(TIER, SUN, at, XAVI) == ANNA  # not a member: whoever is on shift
    assert next_in_rotation(TIER, SUN, utc("2026-06-15 20:00"), DAN) == EVE  # amer by then
    assert next_in_rotation(TIER, (EMEA, AMER), utc("2026-06-16 02:00"), DAN) is None  # a gap
    solo = layer("solo", (ANNA,), BERLIN)
    assert next_in_rotation(TIER, (solo,), at, ANNA) is None
    assert next_in_rotation(TIER, (solo,), at, BEN) == ANNA
    # A member listed twice: count from the shift that is running.
    uneven = layer("uneven", (ANNA, BEN, ANNA, CARA), BERLIN, handoff="2026-06-15 09:00")
    third_week = utc("2026-06-29 08:00")
    assert on_call(TIER, (uneven,), (), third_week).person == ANNA  # type: ignore[union-attr]
    assert next_in_rotation(TIER, (uneven,), third_week, ANNA) == CARA
    assert next_in_rotation(TIER, (uneven,), utc("2026-06-15 08:00"), ANNA) == BEN


# -- gaps ----------------------------------------------------------------------------------


def test_gaps_over_14_days_of_a_12x5_layer_are_exact_across_dst() -> None:
    office = layer("office", (ANNA, BEN, CARA), BERLIN, active=DAYTIME, days=WEEKDAYS)
    start, end = local(BERLIN, "2026-03-23 00:00"), local(BERLIN, "2026-04-06 00:00")
    expected = [(start, local(BERLIN, "2026-03-23 08:00"))]
    for monday in ("2026-03-23", "2026-03-30"):
        first = datetime.fromisoformat(monday)
        for n in range(5):
            day = first + timedelta(days=n)
            reopen = day + timedelta(days=3 if n == 4 else 1, hours=8)
            closes = (day + timedelta(hours=20)).replace(tzinfo=BERLIN)
            expected.append((closes, min(reopen.replace(tzinfo=BERLIN), end)))
    began = stopwatch.perf_counter()
    found = gaps(TIER, (office,), (), start, end)
    elapsed = stopwatch.perf_counter() - began
    assert found == expected and len(found) == 11
    assert found[5] == (utc("2026-03-27 19:00"), utc("2026-03-30 06:00"))  # CET → CEST
    assert all(a.tzinfo is UTC and b.tzinfo is UTC for a, b in found)
    assert elapsed < 0.05
    # A very short rotation walks as fast: gaps follow coverage, not hand-offs.
    fast = layer(
        "fast", (ANNA, BEN), BERLIN, active=DAYTIME, days=WEEKDAYS, length=timedelta(seconds=45)
    )
    assert gaps(TIER, (fast,), (), start, end) == expected


def test_gaps_agree_with_walking_on_call_and_overrides_fill_them() -> None:
    office = layer("office", (ANNA, BEN), BERLIN, active=DAYTIME, days=WEEKDAYS)
    weekend = (override(XAVI, "2026-06-20 10:00", "2026-06-20 14:00", "2026-06-19 12:00"),)
    start, end = utc("2026-06-19 00:00"), utc("2026-06-23 00:00")
    found = gaps(TIER, (office,), weekend, start, end)
    assert found == [
        (start, utc("2026-06-19 06:00")),
        (utc("2026-06-19 18:00"), utc("2026-06-20 10:00")),
        (utc("2026-06-20 14:00"), utc("2026-06-22 06:00")),
        (utc("2026-06-22 18:00"), end),
    ]
    walked, t = [], start
    while t < end:
        answer = on_call(TIER, (office,), weekend, t)
        if answer is not None:
            t = answer.until
            continue
        hole = next(b for a, b in found if a <= t < b)
        walked.append((t, hole))
        assert on_call(TIER, (office,), weekend, hole - timedelta(microseconds=1)) is None
        t = hole
    assert walked == found
    assert gaps(TIER, (layer("always", (ANNA,), BERLIN),), (), start, end) == []
    assert gaps(TIER, (), (), start, end) == [(start, end)]
    assert gaps(TIER, (office,), (), end, start) == []


# -- configuration -------------------------------------------------------------------------

TOML = """
[[tiers.rotations]]
name = "emea"
members = ["slack:U111", "telegram:222", "console:bob"]
timezone = "Europe/Berlin"
active = "08:00-20:00"
days = "mon-fri"
length = "1w"
handoff = 2026-11-02T09:00:00+01:00

[[tiers.rotations]]
name = "amer"
members = ["slack:U333", "slack:U444"]
timezone = "America/New_York"
active = "08:00-12:00, 13:00-17:00"
days = "mon,wed,fri"
length = "12h"
handoff = "2026-11-02T08:00"

[[tiers.rotations]]
name = "weekend"
members = ["console:carol"]
timezone = "Asia/Tokyo"
active = "20:00-08:00"
days = "fri-mon"
"""


def test_parse_layers_from_toml() -> None:
    emea, amer, weekend = parse_layers(tomllib.loads(TOML)["tiers"]["rotations"], KEY)
    assert emea == Layer(
        "emea",
        (Identity("slack", "U111"), Identity("telegram", "222"), Identity("console", "bob")),
        "Europe/Berlin",
        (Window(time(8), time(20)),),
        frozenset({0, 1, 2, 3, 4}),
        timedelta(weeks=1),
        utc("2026-11-02 08:00"),
    )
    assert amer.active == (Window(time(8), time(12)), Window(time(13), time(17)))
    assert amer.days == frozenset({0, 2, 4}) and amer.length == timedelta(hours=12)
    assert amer.handoff == utc("2026-11-02 13:00")  # naive: read in New York (EST)
    assert weekend.active == (Window(time(20), time(8)),) and weekend.days == frozenset(
        {4, 5, 6, 0}
    )
    assert weekend.length == timedelta(weeks=1) and weekend.handoff.tzinfo is not None
    everyday = parse_layers(
        [{"name": "x", "members": ["console:a"], "active": "always", "days": "sat-sun"}],
        KEY,
        default_timezone="UTC",
    )[0]
    assert everyday.active == () and everyday.days == frozenset({5, 6}) and not everyday.always
    full = parse_layers(
        [{"name": "x", "members": ["console:a"], "active": "00:00-24:00"}],
        KEY,
        default_timezone="UTC",
    )
    assert full[0].active == (Window(time(0), time(0)),)


def _good() -> dict[str, Any]:
    return {
        "name": "emea",
        "members": ["slack:U111", "console:bob"],
        "timezone": "Europe/Berlin",
        "active": "08:00-20:00",
        "handoff": "2026-11-02T09:00:00+01:00",
    }


@pytest.mark.parametrize(
    ("change", "key", "reason"),
    [
        ({"members": []}, f"{KEY}[1].members", "at least one"),
        ({"members": "slack:U1"}, f"{KEY}[1].members", "expected a list"),
        ({"members": ["slack:U1", "bob"]}, f"{KEY}[1].members[1]", "platform:id"),
        ({"name": "emea"}, f"{KEY}[1].name", "duplicate"),
        ({"name": "override"}, f"{KEY}[1].name", "reserved"),
        ({"timezone": "Mars/Olympus"}, f"{KEY}[1].timezone", "unknown time zone"),
        ({"active": "25:00-08:00"}, f"{KEY}[1].active", "'25:00' in window '25:00-08:00': out of"),
        ({"active": "8-20"}, f"{KEY}[1].active", "bad time '8' in window '8-20': use HH:MM"),
        ({"active": "08:00-12:00, lunch"}, f"{KEY}[1].active", "'lunch' must look like HH:MM-HH"),
        ({"active": 8}, f"{KEY}[1].active", "expected"),
        ({"days": "mon-funday"}, f"{KEY}[1].days", "weekday"),
        ({"length": "0s"}, f"{KEY}[1].length", "positive"),
        ({"length": "soon"}, f"{KEY}[1].length", "duration"),
        ({"handoff": "next monday"}, f"{KEY}[1].handoff", "ISO-8601"),
        ({"handoff": None}, f"{KEY}[1].handoff", "required"),
        ({"lenght": "1w"}, f"{KEY}[1].lenght", "unknown key"),
    ],
)
def test_config_errors_name_the_key(change: dict[str, Any], key: str, reason: str) -> None:
    second = {**_good(), "name": "amer", **change}
    second = {k: v for k, v in second.items() if v is not None}
    with pytest.raises(ConfigError) as caught:
        parse_layers([_good(), second], KEY)
    assert caught.value.key == key
    assert reason in caught.value.reason


def test_config_errors_for_the_list_itself() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_layers({"name": "x"}, KEY)  # type: ignore[arg-type]
    assert caught.value.key == KEY
    with pytest.raises(ConfigError) as caught:
        parse_layers([{"name": "x", "members": ["console:a"]}], KEY)
    assert caught.value.key == f"{KEY}[0].timezone"


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        on_call(TIER, SUN, (), datetime(2026, 6, 15, 12))
    with pytest.raises(ValueError, match="aware"):
        OnCallOverride(
            TIER, XAVI, datetime(2026, 6, 15), utc("2026-06-16 00:00"), utc("2026-06-15 00:00")
        )


# -- property: the answer holds on [at, until) ---------------------------------------------

NIGHTS = layer(
    "nights",
    (ANNA, BEN, CARA),
    NEW_YORK,
    active=((time(20), time(2, 30)), (time(1), time(6))),
    days=frozenset({0, 2, 4, 6}),
    length=timedelta(hours=5),
    handoff="2026-03-08 02:30",  # inside New York's spring-forward gap
)
MIXED = (
    layer("emea", (ANNA, BEN), BERLIN, active=DAYTIME, days=WEEKDAYS, length=timedelta(days=1)),
    NIGHTS,
    layer(
        "apac", (FIN, GUS, HAL), SYDNEY, active=((time(7), time(19)),), length=timedelta(hours=36)
    ),
)
OVERRIDES = (
    override(XAVI, "2026-03-28 22:00", "2026-03-29 09:00", "2026-03-20 00:00"),
    override(YARA, "2026-03-29 03:00", "2026-03-29 04:00", "2026-03-21 00:00"),
    override(XAVI, "2026-10-31 12:00", "2026-11-01 12:00", "2026-10-01 00:00"),
)
TRANSITIONS = [
    utc(t)
    for t in (
        "2026-03-08 07:00",
        "2026-03-29 01:00",
        "2026-04-04 16:00",
        "2026-10-03 16:00",
        "2026-10-25 01:00",
        "2026-11-01 06:00",
    )
]
YEAR = st.integers(0, 366 * 86400 * 10**6).map(
    lambda us: utc("2026-01-01 00:00") + timedelta(microseconds=us)
)
NEAR_DST = st.tuples(st.sampled_from(TRANSITIONS), st.integers(-2 * 86400, 2 * 86400)).map(
    lambda pair: pair[0] + timedelta(seconds=pair[1])
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    at=st.one_of(YEAR, NEAR_DST), fractions=st.lists(st.floats(0, 1, exclude_max=True), max_size=3)
)
def test_answer_is_constant_until_until(at: datetime, fractions: list[float]) -> None:
    answer = on_call(TIER, MIXED, OVERRIDES, at)
    if answer is None:
        hole = [g for g in gaps(TIER, MIXED, OVERRIDES, at, at + timedelta(days=9))]
        assert hole and hole[0][0] == at
        return
    assert isinstance(answer, OnCall) and answer.until > at
    span = answer.until - at
    for fraction in [*fractions, 0.5]:
        inside = min(at + span * fraction, answer.until - timedelta(microseconds=1))
        assert on_call(TIER, MIXED, OVERRIDES, inside) == answer
    assert on_call(TIER, MIXED, OVERRIDES, answer.until - timedelta(microseconds=1)) == answer


@settings(max_examples=100, deadline=None)
@given(
    offset=st.integers(-(10**13), 10**13),
    length=st.integers(1, 30 * 86400),
    size=st.integers(1, 5),
)
def test_without_clock_changes_the_index_is_floor_of_elapsed_over_length(
    offset: int, length: int, size: int
) -> None:
    members = tuple(Identity("console", f"m{i}") for i in range(size))
    handoff = utc("2026-11-02 08:00")
    plain = Layer("utc", members, "UTC", (), ALL_DAYS, timedelta(seconds=length), handoff)
    at = handoff + timedelta(microseconds=offset)
    answer = on_call(TIER, (plain,), (), at)
    shift = (at - handoff) // timedelta(seconds=length)
    assert answer == OnCall(
        TIER, members[shift % size], handoff + timedelta(seconds=length) * (shift + 1), "utc"
    )
