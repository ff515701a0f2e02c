"""A database outage for the desk: its unit-of-work factory refuses to open transactions."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import OperationalError

from bot.desk import Desk


class DatabaseOutage:
    """Installed on ``desk``: the next ``failures`` transactions fail to open, raising what
    SQLAlchemy raises for a refused connection; then the real factory serves again."""

    def __init__(self, desk: Desk, failures: int = 1) -> None:
        self.inner = desk.uow_factory
        self.failures = failures
        desk.uow_factory = self  # type: ignore[assignment]

    def __call__(self) -> Any:
        if self.failures:
            self.failures -= 1
            raise OperationalError("BEGIN", {}, ConnectionRefusedError("connection refused"))
        return self.inner()
