"""Telegram: requesters in private chats, agents in their tier's group, on python-telegram-bot.

``start(runtime, http)`` is what :func:`adapters.runtime.start_chat_adapters` calls: it
validates ``[adapters.telegram]``, registers the gateway with the outbox dispatcher and
starts long polling or the webhook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.telegram.app import TelegramAdapter
from adapters.telegram.gateway import TelegramGateway
from adapters.telegram.options import TelegramOptions, parse_options

if TYPE_CHECKING:
    from adapters.http import HttpServer
    from adapters.runtime import Runtime


async def start(runtime: Runtime, http: HttpServer) -> TelegramAdapter:
    """Start the bot on the runtime's desk; the caller stops it with ``await adapter.stop()``."""
    options = parse_options(runtime.settings.adapters["telegram"])
    adapter = TelegramAdapter(
        options,
        runtime.desk,
        runtime.settings,
        runtime.clock,
        deliver=runtime.dispatcher.deliver_due,
    )
    runtime.add_gateway(adapter.gateway)
    await adapter.start(http)
    return adapter


__all__ = ["TelegramAdapter", "TelegramGateway", "TelegramOptions", "parse_options", "start"]
