"""A terminal chat over the same desk: try the whole flow with no chat account.

``start(runtime, http)`` is what the runtime calls, as for every enabled adapter. When
someone types on the terminal (stdin is one, or ``tierdesk run --console`` says scripted
input counts) the console registers its gateway and, once the desk serves, reads lines
until ``/quit`` or end of input, which ends the process; otherwise it says why it is off
and the process serves its other adapters until a signal. Modules: ``options`` (the
config section), ``render`` (neutral message → lines) are pure; ``gateway`` prints;
``app`` is the chat loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.console.options import DESCRIPTOR, ConsoleOptions, parse_options

if TYPE_CHECKING:
    from adapters.console.app import ConsoleSession
    from adapters.host import Host
    from adapters.http import HttpServer


async def start(runtime: Host, http: HttpServer) -> ConsoleSession:
    """Wire the console into a runtime; the caller stops it with ``await session.stop()``."""
    from adapters.console.app import ConsoleSession  # loaded when run: the registry stays light

    return ConsoleSession(runtime)


__all__ = ["DESCRIPTOR", "ConsoleOptions", "parse_options", "start"]
