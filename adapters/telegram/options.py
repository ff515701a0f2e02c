"""The ``[adapters.telegram]`` options, validated into a frozen object; errors name the key."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import ConfigError
from bot.settings import AdapterSettings

KEY = "adapters.telegram"
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
    known = {
        "token",
        "base_url",
        "base_file_url",
        "webhook_url",
        "webhook_path",
        "webhook_secret",
        "poll_timeout",
        "deliver_after_update",
    }
    for name in adapter.options:
        if name not in known:
            raise ConfigError(
                f"{KEY}.{name}", f"unknown key (expected one of: {', '.join(sorted(known))})"
            )
    token = _string(adapter, "token", "")
    if not token:
        raise ConfigError(f"{KEY}.token", "required (the token BotFather gave you)")
    webhook_url = _string(adapter, "webhook_url", "")
    secret = _string(adapter, "webhook_secret", "")
    path = _string(adapter, "webhook_path", DEFAULT_WEBHOOK_PATH)
    if webhook_url:
        if not webhook_url.startswith(("https://", "http://")):
            raise ConfigError(f"{KEY}.webhook_url", "must be an http(s) URL")
        if not secret:
            raise ConfigError(f"{KEY}.webhook_secret", "required in webhook mode")
    if secret and not _SECRET.match(secret):
        raise ConfigError(
            f"{KEY}.webhook_secret", 'use 1-256 characters of A-Z, a-z, 0-9, "_" and "-"'
        )
    if not path.startswith("/"):
        raise ConfigError(f"{KEY}.webhook_path", 'must start with "/"')
    timeout = adapter.get("poll_timeout", 10)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 <= timeout <= 50:
        raise ConfigError(f"{KEY}.poll_timeout", "must be a number of seconds from 0 to 50")
    deliver = adapter.get("deliver_after_update", True)
    if not isinstance(deliver, bool):
        raise ConfigError(f"{KEY}.deliver_after_update", "expected true or false")
    return TelegramOptions(
        token=token,
        base_url=_string(adapter, "base_url", DEFAULT_BASE_URL) or DEFAULT_BASE_URL,
        base_file_url=_string(adapter, "base_file_url", DEFAULT_BASE_FILE_URL)
        or DEFAULT_BASE_FILE_URL,
        webhook_url=webhook_url,
        webhook_path=path,
        webhook_secret=secret,
        poll_timeout=float(timeout),
        deliver_after_update=deliver,
    )


def _string(adapter: AdapterSettings, name: str, default: str) -> str:
    value = adapter.get(name, default)
    if not isinstance(value, str):
        raise ConfigError(f"{KEY}.{name}", "expected a string")
    return value.strip()
