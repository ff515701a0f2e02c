"""One error tree for the desk.

::

    DeskError                 a refusal a user should read (polite, no trace)
     ├── NotFound             no such ticket / person / article
     ├── PermissionDenied     the actor may not do this
     ├── InvalidTransition    the ticket's state does not allow it
     └── InvalidInput         the text or argument cannot be understood
    Conflict                  a concurrent writer got there first; re-read and go on
    ConfigError               a configuration key is wrong; names the key and the reason
    GatewayError              a chat platform could not take a message
     ├── RateLimited          try again after ``retry_after`` seconds
     └── RecipientUnavailable the chat or user cannot be reached; retrying will not help
"""

from __future__ import annotations


class DeskError(Exception):
    """A refusal whose message is shown to the user as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DeskError):
    """The thing asked for does not exist (or the actor may not know it exists)."""


class PermissionDenied(DeskError):
    """The actor is not allowed to do this."""


class InvalidTransition(DeskError):
    """The ticket's current state does not allow this action."""


class InvalidInput(DeskError):
    """The input could not be understood."""


class Conflict(Exception):
    """A write lost a race with a concurrent one (e.g. two first messages from one user)."""


class ConfigError(Exception):
    """A configuration error that names the offending key."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}" if key else reason)
        self.key = key
        self.reason = reason


class GatewayError(Exception):
    """A chat platform refused or failed to take a message."""


class RateLimited(GatewayError):
    """The platform asked us to slow down."""

    def __init__(self, retry_after: float, message: str = "rate limited") -> None:
        super().__init__(f"{message} (retry after {retry_after:g}s)")
        self.retry_after = retry_after


class RecipientUnavailable(GatewayError):
    """The destination cannot be reached; retrying will not help."""
