"""bot/ stays platform-neutral: no chat SDK, ORM or scheduler, nothing from the outside,
and no platform named in its code (the adapters declare what the desk needs to know)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from adapters.platforms import ADAPTERS

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


def code_strings(path: Path) -> list[tuple[int, str]]:
    """Every string literal in ``path`` but docstrings (f-strings' parts included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_bot_names_no_platform_outside_docstrings_and_comments() -> None:
    assert set(ADAPTERS) >= {"console", "slack", "telegram"}
    platform = re.compile(rf"\b({'|'.join(ADAPTERS)})\b", re.IGNORECASE)
    offenders = [
        f"{path.relative_to(BOT.parent)}:{line}: {text!r}"
        for path in BOT.rglob("*.py")
        for line, text in code_strings(path)
        if platform.search(text)
    ]
    assert offenders == []


def test_the_platform_check_sees_code_strings_but_not_docstrings(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""Talks to Slack."""\n'
        "def f(x):\n"
        '    """On Telegram too."""\n'
        '    return x == "slack" or f"{x} on Telegram"  # console\n',
        encoding="utf-8",
    )
    assert [text for _, text in code_strings(sample)] == ["slack", " on Telegram"]
