"""The unit of work: one session, one transaction, every repository.

A use case opens one, changes state, appends history, queues outbox messages and commits;
anything not committed when the block ends is rolled back, so a failing use case leaves no
half-written ticket and queues no message.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock, SystemClock
from bot.ports import (
    ConversationRepository,
    InboundRepository,
    KnowledgeRepository,
    OnCallRepository,
    OutboxRepository,
    PersonRepository,
    PingRepository,
    TicketRepository,
)
from storage.repositories import (
    SqlConversationRepository,
    SqlInboundRepository,
    SqlKnowledgeRepository,
    SqlOnCallRepository,
    SqlOutboxRepository,
    SqlPersonRepository,
    SqlPingRepository,
    SqlTicketRepository,
)

__all__ = ["SqlUnitOfWork", "SqlUnitOfWorkFactory"]


class SqlUnitOfWork:
    """``async with uow: …; await uow.commit()``. Repositories exist inside the block only."""

    # Typed as the ports: protocol attributes are invariant, so the Sql* types would not fit.
    tickets: TicketRepository
    people: PersonRepository
    conversations: ConversationRepository
    knowledge: KnowledgeRepository
    inbound: InboundRepository
    outbox: OutboxRepository
    pings: PingRepository
    _outbox: SqlOutboxRepository
    _tickets: SqlTicketRepository
    oncall: OnCallRepository

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._session_factory = session_factory
        self._clock = clock
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already open")
        session = self._session_factory()
        self._session = session
        self.tickets = self._tickets = SqlTicketRepository(session)
        self.people = SqlPersonRepository(session)
        self.conversations = SqlConversationRepository(session, self._clock)
        self.knowledge = SqlKnowledgeRepository(session, self._clock)
        self.inbound = SqlInboundRepository(session)
        self.outbox = self._outbox = SqlOutboxRepository(session)
        self.pings = SqlPingRepository(session)
        self.oncall = SqlOnCallRepository(session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            await session.rollback()
        finally:
            await session.close()

    async def commit(self) -> None:
        session = self._open()
        await self._outbox.write_queued()  # rows queued without a statement of their own
        await session.commit()

    async def rollback(self) -> None:
        session = self._open()
        self._tickets.forget()  # what was read may not be what is stored
        self._outbox.discard_queued()
        await session.rollback()

    def _open(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._session


class SqlUnitOfWorkFactory:
    """Makes a fresh :class:`SqlUnitOfWork` per use case (the desk's ``UnitOfWorkFactory``)."""

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], clock: Clock | None = None
    ) -> None:
        self._session_factory = session_factory
        self._clock: Clock = clock if clock is not None else SystemClock()

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._session_factory, self._clock)
