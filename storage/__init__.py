"""Persistence for the desk: SQLAlchemy tables, repositories, unit of work and migrations.

Implements the ports of :mod:`bot.ports` on SQLite (single process, the default) and
PostgreSQL (replicas). Wiring, in the composition root::

    engine = make_engine(settings.storage_url)
    await storage.migrate.upgrade(engine)
    uow_factory = SqlUnitOfWorkFactory(engine, clock)

(:mod:`storage.migrate` is not imported here, so ``python -m storage.migrate`` runs cleanly.)
"""

from storage.db import make_engine
from storage.repositories import IdentityTaken
from storage.uow import SqlUnitOfWork, SqlUnitOfWorkFactory

__all__ = [
    "IdentityTaken",
    "SqlUnitOfWork",
    "SqlUnitOfWorkFactory",
    "make_engine",
]
