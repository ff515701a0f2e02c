"""bot/ stays platform-neutral: no chat SDK, ORM or scheduler, and nothing from the outside."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = (
    "slack_bolt",
    "slack_sdk",
    "telegram",
    "sqlalchemy",
    "apscheduler",
    "adapters",
    "storage",
    "aiohttp",
    "alembic",
)
BOT = Path(__file__).resolve().parents[2] / "bot"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_bot_imports_nothing_from_outside() -> None:
    offenders = {
        f"{path.relative_to(BOT.parent)}: {name}"
        for path in BOT.rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] in FORBIDDEN
    }
    assert sorted(offenders) == []
    assert len(list(BOT.rglob("*.py"))) > 10  # the walk really saw the package
