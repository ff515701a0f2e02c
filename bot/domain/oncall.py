"""Who is on call for a tier at an instant: a pure function of the rotation config and overrides.

The model
---------
A tier's on-call duty is a list of :class:`Layer` s in config order plus overrides
(:class:`OnCallOverride`) taken from chat. At an instant ``at``:

1. **Overrides win.** Among the tier's overrides with ``starts_at <= at < ends_at`` the most
   recently created one answers (equal ``created_at``: the later one in the sequence).
   Overrides with ``ends_at <= starts_at`` are ignored.
2. **Otherwise the first layer (config order) active at ``at`` answers** — follow-the-sun is
   several layers with different zones and hours, e.g. EMEA 08-20 Berlin, AMER 08-20 New York,
   APAC 08-20 Sydney; where two overlap, the one listed first wins.
3. **Otherwise nobody** is on call (``None``), which :func:`gaps` reports.

Active hours. ``Layer.active`` lists daily wall-clock windows read in ``Layer.zone``; ``()``
means the whole day. A window listed for a weekday *starts* on that weekday and, when
``end <= start``, crosses midnight: with ``days = "mon-fri"`` and ``"20:00-08:00"`` the Friday
window runs Fri 20:00 → Sat 08:00. ``"00:00-24:00"`` is stored as 00:00–00:00 and by the same
rule ``"08:00-08:00"`` is a 24-hour window. Window occurrences are half-open ``[open, close)``
intervals of real instants; overlapping or touching occurrences merge. A layer with ``()`` and
all seven days is active at every instant (plain elapsed time, no wall-clock conversion).

Rotation. Shift ``k`` starts at the wall-clock time ``handoff + k * length`` in the layer's
zone (``k`` any integer, so instants before ``handoff`` work too) and belongs to
``members[k mod len(members)]``. Without a clock change in between this is exactly
``floor((at - handoff) / length) mod len(members)``; across a DST change the hand-off keeps
its wall-clock time instead of drifting by an hour: a weekly rotation handing off Monday
09:00 Europe/Berlin hands off at 09:00 Berlin time in summer and in winter, so the shift
that spans the change lasts one hour less (spring) or more (autumn) than a week. A rotation
stepping through local time never goes backwards: shift starts are non-decreasing instants.

Daylight-saving time (the same choices as :mod:`bot.calendars`). Wall times become instants
with :mod:`zoneinfo`:

* a wall time that does not exist (skipped by a spring-forward gap) maps to the instant the
  gap ends, i.e. the first instant at which the local clock shows that time or later; a window
  lying entirely inside the gap is empty that day, and a hand-off inside the gap happens when
  the clocks jump (several very short shifts inside one gap collapse: the last one wins);
* an ambiguous wall time (repeated by a fall-back) maps to its *first* occurrence when it
  opens a window or starts a shift and to its *second* occurrence when it closes a window,
  so a window lasts from the first moment the clock shows its opening time to the last moment
  it shows its closing time, and a hand-off happens the first time the clock shows it.

Answers. :class:`OnCall` carries ``until``, the instant this answer stops being guaranteed:
the next hand-off, the end of the layer's (merged) active hours, the moment an earlier layer
becomes active, the override's end, or the start of an override that would take over —
whichever comes first. ``until > at`` always, and :func:`on_call` returns the same answer for
every instant in ``[at, until)``. At ``until`` the answer may be the same person again (for
example a one-member layer at its hand-off); callers that print "until" may ask again.

All functions take aware datetimes and return aware UTC datetimes; naive ones raise
:class:`ValueError`. :func:`parse_layers` turns TOML tables into layers and raises
:class:`~bot.errors.ConfigError` naming the dotted key (``tiers[1].rotations[0].active``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.calendars import WEEKDAYS, Window, wall_to_utc, window_interval
from bot.domain.people import Identity


@dataclass(frozen=True, slots=True)
class OnCallOverride:
    """Someone took a tier's on-call duty from chat ("I take L2 for 4 h")."""

    tier: str
    person: Identity
    starts_at: datetime
    ends_at: datetime
    created_at: datetime
    id: int | None = None

    def __post_init__(self) -> None:
        for name in ("starts_at", "ends_at", "created_at"):
            value = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"on-call override {name} must be an aware datetime")


__all__ = [
    "WEEKDAYS",
    "Layer",
    "OnCall",
    "OnCallOverride",
    "gaps",
    "next_in_rotation",
    "on_call",
]

ALL_DAYS: frozenset[int] = frozenset(range(7))
OVERRIDE_LAYER = "override"
_DAY = timedelta(days=1)
_MIDNIGHT = time(0)


@dataclass(frozen=True, slots=True)
class Layer:
    """One rotation layer of a tier (see the module docstring for the model)."""

    name: str
    members: tuple[Identity, ...]  # in rotation order
    zone: str  # IANA zone the active hours and the hand-off wall time are read in
    active: tuple[Window, ...]  # daily windows; () = the whole day
    days: frozenset[int]  # weekdays (0 = Monday) on which a window starts
    length: timedelta  # rotation length: a hand-off every `length` of wall-clock time
    handoff: datetime  # an aware instant at which members[0] starts a shift

    def __post_init__(self) -> None:
        if not self.members:
            raise ValueError(f"layer {self.name!r}: at least one member is required")
        if self.length <= timedelta(0):
            raise ValueError(f"layer {self.name!r}: the rotation length must be positive")
        _require_aware(self.handoff, "handoff")
        if not self.days or not self.days <= ALL_DAYS:
            raise ValueError(f"layer {self.name!r}: days must be a non-empty subset of 0..6")
        zone_of(self.zone)  # raises for an unknown zone

    @property
    def always(self) -> bool:
        """Active at every instant (no windows, every day)."""
        return not self.active and self.days == ALL_DAYS


@dataclass(frozen=True, slots=True)
class OnCall:
    """Who answers for ``tier``, from which layer, and until when this answer holds."""

    tier: str
    person: Identity
    until: datetime  # always > the instant asked about
    layer: str  # the layer's name, or "override"


# -- the questions -------------------------------------------------------------------------


def on_call(
    tier: str, layers: Sequence[Layer], overrides: Sequence[OnCallOverride], at: datetime
) -> OnCall | None:
    """Who is on call for ``tier`` at ``at``, and until when; ``None`` when nobody is."""
    _require_aware(at, "at")
    at = at.astimezone(UTC)
    ranked = _ranked_overrides(tier, overrides)
    winner = None
    for rank, override in enumerate(ranked):
        if override.starts_at <= at < override.ends_at:
            winner = rank  # ranked oldest first: the last match is the newest
    if winner is not None:
        current = ranked[winner]
        until = current.ends_at
        for newer in ranked[winner + 1 :]:
            if at < newer.starts_at < until:
                until = newer.starts_at
        return OnCall(tier, current.person, until.astimezone(UTC), OVERRIDE_LAYER)

    next_override = min((o.starts_at for o in ranked if o.starts_at > at), default=None)
    for index, layer in enumerate(layers):
        if not _cover(layer, at, at)[0]:
            continue
        shift, shift_end = _shift(layer, at)
        limit = shift_end if next_override is None else min(shift_end, next_override)
        until = _cover(layer, at, limit)[1]
        for earlier in layers[:index]:  # inactive now; they take over when they start
            until = min(until, _cover(earlier, at, until)[1])
        person = layer.members[shift % len(layer.members)]
        return OnCall(tier, person, until.astimezone(UTC), layer.name)
    return None


def next_in_rotation(
    tier: str, layers: Sequence[Layer], at: datetime, after: Identity
) -> Identity | None:
    """The person to escalate to when ``after`` did not acknowledge a ping for ``tier``.

    The layer is the rotation's answer at ``at`` (the first layer active then; overrides are
    not consulted). If ``after`` is a member, the answer is the next member in rotation order
    after ``after``'s position (its current shift if it is on shift, else its first listing),
    skipping entries that are ``after`` again. If ``after`` is not a member (say, they held an
    override), the answer is the layer's person on shift. ``None`` when no layer is active at
    ``at`` or the layer has nobody but ``after``. ``tier`` only names the question.
    """
    del tier  # symmetry with on_call and gaps; layers are already the tier's
    _require_aware(at, "at")
    at = at.astimezone(UTC)
    layer = next((lay for lay in layers if _cover(lay, at, at)[0]), None)
    if layer is None:
        return None
    members = layer.members
    shift = _shift(layer, at)[0] % len(members)
    if after not in members:
        return members[shift]
    position = shift if members[shift] == after else members.index(after)
    for step in range(1, len(members)):
        candidate = members[(position + step) % len(members)]
        if candidate != after:
            return candidate
    return None


def gaps(
    tier: str,
    layers: Sequence[Layer],
    overrides: Sequence[OnCallOverride],
    start: datetime,
    end: datetime,
) -> list[tuple[datetime, datetime]]:
    """The maximal intervals ``[a, b)`` inside ``[start, end)`` when nobody is on call.

    Exact (every boundary is a window edge or an override edge) and independent of the
    rotation length: it walks the union of the layers' active hours and the overrides from one
    coverage boundary to the next, so 14 days of a 45-second rotation cost as little as
    14 days of a weekly one.
    """
    _require_aware(start, "start")
    _require_aware(end, "end")
    t, end = start.astimezone(UTC), end.astimezone(UTC)
    ranked = _ranked_overrides(tier, overrides)
    found: list[tuple[datetime, datetime]] = []
    while t < end:
        covered_until: datetime | None = None
        next_start = end
        for override in ranked:
            if override.starts_at <= t < override.ends_at:
                covered_until = max(covered_until or t, min(override.ends_at, end))
            elif t < override.starts_at < next_start:
                next_start = override.starts_at
        for layer in layers:
            active, edge = _cover(layer, t, end)
            if active:
                covered_until = max(covered_until or t, edge)
            else:
                next_start = min(next_start, edge)
        if covered_until is not None:
            t = covered_until
        else:
            found.append((t, next_start))
            t = next_start
    return found


# -- the machinery -------------------------------------------------------------------------


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {value.isoformat()}")


def _ranked_overrides(tier: str, overrides: Sequence[OnCallOverride]) -> list[OnCallOverride]:
    """The tier's non-empty overrides, oldest created first (ties: sequence order)."""
    mine = [o for o in overrides if o.tier == tier and o.ends_at > o.starts_at]
    return sorted(mine, key=lambda o: o.created_at)  # stable: ties keep sequence order


def _opening(window: Window) -> tuple[time, time]:
    return window.start, window.end


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f'unknown time zone "{name}"') from exc


def _shift(layer: Layer, at: datetime) -> tuple[int, datetime]:
    """The index ``k`` of the shift containing ``at`` and the instant it ends."""
    zone = zone_of(layer.zone)
    base = layer.handoff.astimezone(zone).replace(tzinfo=None)

    def start(k: int) -> datetime:
        return wall_to_utc(zone, base + layer.length * k, closing=False)

    wall = at.astimezone(zone).replace(tzinfo=None)
    low = (wall - base) // layer.length  # exact without a clock change; adjust otherwise
    step = 1
    while start(low) > at:  # gallop down to a shift that has started
        low -= step
        step *= 2
    high, step = low + 1, 1
    while start(high) <= at:  # gallop up to a shift that has not
        low, high = high, high + step
        step *= 2
    while high - low > 1:  # start(low) <= at < start(high)
        middle = (low + high) // 2
        if start(middle) <= at:
            low = middle
        else:
            high = middle
    return low, start(high)


def _cover(layer: Layer, at: datetime, limit: datetime) -> tuple[bool, datetime]:
    """Is ``layer`` active at ``at``? If so, until when (at most ``limit``, at least just
    after ``at``); if not, when it next starts (at most ``limit`` when ``limit > at``)."""
    if layer.always:
        return True, max(limit, at)
    covered_until: datetime | None = None
    for opens, closes in _occurrences(layer, at):
        if covered_until is None:
            if closes <= at:
                continue
            if opens > at:
                return False, min(opens, limit) if limit > at else opens
            covered_until = closes
        elif opens > covered_until:
            break
        else:
            covered_until = max(covered_until, closes)
        if covered_until >= limit:
            break
    assert covered_until is not None  # _occurrences never ends
    return True, min(covered_until, limit) if limit > at else covered_until


def _occurrences(layer: Layer, since: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The layer's window occurrences, in order of opening, from the one that may contain
    ``since`` onwards (an endless stream; empty ones, inside a DST gap, are left out)."""
    zone = zone_of(layer.zone)
    windows = sorted(layer.active or (Window(_MIDNIGHT, _MIDNIGHT),), key=_opening)
    day = since.astimezone(zone).date() - _DAY  # yesterday's window may reach into today
    quiet = 0
    while True:
        produced = False
        if day.weekday() in layer.days:
            for window in windows:
                opens, closes = window_interval(zone, day, window)
                if opens < closes:
                    produced = True
                    yield opens, closes
        quiet = 0 if produced else quiet + 1
        if quiet > 21:  # three weeks without a window: the config cannot cause this
            raise ValueError(f"layer {layer.name!r} never becomes active")
        day += _DAY
