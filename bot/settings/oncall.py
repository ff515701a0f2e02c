"""On-call rotations in the configuration (``[[tiers.rotations]]``), validated into layers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.config_node import ConfigNode, kind_of, tables_at
from bot.domain.calendars import WEEKDAYS, Window, parse_window, wall_to_utc
from bot.domain.oncall import OVERRIDE_LAYER, Layer, zone_of
from bot.errors import ConfigError

_KEYS = ("name", "members", "timezone", "active", "days", "length", "handoff")


_DEFAULT_LENGTH = "1w"


_DEFAULT_HANDOFF = datetime(2026, 1, 5)  # a Monday, midnight, read in the layer's zone


def parse_layers(raw: Any, key: str, *, default_timezone: str | None = None) -> tuple[Layer, ...]:
    """Layers from TOML tables (``[[tiers.rotations]]``); ``key`` names the list in errors.

    Keys per table: ``name`` (required, unique in the list), ``members`` (required, non-empty,
    ``platform:id`` strings), ``timezone`` (required unless ``default_timezone`` is given),
    ``active`` (``"always"`` by default, or ``"08:00-20:00"``, ``"20:00-08:00"``,
    ``"08:00-12:00, 13:00-17:00"``, or a list of such strings), ``days`` (``"mon-sun"`` by
    default; ``"mon-fri"``, ``"mon,wed,fri"``, ``"fri-mon"`` or a list), ``length`` (a
    duration such as ``"12h"``, ``"1d"``, ``"1w"``; default ``"1w"``) and ``handoff`` (a TOML
    offset datetime or ISO-8601 string; a naive one is read in ``timezone``; required when
    there is more than one member, else it defaults to a Monday midnight).
    """
    layers: list[Layer] = []
    for node in tables_at(key, raw):
        layers.append(_parse_layer(node, default_timezone, layers))
    return tuple(layers)


def _parse_layer(node: ConfigNode, default_timezone: str | None, earlier: list[Layer]) -> Layer:
    node.only(*_KEYS)
    name = node.name("name")
    if name == OVERRIDE_LAYER:
        raise ConfigError(node.key("name"), f'"{OVERRIDE_LAYER}" is reserved for overrides')
    if any(layer.name == name for layer in earlier):
        raise ConfigError(node.key("name"), f'duplicate layer "{name}"')
    members = node.identities("members", required=True)
    zone = node.timezone("timezone", default_timezone)  # None: required
    table = node.value
    try:
        active = parse_active(table.get("active", "always"))
    except ValueError as exc:
        raise ConfigError(node.key("active"), str(exc)) from exc
    try:
        days = parse_days(table.get("days", "mon-sun"))
    except ValueError as exc:
        raise ConfigError(node.key("days"), str(exc)) from exc
    length = node.duration("length", _DEFAULT_LENGTH)
    if "handoff" not in table and len(members) > 1:
        raise ConfigError(node.key("handoff"), "required when a layer has more than one member")
    try:
        handoff = _instant_of(table.get("handoff", _DEFAULT_HANDOFF), zone_of(zone))
    except ValueError as exc:
        raise ConfigError(node.key("handoff"), str(exc)) from exc
    return Layer(name, members, zone, active, days, length, handoff)


def parse_active(value: Any) -> tuple[Window, ...]:
    """``"always"`` → ``()``; ``"08:00-12:00, 13:00-17:00"`` (or a list) → windows, written
    as calendars write them (:func:`bot.calendars.parse_window`); they may overlap."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = ", ".join(value)
    if not isinstance(value, str):
        raise ValueError(f'expected "always" or windows like "08:00-20:00", got {kind_of(value)}')
    if value.strip().lower() in ("always", "24x7"):
        return ()
    return tuple(parse_window(part) for part in value.split(","))


def parse_days(value: Any) -> frozenset[int]:
    """``"mon-fri"``, ``"mon,wed,fri"``, ``"fri-mon"`` (wraps), ``"sat-sun"`` or a list."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = ",".join(value)
    if not isinstance(value, str):
        raise ValueError(f'expected weekdays like "mon-fri", got {kind_of(value)}')
    days: set[int] = set()
    for part in value.split(","):
        first, sep, last = part.strip().lower().partition("-")
        if first not in WEEKDAYS or (sep and last.strip() not in WEEKDAYS):
            raise ValueError(f'"{part.strip()}" is not a weekday or range like mon-fri')
        a = WEEKDAYS.index(first)
        b = WEEKDAYS.index(last.strip()) if sep else a
        days.update((a + n) % 7 for n in range((b - a) % 7 + 1))
    return frozenset(days)


def _instant_of(value: Any, zone: ZoneInfo) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f'"{value}" is not an ISO-8601 date-time') from exc
    if not isinstance(value, datetime):
        raise ValueError(
            f"expected a date-time like 2026-11-02T09:00:00+01:00, got {kind_of(value)}"
        )
    if value.tzinfo is None or value.utcoffset() is None:
        return wall_to_utc(zone, value, closing=False)
    return value.astimezone(UTC)
