"""Telegram: requesters in private chats, agents in their tier's group, on python-telegram-bot.

``start(runtime, http)`` is what the runtime calls, as for every enabled adapter: it
validates ``[adapters.telegram]``, registers the gateway with the outbox dispatcher and
starts long polling or the webhook. ``options`` holds the config section and
:data:`DESCRIPTOR`, what the settings know of Telegram.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.telegram.options import DESCRIPTOR, TelegramOptions, parse_options

if TYPE_CHECKING:
    from adapters.host import Host
    from adapters.http import HttpServer
    from adapters.telegram.app import TelegramAdapter


async def start(runtime: Host, http: HttpServer) -> TelegramAdapter:
    """Start the bot on the runtime's desk; the caller stops it with ``await adapter.stop()``."""
    from adapters.telegram.app import TelegramAdapter  # PTB loads only when Telegram runs

    options = parse_options(runtime.settings.adapters[DESCRIPTOR.name])
    adapter = TelegramAdapter(
        options,
        runtime.desk,
        runtime.settings,
        runtime.clock,
        deliver=runtime.dispatcher.deliver_due,
        button_values=runtime.button_values,
        lock=runtime.lock(f"telegram-polling:{options.token.split(':', 1)[0]}"),
    )
    runtime.add_gateway(adapter.gateway)
    await adapter.start(http)
    return adapter


__all__ = ["DESCRIPTOR", "TelegramOptions", "parse_options", "start"]
