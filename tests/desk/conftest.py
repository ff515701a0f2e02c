"""A desk with a frozen clock on the in-memory unit of work (:mod:`tests.fakes.uow`): the
desk and its services are tested here; storage has its own tests on SQLite and PostgreSQL
(``tests/integration``), and the end-to-end tests run everything on both databases. Tests
of what only a database does (leases, delivery across crashes) ask for ``stored_world``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.clock import FrozenClock
from bot.desk import Desk
from bot.events import InboundEvent
from bot.knowledge import Article, KnowledgeIndex
from bot.services.delivery import Dispatcher
from bot.settings import Settings
from storage.db import make_engine
from storage.uow import SqlUnitOfWorkFactory
from tests.factories import T0, make_settings
from tests.fakes.gateway import Delivery, RecordingGateway
from tests.fakes.uow import FakeUnitOfWorkFactory

ARTICLES = [
    Article(
        "vpn-drops",
        "VPN keeps disconnecting",
        "1. Check Wi-Fi.\n2. Reconnect the client.",
        keywords=("vpn disconnects", "vpn drops every few minutes"),
    ),
    Article(
        "password-reset",
        "Reset a forgotten password",
        "Use the self-service portal.",
        keywords=("forgot password", "password expired"),
    ),
]


@dataclass
class World:
    settings: Settings
    clock: FrozenClock
    desk: Desk
    gateway: RecordingGateway
    dispatcher: Dispatcher
    uow_factory: object

    async def run(self, event: InboundEvent) -> list[Delivery]:
        """Handle one event, deliver the outbox, return what was sent."""
        await self.desk.handle(event)
        await self.dispatcher.deliver_due()
        return self.gateway.take()


def build_world(
    uow_factory, settings: Settings | None = None, clock: FrozenClock | None = None
) -> World:
    settings = settings or make_settings()
    clock = clock or FrozenClock(T0)
    knowledge = KnowledgeIndex(ARTICLES)
    desk = Desk(settings, uow_factory, clock, knowledge)
    gateway = RecordingGateway()
    dispatcher = Dispatcher(uow_factory, clock, {"console": gateway})
    return World(settings, clock, desk, gateway, dispatcher, uow_factory)


@pytest.fixture
def uow_factory() -> FakeUnitOfWorkFactory:
    """Units of work over one in-memory database (this package's tests)."""
    return FakeUnitOfWorkFactory(FrozenClock(T0))


@pytest.fixture
async def world(uow_factory) -> World:
    return build_world(uow_factory)


@pytest.fixture
async def stored_world(database_url: str) -> AsyncIterator[World]:
    """The desk on a real database, SQLite and PostgreSQL."""
    engine = make_engine(database_url)
    try:
        yield build_world(SqlUnitOfWorkFactory(engine))
    finally:
        await engine.dispose()
