"""The HTTP server bounds what a client may hold: a 10 MB body is refused with 413, a body
trickling in gets 408, a connection trickling its headers is closed, and the server keeps
serving everyone else throughout."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from adapters.http import HttpServer

LIMIT = 0.3  # seconds: header and body time limits of the server under test


@pytest.fixture
async def server() -> AsyncIterator[HttpServer]:
    http = HttpServer("127.0.0.1", 0, header_timeout=LIMIT, body_timeout=LIMIT)
    seen: list[int] = []

    async def echo(request: web.Request) -> web.Response:
        body = await request.read()
        seen.append(len(body))
        return web.Response(text=str(len(body)))

    http.add_route("POST", "/in", echo)
    http.seen = seen  # type: ignore[attr-defined]
    await http.start()
    try:
        yield http
    finally:
        await http.stop()


async def still_serving(http: HttpServer) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{http.port}/in", data=b"ok") as response,
    ):
        assert (response.status, await response.text()) == (200, "2")


async def test_a_10_mb_body_is_refused_with_413_and_never_handled(server: HttpServer) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{server.port}/in", data=b"x" * 10_000_000) as response,
    ):
        assert response.status == 413
    assert server.seen == []  # type: ignore[attr-defined]
    await still_serving(server)


async def test_a_body_that_trickles_gets_408_and_is_never_handled(server: HttpServer) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(
        b"POST /in HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n{"
    )
    await writer.drain()
    started = time.monotonic()
    answer = await asyncio.wait_for(reader.read(200), 5)
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert time.monotonic() - started < 3
    writer.close()
    assert server.seen == []  # type: ignore[attr-defined]
    await still_serving(server)


async def test_a_connection_trickling_its_headers_is_closed(server: HttpServer) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"POST /in HTTP/1.1\r\nHost: x\r\n")
    await writer.drain()
    started = time.monotonic()
    for _ in range(5):  # a header line now and then, never the end of the head
        await asyncio.sleep(LIMIT / 3)
        try:
            writer.write(b"X-Slow: 1\r\n")
            await writer.drain()
        except ConnectionError:
            break
    try:
        answer = await asyncio.wait_for(reader.read(200), 5)
    except ConnectionError:  # the server closed it while we wrote
        answer = b""
    assert answer == b""  # closed without an answer
    assert time.monotonic() - started < 3
    with contextlib.suppress(ConnectionError):
        writer.close()
    assert server.seen == []  # type: ignore[attr-defined]
    await still_serving(server)


async def test_a_prompt_client_is_not_cut_off(server: HttpServer) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(3):  # one keep-alive connection, past the header limit
            async with session.post(f"http://127.0.0.1:{server.port}/in", data=b"abc") as r:
                assert r.status == 200
            await asyncio.sleep(LIMIT)
