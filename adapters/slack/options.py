"""The ``[adapters.slack]`` options, validated into a frozen object; errors name the key.

:data:`DESCRIPTOR` is Slack as the desk's settings see it: the credentials ``enabled =
"auto"`` waits for (an ``app_token``, Socket Mode, stands in for the signing secret) and
the shape of a channel id, which ``check-config`` holds every tier's channel to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.config_node import ConfigNode
from bot.errors import ConfigError
from bot.settings import AdapterSettings, Platform

KEY = "adapters.slack"
DESCRIPTOR = Platform(
    name="slack",
    credentials=("bot_token", "signing_secret"),
    stand_ins={"signing_secret": "app_token"},
    channel_id=re.compile(r"[CGD][A-Z0-9]{2,}"),
    channel_shape="a Slack channel id like C0123456789",
)
REQUIRED = {  # why each credential is needed, when it is missing
    "bot_token": "required (the app's xoxb- bot token)",
    "signing_secret": "required unless app_token (Socket Mode)",
}
DEFAULT_API_BASE_URL = "https://slack.com/api/"
DEFAULT_PATH = "/slack/events"
DEFAULT_COMMAND = "/ticket"


@dataclass(frozen=True, slots=True)
class SlackOptions:
    bot_token: str
    signing_secret: str = ""  # HTTP mode: how requests are checked
    app_token: str = ""  # set: Socket Mode (no public URL, no signing secret)
    api_base_url: str = DEFAULT_API_BASE_URL
    path: str = DEFAULT_PATH  # HTTP mode: where events, interactivity and the command arrive
    command: str = DEFAULT_COMMAND


def parse_options(adapter: AdapterSettings) -> SlackOptions:
    """Validate the adapter's options (a typo is refused, not silently ignored)."""
    node = ConfigNode(KEY, dict(adapter.options))
    node.only("bot_token", "signing_secret", "app_token", "api_base_url", "path", "command")
    bot_token = node.string("bot_token", "")
    app_token = node.string("app_token", "")
    secret = node.string("signing_secret", "")
    missing = DESCRIPTOR.missing_credentials(node.value)
    if missing:
        raise ConfigError(node.key(missing[0]), REQUIRED[missing[0]])
    path = node.string("path", DEFAULT_PATH)
    if not path.startswith("/"):
        raise ConfigError(node.key("path"), 'must start with "/"')
    command = node.string("command", DEFAULT_COMMAND)
    if not command.startswith("/"):
        raise ConfigError(node.key("command"), 'must start with "/", like /ticket')
    base_url = node.string("api_base_url", DEFAULT_API_BASE_URL) or DEFAULT_API_BASE_URL
    return SlackOptions(
        bot_token=bot_token,
        signing_secret=secret,
        app_token=app_token,
        api_base_url=base_url if base_url.endswith("/") else base_url + "/",
        path=path,
        command=command,
    )
