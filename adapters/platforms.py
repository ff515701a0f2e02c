"""The chat platforms the desk has: one adapter package each, all started the same way.

Every package has the same face (:class:`~adapters.host.Adapter`): ``DESCRIPTOR``, what the settings
need to know of the platform (credentials for ``enabled = "auto"``, the shape of a
channel id); ``parse_options``, its ``[adapters.<name>]`` section; and ``start(runtime,
http)``, which returns something to ``stop()``. A new platform is a package with that face
and a line in :data:`ADAPTERS`; ``bot/`` does not change. The packages load their SDKs
only in ``start``, so reading the registry (every settings load does) stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping

import adapters.console
import adapters.slack
import adapters.telegram
from adapters.host import Adapter
from bot.settings import Platform

ADAPTERS: Mapping[str, Adapter] = {
    package.DESCRIPTOR.name: package
    for package in (adapters.console, adapters.slack, adapters.telegram)
}
PLATFORMS: tuple[Platform, ...] = tuple(package.DESCRIPTOR for package in ADAPTERS.values())
