"""Validating a parsed TOML document while remembering where each value came from.

Every error is a :class:`~bot.errors.ConfigError` naming the dotted key
(``tiers[1].name``) and the reason, so a wrong setting is found in seconds.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.people import Identity
from bot.durations import parse_duration
from bot.errors import ConfigError

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"


def join_key(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


class ConfigNode:
    """A TOML table being validated, remembering its dotted key for error messages."""

    def __init__(self, path: str, value: Any) -> None:
        if not isinstance(value, dict):
            raise ConfigError(path, f"expected a table, got {kind_of(value)}")
        self.path = path
        self.value: dict[str, Any] = value

    def key(self, name: str) -> str:
        return join_key(self.path, name)

    def only(self, *allowed: str) -> None:
        for name in self.value:
            if name not in allowed:
                raise ConfigError(
                    self.key(name), f"unknown key (expected one of: {', '.join(allowed)})"
                )

    def table(self, name: str) -> ConfigNode:
        return ConfigNode(self.key(name), self.value.get(name, {}))

    def tables(self, name: str) -> list[ConfigNode]:
        return tables_at(self.key(name), self.value.get(name, []))

    def _get(self, name: str, default: Any) -> Any:
        if name in self.value:
            return self.value[name]
        if default is REQUIRED:
            raise ConfigError(self.key(name), "required")
        return default

    def string(self, name: str, default: Any = None) -> str:
        value = self._get(name, REQUIRED if default is None else default)
        if not isinstance(value, str):
            raise ConfigError(self.key(name), f"expected a string, got {kind_of(value)}")
        return value

    def name(self, name: str) -> str:
        value = self.string(name)
        if not re.match(NAME_PATTERN, value):
            raise ConfigError(
                self.key(name), f'"{value}" must be 1-32 letters, digits, "_", "-" or "."'
            )
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self._get(name, default)
        if not isinstance(value, bool):
            raise ConfigError(self.key(name), f"expected true or false, got {kind_of(value)}")
        return value

    def integer(self, name: str, default: int, *, low: int, high: int) -> int:
        value = self._get(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(self.key(name), f"expected an integer, got {kind_of(value)}")
        if not low <= value <= high:
            raise ConfigError(self.key(name), f"must be between {low} and {high}")
        return value

    def number(self, name: str, default: float | None, *, low: float, high: float) -> float | None:
        value = self._get(name, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(self.key(name), f"expected a number, got {kind_of(value)}")
        if not low <= value <= high:
            raise ConfigError(self.key(name), f"must be between {low:g} and {high:g}")
        return float(value)

    def duration(self, name: str, default: str | None = None) -> timedelta:
        value = self._get(name, REQUIRED if default is None else default)
        try:
            return parse_duration(value)
        except (ValueError, TypeError) as exc:
            raise ConfigError(self.key(name), str(exc)) from exc

    def date(self, name: str) -> date | None:
        value = self.value.get(name)
        if value is None or isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise ConfigError(self.key(name), f"expected a date like 2027-06-30, got {value!r}")

    def timezone(self, name: str, default: str | None) -> str:
        """An IANA zone name; ``default`` None makes the key required."""
        value = self.string(name, default)
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(self.key(name), f'unknown time zone "{value}"') from exc
        return value

    def identities(self, name: str, *, required: bool = False) -> tuple[Identity, ...]:
        """``["slack:U123", "console:bob"]``; ``required``: the key must list at least one."""
        value = self._get(name, REQUIRED if required else [])
        if not isinstance(value, list):
            raise ConfigError(
                self.key(name), f"expected a list of platform:id strings, got {kind_of(value)}"
            )
        if required and not value:
            raise ConfigError(self.key(name), "list at least one platform:id")
        out = []
        for i, text in enumerate(value):
            if not isinstance(text, str):
                raise ConfigError(
                    self.key(f"{name}[{i}]"), f"expected a platform:id string, got {kind_of(text)}"
                )
            try:
                out.append(Identity.parse(text))
            except ValueError as exc:
                raise ConfigError(self.key(f"{name}[{i}]"), str(exc)) from exc
        return tuple(out)

    def str_list(
        self, name: str, default: tuple[str, ...], *, allow_empty: bool = False
    ) -> tuple[str, ...]:
        value = self._get(name, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(self.key(name), "expected a list of strings")
        if not value and not allow_empty:
            raise ConfigError(self.key(name), "must not be empty")
        return tuple(value)


REQUIRED: Any = object()


def tables_at(key: str, value: Any) -> list[ConfigNode]:
    """An array of tables (``[[key]]``), each a node named ``key[i]``."""
    if not isinstance(value, list):
        raise ConfigError(key, f"expected an array of tables, got {kind_of(value)}")
    return [ConfigNode(f"{key}[{i}]", v) for i, v in enumerate(value)]


def kind_of(value: Any) -> str:
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "a table",
    }
    return names.get(type(value), type(value).__name__)
