"""A terminal chat over the same desk: try the whole flow with no chat account.

Modules: ``options`` (the config section and :data:`DESCRIPTOR`, what the settings know
of the console) and ``render`` (neutral message → lines) are pure; ``gateway`` prints;
``app`` is the chat loop.
"""

from __future__ import annotations

from adapters.console.options import DESCRIPTOR, ConsoleOptions, parse_options

__all__ = ["DESCRIPTOR", "ConsoleOptions", "parse_options"]
