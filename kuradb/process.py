"""Process plumbing shared by ``kuradb node``, ``kuradb coordinator`` and ``kuradb router``.

Rules every server process follows (launchers and tests rely on them):

* Logs are structured ``key=value`` lines on stderr, quiet (warning) by default.
* Once serving, the process prints its ready line(s) on stdout (``kuradb X listening on
  HOST:PORT``) and nothing else there; launchers wait for that line.
* Each serves its own ``/metrics`` (prometheus-client on the process's own registry, never the
  global default, so tests can run many servers in one process): :class:`MetricsEndpoint`.
* SIGTERM and SIGINT stop it cleanly, also while it is still starting (a router waits for its
  first partition map); the exit code is 0. A failure to start (port taken, bad option) is
  logged and exits 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server

log = logging.getLogger(__name__)


@dataclass
class MetricsEndpoint:
    """The process's ``/metrics`` HTTP endpoint; ``address`` is the bound ``host:port``."""

    address: str
    _httpd: WSGIServer

    @classmethod
    def start(cls, registry: CollectorRegistry, listen: str) -> MetricsEndpoint:
        """Serve ``registry`` on ``listen`` (``HOST:PORT``; port 0 picks a free one)."""
        host, _, port = listen.rpartition(":")
        httpd, _thread = start_http_server(int(port), addr=host or "0.0.0.0", registry=registry)
        return cls(f"{host}:{httpd.server_port}", httpd)

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter('ts=%(asctime)s level=%(levelname)s logger=%(name)s msg="%(message)s"'))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


async def serve_until_signal(
    start: Callable[[], Awaitable[Iterable[str]]], stop: Callable[[], Awaitable[None]]
) -> None:
    """Run ``start()`` (which returns the ready lines to print), then wait for SIGTERM/SIGINT;
    ``stop()`` always runs, even when a signal interrupts the start."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    try:
        starting = asyncio.ensure_future(start())
        signalled = asyncio.ensure_future(stopping.wait())
        await asyncio.wait({starting, signalled}, return_when=asyncio.FIRST_COMPLETED)
        if starting.done():
            for line in starting.result():
                print(line, flush=True)
            await signalled
        else:
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
    finally:
        with contextlib.suppress(Exception):
            await stop()


def run_server(
    start: Callable[[], Awaitable[Iterable[str]]], stop: Callable[[], Awaitable[None]], what: str
) -> int:
    """The body of a server's ``main``: serve until a signal; 1 if it could not start."""
    try:
        asyncio.run(serve_until_signal(start, stop))
    except (OSError, ValueError) as e:
        log.error("%s failed to start: %s", what, e)
        return 1
    return 0
