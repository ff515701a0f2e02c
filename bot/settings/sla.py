"""The ``[sla]`` section: calendars, policies and the escalation timings, validated."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from bot.config_node import ConfigNode
from bot.domain.calendars import WEEKDAYS, Calendar, holidays_problem, parse_windows, preset
from bot.domain.sla import DEFAULT_POLICY, Policy, Quiet, SlaSettings, Step, Target
from bot.errors import ConfigError

_PRESETS = ("24x7", "12x5")


def parse_sla(
    node: ConfigNode,
    *,
    zone: str,
    priorities: Mapping[str, tuple[timedelta, timedelta]],
    categories: tuple[str, ...],
) -> SlaSettings:
    """Validate ``[sla]``; ``priorities`` gives each level's default (response, resolution)."""
    node.only(
        "tick", "warn_at", "repeat_every", "ack_timeout", "digest_at", "calendars", "policies"
    )
    warn_at = node.integer("warn_at", 75, low=1, high=99)
    calendars = {name: preset(name, zone) for name in _PRESETS}
    for item in node.tables("calendars"):
        calendar = _calendar(item, zone)
        if calendar.name in calendars and calendar.name not in _PRESETS:
            raise ConfigError(item.key("name"), f'duplicate calendar "{calendar.name}"')
        calendars[calendar.name] = calendar  # a calendar named like a preset replaces it
    policies = [
        _policy(item, calendars, priorities, categories) for item in node.tables("policies")
    ]
    names = [p.name for p in policies]
    for i, name in enumerate(names):
        if names.index(name) != i:
            raise ConfigError(f"sla.policies[{i}].name", f'duplicate policy "{name}"')
    if DEFAULT_POLICY not in names:
        policies.insert(0, _default_policy(priorities))
    seen: dict[str, str] = {}
    for i, policy in enumerate(policies):
        for category in policy.categories:
            if category in seen:
                raise ConfigError(
                    f"sla.policies[{i}].categories",
                    f'category "{category}" already uses policy "{seen[category]}"',
                )
            seen[category] = policy.name
    digest_at = node.string("digest_at", "08:30")
    try:
        parse_windows(f"{digest_at}-23:59")
    except ValueError as exc:
        raise ConfigError(node.key("digest_at"), f'"{digest_at}" is not a time like 08:30') from exc
    return SlaSettings(
        tick=node.duration("tick", "30s"),
        warn_fraction=warn_at / 100,
        repeat_every=node.duration("repeat_every", "15m"),
        ack_timeout=node.duration("ack_timeout", "30m"),
        calendars=calendars,
        policies=tuple(policies),
        digest_at=digest_at,
    )


def _default_policy(priorities: Mapping[str, tuple[timedelta, timedelta]]) -> Policy:
    """Severe priorities count around the clock and page; the rest count office hours."""
    names = list(priorities)
    severe = set(names[: max(1, len(names) // 2)])
    targets = {
        name: Target(
            response,
            resolution,
            "24x7" if name in severe else "12x5",
            Quiet.PAGE if name in severe else Quiet.HOLD,
        )
        for name, (response, resolution) in priorities.items()
    }
    return Policy(DEFAULT_POLICY, (), targets)


def _calendar(item: ConfigNode, zone: str) -> Calendar:
    item.only("name", "preset", "timezone", "holidays", "subdivision", "closed", *WEEKDAYS)
    name = item.name("name")
    tz = item.timezone("timezone", zone)
    country = item.string("holidays", "") or None
    subdivision = item.string("subdivision", "") or None
    base_name = item.string("preset", "") or None
    problem = None  # named here: the preset below would report it as its own
    if country is not None:
        problem = holidays_problem(country, subdivision)
    elif subdivision is not None:
        problem = ("subdivision", 'a subdivision needs holidays = "<country code>"')
    if problem is not None:
        key, reason = problem
        raise ConfigError(item.key(key), f'calendar "{name}": {reason}')
    try:
        base = (
            preset(base_name, tz, holidays_country=country, holidays_subdivision=subdivision)
            if base_name is not None
            else None
        )
    except ValueError as exc:
        raise ConfigError(item.key("preset"), str(exc)) from exc
    week = dict(base.week) if base is not None else {}
    for day, label in enumerate(WEEKDAYS):
        if label in item.value:
            try:
                week[day] = parse_windows(item.string(label))
            except ValueError as exc:
                raise ConfigError(item.key(label), str(exc)) from exc
    closed: set[date] = set()
    raw_closed = item.value.get("closed", [])
    if not isinstance(raw_closed, list):
        raise ConfigError(item.key("closed"), "expected a list of dates")
    for i, value in enumerate(raw_closed):
        if isinstance(value, date):
            closed.add(value)
            continue
        try:
            closed.add(date.fromisoformat(str(value)))
        except ValueError as exc:
            raise ConfigError(item.key(f"closed[{i}]"), f"{value!r} is not a date") from exc
    always = base is not None and base.always and not any(d in item.value for d in WEEKDAYS)
    if not always and not any(week.values()):
        raise ConfigError(item.key("name"), f'calendar "{name}" is never open')
    try:
        return Calendar(
            name=name,
            zone=tz,
            week=week,
            always=always,
            holidays_country=country,
            holidays_subdivision=subdivision,
            closed_dates=frozenset(closed),
        )
    except ValueError as exc:
        key = "subdivision" if subdivision and "subdiv" in str(exc).lower() else "holidays"
        raise ConfigError(item.key(key), str(exc)) from exc


def _policy(
    item: ConfigNode,
    calendars: Mapping[str, Calendar],
    priorities: Mapping[str, tuple[timedelta, timedelta]],
    categories: tuple[str, ...],
) -> Policy:
    item.only(
        "name",
        "categories",
        "calendar",
        "pause_when_waiting",
        "escalation_clock",
        "auto_escalate",
        "update",
        "chain",
        "priorities",
    )
    name = item.name("name")
    default_calendar = item.string("calendar", "12x5")
    if default_calendar not in calendars:
        raise ConfigError(item.key("calendar"), f'unknown calendar "{default_calendar}"')
    cats = item.str_list("categories", (), allow_empty=True)
    for i, category in enumerate(cats):
        if category not in categories:
            raise ConfigError(item.key(f"categories[{i}]"), f'unknown category "{category}"')
    chain: list[Step] = []
    for i, step in enumerate(item.str_list("chain", tuple(Step), allow_empty=True)):
        try:
            chain.append(Step(step))
        except ValueError as exc:
            known = ", ".join(s.value for s in Step)
            raise ConfigError(item.key(f"chain[{i}]"), f'unknown step "{step}" ({known})') from exc
    overrides = item.table("priorities")
    overrides.only(*priorities)
    names = list(priorities)
    severe = set(names[: max(1, len(names) // 2)])
    targets: dict[str, Target] = {}
    for level, (response, resolution) in priorities.items():
        row = overrides.table(level)
        row.only("response", "resolution", "calendar", "quiet")
        calendar = row.string("calendar", default_calendar)
        if calendar not in calendars:
            raise ConfigError(row.key("calendar"), f'unknown calendar "{calendar}"')
        quiet_text = row.string("quiet", "page" if level in severe else "hold")
        try:
            quiet = Quiet(quiet_text)
        except ValueError as exc:
            raise ConfigError(row.key("quiet"), 'expected "page" or "hold"') from exc
        targets[level] = Target(
            row.duration("response") if "response" in row.value else response,
            row.duration("resolution") if "resolution" in row.value else resolution,
            calendar,
            quiet,
        )
    update = item.duration("update") if "update" in item.value else None
    return Policy(
        name=name,
        categories=cats,
        targets=targets,
        pause_when_waiting=item.boolean("pause_when_waiting", True),
        restart_on_escalation=_escalation_clock(item) == "restart",
        auto_escalate=item.boolean("auto_escalate", False),
        update=update,
        chain=tuple(chain),
    )


def _escalation_clock(item: ConfigNode) -> str:
    value = item.string("escalation_clock", "keep")
    if value not in ("keep", "restart"):
        raise ConfigError(item.key("escalation_clock"), 'expected "keep" or "restart"')
    return value
