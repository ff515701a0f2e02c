"""The suite's network guard (tests/conftest.py): loopback only."""

from __future__ import annotations

import asyncio
import socket

import pytest


def test_remote_hosts_are_refused(_no_network: list[str]) -> None:
    with pytest.raises(ConnectionRefusedError):
        socket.getaddrinfo("example.com", 443)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
        with pytest.raises(ConnectionRefusedError):
            sock.connect(("2001:db8::1", 80))
        with pytest.raises(ConnectionRefusedError):
            sock.connect_ex(("2001:db8::1", 80))
    assert len(_no_network) == 4
    _no_network.clear()  # refused as expected; do not fail this test at teardown


async def test_loopback_is_allowed() -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.readline())
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        for host in ("127.0.0.1", "localhost"):
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(b"ping\n")
            assert await reader.readline() == b"ping\n"
            writer.close()
            await writer.wait_closed()
