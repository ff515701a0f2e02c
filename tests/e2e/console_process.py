"""Drives a real ``tierdesk run`` process through its stdin and stdout."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

from tests.factories import EXAMPLE, ROOT

TIMEOUT = 20.0


def write_config(tmp_path: Path) -> Path:
    """The example config with its database in ``tmp_path`` and the shipped KB."""
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace(
        'url = "sqlite+aiosqlite:///tierdesk.db"',
        f'url = "sqlite+aiosqlite:///{tmp_path / "desk.db"}"',
    )
    text = text.replace('sources = ["kb"]', f'sources = ["{ROOT / "kb"}"]')
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def tierdesk_executable() -> str:
    return str(Path(sys.executable).with_name("tierdesk"))


class ConsoleProcess:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._seen = 0

    @classmethod
    async def start(cls, config: Path, *args: str) -> ConsoleProcess:
        proc = await asyncio.create_subprocess_exec(
            tierdesk_executable(),
            "run",
            "--console",  # stdin is a pipe, not a terminal: ask for the console
            "--config",
            str(config),
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            cwd=config.parent,
        )
        return cls(proc)

    async def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self._seen = len(self.lines)  # expectations look only at output after this line
        self.proc.stdin.write((line + "\n").encode())
        await self.proc.stdin.drain()

    async def expect(self, pattern: str) -> re.Match[str]:
        """Wait for an output line (after the last send) matching ``pattern``."""
        regex = re.compile(pattern)
        index = self._seen
        async with asyncio.timeout(TIMEOUT):
            while True:
                while index < len(self.lines):
                    match = regex.search(self.lines[index])
                    index += 1
                    if match:
                        return match
                assert self.proc.stdout is not None
                raw = await self.proc.stdout.readline()
                if not raw:
                    raise AssertionError(f"process ended before {pattern!r}:\n{self.output}")
                self.lines.append(raw.decode().rstrip("\n"))

    async def choose(self, label: str) -> None:
        """Press the numbered choice whose label starts with ``label``."""
        match = await self.expect(rf"\[(\d+)\] {re.escape(label)}")
        await self.send(match.group(1))

    async def finish(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        async with asyncio.timeout(TIMEOUT):
            rest = await self.proc.stdout.read() if self.proc.stdout else b""
            self.lines.extend(rest.decode().splitlines())
            return await self.proc.wait()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)
