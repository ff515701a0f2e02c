"""A terminal chat over the same desk: try the whole flow with no chat account."""

from adapters.console.app import ConsoleApp
from adapters.console.gateway import ConsoleGateway

__all__ = ["ConsoleApp", "ConsoleGateway"]
