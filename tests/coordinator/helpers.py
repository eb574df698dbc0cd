"""Shared helpers: run a coroutine with a bound, pick free ports, start coordinator members."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from kuradb.coordinator.server import CoordinatorOptions, CoordinatorServer
from kuradb.coordinator.service import ServiceConfig

T = TypeVar("T")

TICK_MS = 20


def run(coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


def free_ports(n: int) -> list[int]:
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def options(member_id: int, members: dict[int, str], root: Path, **kw: Any) -> CoordinatorOptions:
    return CoordinatorOptions(
        member_id=member_id,
        listen=members[member_id],
        data_dir=root / f"c{member_id}",
        peers=dict(members),
        tick_ms=TICK_MS,
        election_ticks=10,
        service=kw.pop("service", ServiceConfig(replication_factor=3, liveness_timeout_s=10.0, command_timeout_s=3.0)),
        **kw,
    )


async def wait_for(pred: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not pred():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def leader_of(servers: list[CoordinatorServer], timeout: float = 10.0) -> CoordinatorServer:
    def one() -> bool:
        return sum(1 for s in servers if s.host is not None and s.host.is_leader) == 1

    await wait_for(one, timeout, "a single coordinator leader")
    return next(s for s in servers if s.host is not None and s.host.is_leader)
