"""The ``[adapters.console]`` options, validated into a frozen object; errors name the key.

:data:`DESCRIPTOR` is the console as the desk's settings see it: it needs no credentials,
so ``enabled = "auto"`` turns it on, and a tier's console channel is any name.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.config_node import ConfigNode
from bot.errors import ConfigError
from bot.settings import AdapterSettings, Platform

KEY = "adapters.console"
DESCRIPTOR = Platform(name="console", channel_shape="a channel name")


@dataclass(frozen=True, slots=True)
class ConsoleOptions:
    requester: str = "sam"  # who you are when the console starts
    timezone: str = ""  # the zone the console shows times in; "": the desk's


def parse_options(adapter: AdapterSettings) -> ConsoleOptions:
    """Validate the adapter's options (a typo is refused, not silently ignored)."""
    node = ConfigNode(KEY, dict(adapter.options))
    node.only("requester", "timezone")
    requester = node.string("requester", "sam").strip()
    if not requester:
        raise ConfigError(node.key("requester"), "name who you are at the start, like sam")
    timezone = node.timezone("timezone", None) if "timezone" in node.value else ""
    return ConsoleOptions(requester=requester, timezone=timezone)
