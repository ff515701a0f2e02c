"""One table of chat commands: the desk understands exactly its names, and every typed
command has the one service handler that runs it."""

from __future__ import annotations

import inspect

from bot.clock import FrozenClock
from bot.desk import Desk
from bot.knowledge import KnowledgeIndex
from bot.services import commands
from bot.views.commands import AGENT_HELP, COMMANDS, NAMES, REQUESTER_HELP
from tests.factories import T0, make_settings
from tests.fakes.uow import FakeUnitOfWorkFactory


def _desk() -> Desk:
    return Desk(
        make_settings(), FakeUnitOfWorkFactory(FrozenClock(T0)), FrozenClock(T0), KnowledgeIndex()
    )


def test_the_desk_parses_every_command_of_the_table_and_no_other() -> None:
    desk = _desk()
    assert set(NAMES.values()) == set(desk._parsers) | set(desk._dialogs)
    assert not set(desk._parsers) & set(desk._dialogs)
    assert set(desk.commands) == set(NAMES)  # what Slack and Telegram are told


def test_help_lists_the_table() -> None:
    shown = REQUESTER_HELP.text + AGENT_HELP.text
    assert all(f"/{c.name}" in shown for c in COMMANDS if c.name != "help")


def test_every_typed_command_has_one_handler() -> None:
    kinds = {
        cls
        for _, cls in inspect.getmembers(commands, inspect.isclass)
        if issubclass(cls, commands.Command)
        and cls not in (commands.Command, commands.TicketCommand, commands.IncidentCommand)
        and cls.__module__ == commands.__name__
    }
    assert kinds == set(_desk()._handlers)
