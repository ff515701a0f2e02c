"""The ``[adapters.telegram]`` options, validated into a frozen object; errors name the key.

:data:`DESCRIPTOR` is Telegram as the desk's settings see it: the bot token ``enabled =
"auto"`` waits for, and the shape of a chat id, which ``check-config`` holds every tier's
group to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.config_node import ConfigNode
from bot.errors import ConfigError
from bot.settings import AdapterSettings, Platform

KEY = "adapters.telegram"
DESCRIPTOR = Platform(
    name="telegram",
    credentials=("token",),
    channel_id=re.compile(r"-?[0-9]+"),
    channel_shape="a Telegram chat id (an integer like -1001234567890)",
)
DEFAULT_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_BASE_FILE_URL = "https://api.telegram.org/file/bot"
DEFAULT_WEBHOOK_PATH = "/telegram/webhook"
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what setWebhook accepts as secret_token


@dataclass(frozen=True, slots=True)
class TelegramOptions:
    token: str
    base_url: str = DEFAULT_BASE_URL
    base_file_url: str = DEFAULT_BASE_FILE_URL
    webhook_url: str = ""  # set: webhook mode; empty: long polling
    webhook_path: str = DEFAULT_WEBHOOK_PATH
    webhook_secret: str = ""
    poll_timeout: float = 10.0  # seconds a getUpdates long poll may wait
    deliver_after_update: bool = True  # send the outbox right after each update

    @property
    def webhook(self) -> bool:
        return bool(self.webhook_url)


def parse_options(adapter: AdapterSettings) -> TelegramOptions:
    """Validate the adapter's options; webhook mode requires a secret token."""
    node = ConfigNode(KEY, dict(adapter.options))
    node.only(
        "token",
        "base_url",
        "base_file_url",
        "webhook_url",
        "webhook_path",
        "webhook_secret",
        "poll_timeout",
        "deliver_after_update",
    )
    token = node.string("token", "")
    if DESCRIPTOR.missing_credentials(node.value):
        raise ConfigError(node.key("token"), "required (the token BotFather gave you)")
    webhook_url = node.string("webhook_url", "")
    secret = node.string("webhook_secret", "")
    path = node.string("webhook_path", DEFAULT_WEBHOOK_PATH)
    if webhook_url:
        if not webhook_url.startswith(("https://", "http://")):
            raise ConfigError(node.key("webhook_url"), "must be an http(s) URL")
        if not secret:
            raise ConfigError(node.key("webhook_secret"), "required in webhook mode")
    if secret and not _SECRET.match(secret):
        raise ConfigError(
            node.key("webhook_secret"), 'use 1-256 characters of A-Z, a-z, 0-9, "_" and "-"'
        )
    if not path.startswith("/"):
        raise ConfigError(node.key("webhook_path"), 'must start with "/"')
    return TelegramOptions(
        token=token,
        base_url=node.string("base_url", DEFAULT_BASE_URL) or DEFAULT_BASE_URL,
        base_file_url=node.string("base_file_url", DEFAULT_BASE_FILE_URL) or DEFAULT_BASE_FILE_URL,
        webhook_url=webhook_url,
        webhook_path=path,
        webhook_secret=secret,
        poll_timeout=node.number("poll_timeout", 10.0, low=0, high=50) or 0.0,
        deliver_after_update=node.boolean("deliver_after_update", True),
    )
