"""The unit of work: one transaction, every repository.

A use case opens one, changes state, appends history, writes its outbox messages and commits;
anything not committed when the block ends is rolled back, so a failing use case leaves no
half-written ticket and queues no message.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock, SystemClock
from bot.ports import (
    ConversationRepository,
    InboundRepository,
    IncidentRepository,
    KnowledgeRepository,
    OnCallRepository,
    OutboxRepository,
    PersonRepository,
    PingRepository,
    ReportRepository,
    TicketRepository,
)
from storage.repositories import (
    SqlConversationRepository,
    SqlInboundRepository,
    SqlIncidentRepository,
    SqlKnowledgeRepository,
    SqlOnCallRepository,
    SqlOutboxRepository,
    SqlPersonRepository,
    SqlPingRepository,
    SqlReportRepository,
    SqlTicketRepository,
)
from storage.repositories.base import Transaction

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
    oncall: OnCallRepository
    reports: ReportRepository
    incidents: IncidentRepository
    _tickets: SqlTicketRepository

    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock
        self._db: Transaction | None = None

    async def __aenter__(self) -> Self:
        if self._db is not None:
            raise RuntimeError("this unit of work is already open")
        db = self._db = Transaction(self._engine)
        self.tickets = self._tickets = SqlTicketRepository(db)
        self.people = SqlPersonRepository(db)
        self.conversations = SqlConversationRepository(db, self._clock)
        self.knowledge = SqlKnowledgeRepository(db, self._clock)
        self.inbound = SqlInboundRepository(db)
        self.outbox = SqlOutboxRepository(db)
        self.pings = SqlPingRepository(db)
        self.oncall = SqlOnCallRepository(db)
        self.reports = SqlReportRepository(db)
        self.incidents = SqlIncidentRepository(db)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        db, self._db = self._db, None
        if db is not None:
            await db.close()  # what was not committed is rolled back

    async def commit(self) -> None:
        await self._open().commit()

    async def rollback(self) -> None:
        self._tickets.forget()  # what was read may not be what is stored
        await self._open().rollback()

    def _open(self) -> Transaction:
        if self._db is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._db


class SqlUnitOfWorkFactory:
    """Makes a fresh :class:`SqlUnitOfWork` per use case (the desk's ``UnitOfWorkFactory``)."""

    def __init__(self, engine: AsyncEngine, clock: Clock | None = None) -> None:
        self.engine = engine
        self._clock: Clock = clock if clock is not None else SystemClock()

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self._clock)
