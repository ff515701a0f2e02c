"""Slack: DMs for requesters, tier channels with live ticket cards, threads relayed both ways.

``start(runtime, http)`` is what the runtime calls, as for every enabled adapter: it
registers the Slack gateway with the outbox dispatcher and starts the bolt app (HTTP
route or Socket Mode). Modules: ``options`` (the config section and :data:`DESCRIPTOR`,
what the settings know of Slack), ``translate`` (payload → desk event) and ``render``
(neutral message → Block Kit) are pure; ``gateway`` talks to the Web API; ``app`` is bolt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.slack.options import DESCRIPTOR, SlackOptions, parse_options

if TYPE_CHECKING:
    from adapters.host import Host
    from adapters.http import HttpServer
    from adapters.slack.app import SlackAdapter


async def start(runtime: Host, http: HttpServer) -> SlackAdapter:
    """Wire Slack into a runtime; the HTTP route is added before ``http.start()``."""
    from adapters.slack.app import SlackAdapter  # bolt loads only when Slack runs

    adapter = SlackAdapter(
        runtime.desk,
        parse_options(runtime.settings.adapters[DESCRIPTOR.name]),
        deliver_soon=runtime.dispatcher.kick,
    )
    runtime.add_gateway(adapter.gateway)
    await adapter.start(http)
    return adapter


__all__ = ["DESCRIPTOR", "SlackOptions", "parse_options", "start"]
