"""Business calendars: when an SLA clock runs, exact to the microsecond and correct across DST.

The model
---------
A :class:`Calendar` is a time zone plus weekly opening hours. ``week[d]`` lists the
:class:`Window` s that *start* on weekday ``d`` (0 = Monday … 6 = Sunday). A window is a pair of
wall-clock times in the calendar's zone; when ``end <= start`` it crosses midnight and ends on
the next day, so ``week[0] = parse_windows("22:00-06:00")`` runs Monday 22:00 → Tuesday 06:00
and ``"00:00-24:00"`` (stored as ``00:00``–``00:00``) is the whole day. By the same rule
``"08:00-08:00"`` is a 24-hour window. Several windows a day are allowed (a lunch break is two
windows); :func:`parse_windows` refuses windows of one day that overlap each other.

Each window of each local date becomes a half-open interval ``[open, close)`` of real (UTC)
instants, and the calendar's business time is the union of those intervals. Windows of
neighbouring days that overlap (``mon = "22:00-06:00"`` with ``tue = "05:00-09:00"``) simply
merge; nothing is counted twice. Consequences of the half-open form: the calendar is open *at*
a window's opening instant and closed *at* its closing instant.

Daylight-saving time
--------------------
Windows are wall-clock times, so the real length of a window follows the clock changes:
``01:00-04:00`` on the spring-forward night in Europe/Berlin lasts 2 real hours, on the
fall-back night 4. Wall times are turned into instants with :mod:`zoneinfo` as follows:

* a wall time that does not exist (skipped by a spring-forward gap) maps to the instant the
  gap ends, i.e. the first instant at which the wall clock shows that time or later; a window
  lying entirely inside the gap is therefore empty;
* an ambiguous wall time (repeated by a fall-back) maps to its *first* occurrence
  (``fold=0``) when it opens a window and to its *second* occurrence (``fold=1``) when it
  closes one, so a window spans from the first moment the clock shows its opening time to the
  last moment it shows its closing time.

Holidays and closed dates
-------------------------
Public holidays come from the ``holidays`` package (``country_holidays(country,
subdiv=subdivision)``), computed lazily per year and cached; ``closed_dates`` adds whole local
days. A window is closed entirely when **the date it starts on** is a holiday or a closed date:
a holiday Monday cancels Monday's ``22:00-06:00`` window (including its Tuesday morning part),
while Sunday's overnight window still runs into the holiday Monday morning.

24x7
----
A calendar with ``always=True`` counts real elapsed time (plain UTC arithmetic) and ignores
``week``, holidays and closed dates.

Adding time
-----------
:meth:`Calendar.add` spends a budget of business seconds from an instant. When the budget runs
out exactly at a window's end, that end is the due time (not the next opening). ``add(start,
0)`` returns ``start`` itself (in UTC) even when the calendar is closed then: a zero target is
due at once. For any positive budget the due instant is preceded by business time, so it is
never strictly inside a closed period. Every method takes aware datetimes and returns aware UTC
datetimes. Long targets walk the calendar day by day (a few microseconds a day); a calendar
that never opens raises :class:`ValueError` instead of looping.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

__all__ = [
    "PRESETS",
    "WEEKDAYS",
    "Calendar",
    "Window",
    "holidays_problem",
    "parse_week",
    "parse_window",
    "parse_windows",
    "preset",
    "wall_to_utc",
    "window_interval",
]

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PRESETS: tuple[str, ...] = ("24x7", "12x5", "8x5")

_DAY = timedelta(days=1)
_ZERO = timedelta(0)
_MIDNIGHT = time(0)
#: Days in a row with no business time after which a scan gives up (plus one per closed date).
_MAX_CLOSED_RUN_DAYS = 400


@dataclass(frozen=True, slots=True)
class Window:
    """Opening hours that start on some day: ``start`` → ``end`` in wall-clock time.

    ``end <= start`` means the window crosses midnight and ends on the next day; in particular
    ``Window(time(0), time(0))`` is the whole day (``"00:00-24:00"``).
    """

    start: time
    end: time

    def __post_init__(self) -> None:
        if not isinstance(self.start, time) or not isinstance(self.end, time):
            raise TypeError("Window needs two datetime.time values")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("Window times are wall-clock times and must be naive")

    @property
    def crosses_midnight(self) -> bool:
        """True when the window ends on the day after it starts."""
        return self.end <= self.start

    @property
    def nominal(self) -> timedelta:
        """The window's length on a day without a clock change."""
        length = _seconds(self.end) - _seconds(self.start)
        if length <= 0:
            length += 86_400
        return timedelta(seconds=length)

    def __str__(self) -> str:
        end = "24:00" if self.end == _MIDNIGHT and self.start == _MIDNIGHT else _fmt(self.end)
        return f"{_fmt(self.start)}-{end}"


class _Week(Mapping[int, tuple[Window, ...]]):
    """A read-only, hashable weekday → windows mapping (weekdays without windows are absent)."""

    __slots__ = ("_days",)

    def __init__(self, days: Mapping[int, tuple[Window, ...]]) -> None:
        self._days: tuple[tuple[Window, ...], ...] = tuple(tuple(days.get(d, ())) for d in range(7))

    def __getitem__(self, weekday: int) -> tuple[Window, ...]:
        if not isinstance(weekday, int) or not 0 <= weekday <= 6 or not self._days[weekday]:
            raise KeyError(weekday)
        return self._days[weekday]

    def __iter__(self) -> Iterator[int]:
        return (d for d in range(7) if self._days[d])

    def __len__(self) -> int:
        return sum(1 for windows in self._days if windows)

    def __hash__(self) -> int:
        return hash(self._days)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Week):
            return self._days == other._days
        return Mapping.__eq__(self, other)

    def __repr__(self) -> str:
        inner = ", ".join(
            f"{WEEKDAYS[d]}: {', '.join(str(w) for w in self._days[d])!r}" for d in self
        )
        return "{" + inner + "}"

    def windows(self, weekday: int) -> tuple[Window, ...]:
        """The windows starting on ``weekday``; empty when closed."""
        return self._days[weekday]


@dataclass(frozen=True, slots=True)
class Calendar:
    """A named business calendar; see the module docstring for the exact semantics."""

    name: str
    zone: str
    week: Mapping[int, tuple[Window, ...]] = field(default_factory=dict)
    always: bool = False
    holidays_country: str | None = None
    holidays_subdivision: str | None = None
    closed_dates: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        try:
            _zone(self.zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"calendar {self.name!r}: unknown time zone {self.zone!r}") from exc
        if not isinstance(self.week, _Week):
            for weekday, windows in self.week.items():
                if not isinstance(weekday, int) or not 0 <= weekday <= 6:
                    raise ValueError(
                        f"calendar {self.name!r}: weekday keys are 0 (Monday) to 6 (Sunday), "
                        f"got {weekday!r}"
                    )
                if not all(isinstance(w, Window) for w in windows):
                    raise TypeError(f"calendar {self.name!r}: week values must be Windows")
            object.__setattr__(self, "week", _Week(self.week))
        if not isinstance(self.closed_dates, frozenset):
            object.__setattr__(self, "closed_dates", frozenset(self.closed_dates))
        if self.holidays_subdivision is not None and self.holidays_country is None:
            raise ValueError(
                f"calendar {self.name!r}: a holidays subdivision needs a holidays country"
            )
        if self.holidays_country is not None:
            _check_holidays(self.name, self.holidays_country, self.holidays_subdivision)
        if not self.always and not any(self.week.values()):
            raise ValueError(f"calendar {self.name!r} has no open time at all")

    # -- queries -------------------------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        """Whether ``at`` is business time (open at a window's start, closed at its end)."""
        instant = _utc(at)
        if self.always:
            return True
        for opens, closes in self._intervals_from(instant):
            return opens <= instant < closes
        raise AssertionError("unreachable: the interval scan never ends empty")  # pragma: no cover

    def add(self, start: datetime, seconds: float | timedelta) -> datetime:
        """The instant at which ``seconds`` of business time counted from ``start`` are spent."""
        budget = _duration(seconds)
        instant = _utc(start)
        if budget == _ZERO or self.always:
            return instant + budget
        for opens, closes in self._intervals_from(instant):
            available = closes - max(opens, instant)
            if budget <= available:
                return max(opens, instant) + budget
            budget -= available
        raise AssertionError("unreachable: the interval scan never ends")  # pragma: no cover

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time between two instants; zero when ``end <= start``."""
        begin, finish = _utc(start), _utc(end)
        if finish <= begin:
            return _ZERO
        if self.always:
            return finish - begin
        total = _ZERO
        for opens, closes in self._intervals_from(begin, until=finish):
            if opens >= finish:
                break
            total += min(closes, finish) - max(opens, begin)
        return total

    def next_opening(self, at: datetime) -> datetime:
        """``at`` itself (in UTC) when open, else the next instant the calendar opens."""
        instant = _utc(at)
        if self.always:
            return instant
        for opens, _closes in self._intervals_from(instant):
            return max(opens, instant)
        raise AssertionError("unreachable")  # pragma: no cover

    def next_closing(self, at: datetime) -> datetime | None:
        """The end of the open period containing ``at``, or of the next one when closed.

        ``None`` for 24x7, and for a calendar that stays open for more than a year from ``at``.
        """
        instant = _utc(at)
        if self.always:
            return None
        end: datetime | None = None
        horizon = instant + timedelta(days=_MAX_CLOSED_RUN_DAYS)
        for opens, closes in self._intervals_from(instant):
            if end is not None and opens > end:
                return end
            end = closes
            if end > horizon:
                return None
        raise AssertionError("unreachable")  # pragma: no cover

    def windows_on(self, day: date) -> tuple[Window, ...]:
        """The windows starting on local date ``day`` (none on a holiday or closed date)."""
        if self.always:
            return (Window(_MIDNIGHT, _MIDNIGHT),)
        if self.is_closed_date(day):
            return ()
        assert isinstance(self.week, _Week)
        return self.week.windows(day.weekday())

    def is_closed_date(self, day: date) -> bool:
        """Whether ``day`` is a public holiday or an extra closed date of this calendar."""
        if day in self.closed_dates:
            return True
        if self.holidays_country is None:
            return False
        return day in _holiday_dates(self.holidays_country, self.holidays_subdivision, day.year)

    # -- the interval scan ---------------------------------------------------------------

    def _intervals_from(
        self, instant: datetime, until: datetime | None = None
    ) -> Iterator[tuple[datetime, datetime]]:
        """Disjoint, ordered open intervals (UTC) that end after ``instant``.

        Each interval comes from one window; touching intervals are not merged, overlapping
        ones are clipped so nothing counts twice. Raises ``ValueError`` when no business time
        turns up for longer than any plausible closure (so a scan can never loop forever).
        """
        zone = _zone(self.zone)
        day = instant.astimezone(zone).date() - 2 * _DAY
        frontier = instant
        closed_run = 0
        limit = _MAX_CLOSED_RUN_DAYS + len(self.closed_dates)
        while True:
            found = False
            for window in self.windows_on(day):
                opens, closes = window_interval(zone, day, window)
                opens = max(opens, frontier)
                if closes <= opens:
                    continue
                frontier = closes
                found = True
                yield opens, closes
            if until is not None and _local_midnight(zone, day) > until:
                return
            closed_run = 0 if found else closed_run + 1
            if closed_run > limit:
                raise ValueError(
                    f"calendar {self.name!r} has no open time in the {limit} days up to {day}"
                )
            day += _DAY


def preset(
    name: str,
    zone: str,
    *,
    holidays_country: str | None = None,
    holidays_subdivision: str | None = None,
    closed_dates: frozenset[date] = frozenset(),
) -> Calendar:
    """A ready-made calendar: ``24x7``, ``12x5`` (Mon–Fri 08:00–20:00) or ``8x5`` (09:00–17:00)."""
    key = name.strip().lower()
    if key == "24x7":
        return Calendar(
            name=key,
            zone=zone,
            week=dict.fromkeys(range(7), (Window(_MIDNIGHT, _MIDNIGHT),)),
            always=True,
            holidays_country=holidays_country,
            holidays_subdivision=holidays_subdivision,
            closed_dates=closed_dates,
        )
    hours = {"12x5": (time(8), time(20)), "8x5": (time(9), time(17))}.get(key)
    if hours is None:
        raise ValueError(f"unknown calendar preset {name!r}; known: {', '.join(PRESETS)}")
    return Calendar(
        name=key,
        zone=zone,
        week=dict.fromkeys(range(5), (Window(*hours),)),
        holidays_country=holidays_country,
        holidays_subdivision=holidays_subdivision,
        closed_dates=closed_dates,
    )


_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")


def parse_windows(text: str) -> tuple[Window, ...]:
    """Parse one day's opening hours, e.g. ``"08:00-12:00, 13:00-17:00"`` or ``"22:00-06:00"``.

    ``"00:00-24:00"`` is the whole day; ``""`` and ``"closed"`` mean no windows. Windows come
    back sorted by start. Raises ``ValueError`` naming the problem for malformed times and for
    windows of the same day that overlap (a window crossing midnight reaches into the next day
    and is checked as such).
    """
    cleaned = text.strip()
    if cleaned == "" or cleaned.lower() == "closed":
        return ()
    windows: list[Window] = []
    for part in cleaned.split(","):
        if not part.strip():
            raise ValueError(f"empty window in {text!r}")
        windows.append(parse_window(part))
    windows.sort(key=lambda w: w.start)
    spans = [(_seconds(w.start), _seconds(w.start) + w.nominal.total_seconds(), w) for w in windows]
    for (_, first_end, first), (second_start, _, second) in pairwise(spans):
        if second_start < first_end:
            raise ValueError(f"windows {first} and {second} overlap in {text!r}")
    return tuple(windows)


def parse_window(text: str) -> Window:
    """One window, ``"08:00-20:00"``, ``"22:00-06:00"`` (crosses midnight), ``"00:00-24:00"``."""
    piece = text.strip()
    bounds = [b.strip() for b in piece.split("-")]
    if len(bounds) != 2 or not all(bounds):
        raise ValueError(f"window {piece!r} must look like HH:MM-HH:MM")
    start = _parse_time(bounds[0], piece, as_end=False)
    end = _parse_time(bounds[1], piece, as_end=True)  # "24:00" → 00:00 of the next day
    return Window(start, end)


def parse_week(days: Mapping[str, str]) -> dict[int, tuple[Window, ...]]:
    """Parse ``{"mon": "08:00-20:00", …}`` (day names ``mon``…``sun``) into a ``week`` mapping."""
    week: dict[int, tuple[Window, ...]] = {}
    for key, text in days.items():
        name = key.strip().lower()[:3]
        if name not in WEEKDAYS or key.strip().lower() not in (name, _long_day(name)):
            raise ValueError(f"unknown weekday {key!r}; use mon, tue, wed, thu, fri, sat, sun")
        weekday = WEEKDAYS.index(name)
        if weekday in week:
            raise ValueError(f"weekday {key!r} given twice")
        week[weekday] = parse_windows(text)
    return week


# -- helpers ------------------------------------------------------------------------------


def _long_day(short: str) -> str:
    return {
        "mon": "monday",
        "tue": "tuesday",
        "wed": "wednesday",
        "thu": "thursday",
        "fri": "friday",
        "sat": "saturday",
        "sun": "sunday",
    }[short]


def _parse_time(text: str, window: str, *, as_end: bool) -> time:
    match = _TIME.fullmatch(text)
    if match is None:
        raise ValueError(f"bad time {text!r} in window {window!r}: use HH:MM or HH:MM:SS")
    hour, minute = int(match[1]), int(match[2])
    second = int(match[3]) if match[3] else 0
    if hour == 24 and minute == 0 and second == 0:
        if not as_end:
            raise ValueError(f"window {window!r} cannot start at 24:00")
        return _MIDNIGHT
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"bad time {text!r} in window {window!r}: out of range")
    return time(hour, minute, second)


def _fmt(value: time) -> str:
    return value.strftime("%H:%M:%S" if value.second or value.microsecond else "%H:%M")


def _seconds(value: time) -> float:
    return value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"calendar arithmetic needs an aware datetime, got {value!r}")
    return value.astimezone(UTC)


def _duration(value: float | timedelta) -> timedelta:
    budget = value if isinstance(value, timedelta) else timedelta(seconds=value)
    if budget < _ZERO:
        raise ValueError(f"cannot add a negative duration ({budget})")
    return budget


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def holidays_problem(country: str, subdivision: str | None) -> tuple[str, str] | None:
    """Which of ``holidays`` / ``subdivision`` the ``holidays`` package does not know, and
    a reason a person can act on; None when both are known. Only the country asked about is
    loaded (listing every supported country imports them all: 8 MiB a process keeps)."""
    try:
        entity = holidays.country_holidays(country, years=())
    except NotImplementedError:
        hint = (
            f'; codes are upper case: "{country.upper()}"'
            if country.upper() in holidays.list_supported_countries()
            else ' (an ISO 3166 code such as "DE" or "US")'
        )
        return "holidays", f'no public holidays are known for country "{country}"{hint}'
    if subdivision is None:
        return None
    try:
        holidays.country_holidays(country, subdiv=subdivision, years=())
    except NotImplementedError:
        codes = [code for code in entity.subdivisions if code.isupper()]
        listed = ", ".join(codes[:20]) + (", …" if len(codes) > 20 else "")
        return "subdivision", f'"{subdivision}" is not a subdivision of {country} (known: {listed})'
    return None


@lru_cache(maxsize=64)
def _check_holidays(calendar: str, country: str, subdivision: str | None) -> None:
    try:
        holidays.country_holidays(country, subdiv=subdivision, years=())
    except NotImplementedError as exc:
        raise ValueError(f"calendar {calendar!r}: {exc}") from exc


@lru_cache(maxsize=512)
def _holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """The public holidays of one year, computed once per (country, subdivision, year)."""
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())


def _local_midnight(zone: ZoneInfo, day: date) -> datetime:
    return wall_to_utc(zone, datetime.combine(day, _MIDNIGHT), closing=False)


def window_interval(zone: ZoneInfo, day: date, window: Window) -> tuple[datetime, datetime]:
    """The UTC instants a window opening on ``day`` (wall date in ``zone``) opens and closes."""
    end_day = day + _DAY if window.crosses_midnight else day
    return (
        wall_to_utc(zone, datetime.combine(day, window.start), closing=False),
        wall_to_utc(zone, datetime.combine(end_day, window.end), closing=True),
    )


@lru_cache(maxsize=8192)
def wall_to_utc(zone: ZoneInfo, wall: datetime, *, closing: bool) -> datetime:
    """The UTC instant of a naive wall time in ``zone`` (see the module docstring for DST).

    Ambiguous: first occurrence when opening, second when closing. Nonexistent: the instant
    the gap ends (the first instant whose wall time is at or after ``wall``).
    """
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first == second:
        return first
    if first.astimezone(zone).replace(tzinfo=None) == wall:  # ambiguous: both exist
        return second if closing else first
    # Nonexistent: fold=1 uses the offset after the gap, giving an instant before the change;
    # fold=0 gives one after it. Zone transitions fall on whole seconds: bisect on seconds.
    low, high = int(min(first, second).timestamp()), int(max(first, second).timestamp()) + 1
    after = datetime.fromtimestamp(high, zone).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == after:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)
