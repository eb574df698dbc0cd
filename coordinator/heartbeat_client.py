"""The node side of heartbeats: a small client that reports a node to the coordinator every ~1 s.

Rules:

* The node supplies its identity and a callable returning its partition reports (plain or
  awaitable — a node driver collects them in its step phase); this module knows nothing else
  about nodes, so node/server.py only has to construct it, ``start()`` it and ``stop()`` it.
* Coordinator addresses: a list of seeds (any member). A ``not_leader`` answer naming an address
  switches to it at once; "?" (election running) or a transport error moves to the next seed
  and waits for the next beat. A failed beat is logged and never stops the loop.
* One beat in flight at a time; beats are spaced ``interval_s`` from the START of the previous
  one, with a little jitter so a restarted cluster does not beat in lockstep.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

import grpc

from kuradb.proto import coordinator_pb2 as cpb
from kuradb.proto import coordinator_pb2_grpc as cpb_grpc

__all__ = ["HeartbeatClient", "NodeIdentity", "ReportSource"]

log = logging.getLogger(__name__)

ReportSource = Callable[[], "Iterable[cpb.PartitionReport] | Awaitable[Iterable[cpb.PartitionReport]]"]


@dataclass(frozen=True, slots=True)
class NodeIdentity:
    node_id: int
    address: str
    az: str
    capacity: int = 1
    metrics_address: str = ""

    def to_pb(self) -> cpb.NodeInfo:
        return cpb.NodeInfo(node_id=self.node_id, address=self.address, az=self.az, capacity=self.capacity,
                            metrics_address=self.metrics_address)  # fmt: skip


class HeartbeatClient:
    def __init__(
        self,
        coordinators: Sequence[str],
        node: NodeIdentity,
        reports: ReportSource,
        *,
        interval_s: float = 1.0,
        timeout_s: float = 3.0,
        rng: random.Random | None = None,
    ) -> None:
        if not coordinators:
            raise ValueError("at least one coordinator address is required")
        self.seeds = list(coordinators)
        self.node = node
        self._reports = reports
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self._rng = rng if rng is not None else random.Random()
        self._target = self.seeds[0]
        self._seed_index = 0
        self._channel: grpc.aio.Channel | None = None
        self._channel_target = ""
        self._task: asyncio.Task[None] | None = None
        self.beats_ok = 0

    @property
    def target(self) -> str:
        return self._target

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name=f"heartbeat-node-{self.node.node_id}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
            self._task = None
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            try:
                await self.beat_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("node %d: heartbeat failed", self.node.node_id)
            delay = self.interval_s * self._rng.uniform(0.9, 1.1) - (loop.time() - started)
            await asyncio.sleep(max(0.0, delay))

    async def _stub(self) -> cpb_grpc.CoordinatorStub:
        if self._channel is None or self._channel_target != self._target:
            if self._channel is not None:
                await self._channel.close()
            self._channel = grpc.aio.insecure_channel(self._target)
            self._channel_target = self._target
        return cpb_grpc.CoordinatorStub(self._channel)

    def _next_seed(self) -> None:
        self._seed_index = (self._seed_index + 1) % len(self.seeds)
        self._target = self.seeds[self._seed_index]

    async def beat_once(self) -> bool:
        """Send one heartbeat (following one leader redirect); True if the leader took it."""
        got = self._reports()
        reports = list(await got) if inspect.isawaitable(got) else list(got)
        req = cpb.HeartbeatRequest(node=self.node.to_pb(), partitions=reports)
        for _ in range(2):
            try:
                resp = await (await self._stub()).Heartbeat(req, timeout=self.timeout_s)
            except grpc.aio.AioRpcError as e:
                log.info("node %d: heartbeat to %s failed: %s", self.node.node_id, self._target, e.code().name)
                self._next_seed()
                return False
            if not resp.not_leader:
                self.beats_ok += 1
                return True
            if resp.not_leader == "?":
                self._next_seed()
                return False
            self._target = resp.not_leader
        return False
