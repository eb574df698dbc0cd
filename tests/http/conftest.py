"""Fixtures: the DynamoDB JSON endpoint (router/http.py) served on a real socket from a background
event loop, in front of the validating test double, so boto3 / http.client can call it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from kuradb.router.http import HttpOptions, HttpServer, create_app
from tests.http.double import ValidatingExecutor


@dataclass
class Endpoint:
    url: str
    host: str
    port: int
    executor: ValidatingExecutor


class LoopThread:
    """An event loop running in a daemon thread; ``run(coro)`` blocks for its result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="http-endpoint", daemon=True)
        self.thread.start()

    def run(self, coro: Any, timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture(scope="module")
def serve() -> Iterator[Callable[..., Endpoint]]:
    """serve(options=None, clock=...) -> Endpoint; every server started is stopped at module end."""
    lt = LoopThread()
    servers: list[HttpServer] = []

    def start(options: HttpOptions | None = None, **kw: Any) -> Endpoint:
        executor = ValidatingExecutor()
        server = HttpServer(create_app(executor, options, **kw))
        address = lt.run(server.start("127.0.0.1:0"))
        servers.append(server)
        host, _, port = address.rpartition(":")
        return Endpoint(f"http://{address}", host, int(port), executor)

    yield start
    for s in servers:
        lt.run(s.stop())
    lt.close()


@pytest.fixture(scope="module")
def endpoint(serve: Callable[..., Endpoint]) -> Endpoint:
    """An open-mode endpoint (any credentials) in front of a fresh test double."""
    return serve()
