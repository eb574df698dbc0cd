"""The router's link to the coordinator group: the partition-map watch and table operations.

Rules (coordinator.proto):

* Only the coordinator leader answers. A ``not_leader`` answer names the leader's address (or
  "?" when unknown): the client switches to that address (adding it to its member list) or, for
  "?", to the next member, after a short back-off.
* The watch is one long-lived WatchPartitionMap stream; every message is a full map installed
  with :meth:`PartitionMap.replace` (older map versions are ignored there). A broken stream is
  reopened with capped exponential back-off, cycling through the members, forever (until
  :meth:`close`). ``ready`` is set once the first map is installed.
* :meth:`reload` asks GetPartitionMap for a fresh full map; concurrent callers share one
  request (a burst of routing errors after a split costs one round trip, not hundreds).
* Table operations are forwarded with their DynamoDB-shaped dicts as msgpack payloads; a
  DynamoError comes back as the KuraError of that name and message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc

from kuradb.errors import KuraError, ServiceUnavailable, error_from_name
from kuradb.proto import coordinator_pb2 as cpb
from kuradb.proto import coordinator_pb2_grpc as cpb_grpc
from kuradb.router.partition_map import PartitionMap
from kuradb.payload import pack, unpack

log = logging.getLogger("kuradb.router.coordinator")

T = TypeVar("T")

MSG_NO_COORDINATOR = "The service is currently unavailable or busy."


class _NotLeader(Exception):
    def __init__(self, leader: str) -> None:
        super().__init__(leader)
        self.leader = leader


class CoordinatorClient:
    def __init__(
        self,
        addresses: list[str],
        pmap: PartitionMap,
        on_map: Callable[[int], None] | None = None,
        call_timeout_s: float = 5.0,
        table_call_timeout_s: float = 15.0,
        max_backoff_s: float = 2.0,
    ) -> None:
        if not addresses:
            raise ValueError("at least one coordinator address is needed")
        self.members = list(dict.fromkeys(addresses))
        self.pmap = pmap
        self.on_map = on_map
        self.call_timeout_s = call_timeout_s
        # CreateTable answers only once the table is ACTIVE or after the coordinator's bounded
        # wait (coordinator/service.py, ServiceConfig.create_wait_s), so it needs more time.
        self.table_call_timeout_s = table_call_timeout_s
        self.max_backoff_s = max_backoff_s
        self.ready = asyncio.Event()
        self._current = 0
        self._channels: dict[str, tuple[grpc.aio.Channel, cpb_grpc.CoordinatorStub]] = {}
        self._reload: asyncio.Task[None] | None = None
        self._watch: asyncio.Task[None] | None = None
        self._closed = False

    # ------------------------------------------------------------------ plumbing

    def _stub(self, address: str) -> cpb_grpc.CoordinatorStub:
        entry = self._channels.get(address)
        if entry is None:
            channel = grpc.aio.insecure_channel(address)
            entry = (channel, cpb_grpc.CoordinatorStub(channel))
            self._channels[address] = entry
        return entry[1]

    def _address(self) -> str:
        return self.members[self._current % len(self.members)]

    def _follow(self, leader: str) -> None:
        """Switch to the named leader, or to the next member when it is unknown ("?" / "")."""
        if leader and leader != "?":
            if leader not in self.members:
                self.members.append(leader)
            self._current = self.members.index(leader)
        else:
            self._current = (self._current + 1) % len(self.members)

    def _install(self, m: cpb.PartitionMap) -> None:
        if self.pmap.replace(m):
            if self.on_map is not None:
                self.on_map(self.pmap.version)
        self.ready.set()

    async def _unary(self, call: Callable[[cpb_grpc.CoordinatorStub], Awaitable[T]], not_leader: Callable[[T], str],
                     attempts: int | None = None) -> T:  # fmt: skip
        """Call the coordinator leader, following not_leader and failing over between members."""
        n = attempts if attempts is not None else 2 * len(self.members) + 2
        delay = 0.05
        last: Exception | None = None
        for i in range(n):
            address = self._address()
            try:
                result = await call(self._stub(address))
            except grpc.aio.AioRpcError as e:
                last = e
                log.info("coordinator %s failed: %s", address, e.code().name)
                self._follow("")
            else:
                leader = not_leader(result)
                if not leader:
                    return result
                last = _NotLeader(leader)
                self._follow(leader)
                if leader != "?":
                    continue  # a named leader: go there at once
            if i + 1 < n:
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_backoff_s)
        raise ServiceUnavailable(MSG_NO_COORDINATOR) from last

    # ------------------------------------------------------------------ table operations

    async def table_operation(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        payload = pack(request)
        resp: cpb.TableResponse = await self._unary(
            lambda s: s.TableOperation(cpb.TableRequest(operation=operation, payload=payload), timeout=self.table_call_timeout_s),
            lambda r: r.not_leader,
        )
        kind = resp.WhichOneof("outcome")
        if kind == "dynamo_error":
            raise error_from_name(resp.dynamo_error.name, resp.dynamo_error.message)
        if kind != "result":
            raise error_from_name("InternalServerError", "Internal server error: empty coordinator answer")
        out = unpack(resp.result)
        if not isinstance(out, dict):
            raise error_from_name("InternalServerError", "Internal server error: malformed coordinator answer")
        return out

    # ------------------------------------------------------------------ the map

    async def reload(self) -> None:
        """Fetch a fresh full map (coalesced; see module rules). Errors are logged, not raised:
        the caller's own retry loop decides what a still-stale map means."""
        if self._reload is None or self._reload.done():
            self._reload = asyncio.ensure_future(self._do_reload())
        try:
            await asyncio.shield(self._reload)
        except KuraError as e:
            log.warning("partition map reload failed: %s", e.message)

    async def _do_reload(self) -> None:
        m: cpb.PartitionMap = await self._unary(
            lambda s: s.GetPartitionMap(cpb.WatchRequest(known_version=0), timeout=self.call_timeout_s),
            lambda r: r.not_leader,
        )
        self._install(m)

    def start_watch(self) -> None:
        if self._watch is None:
            self._watch = asyncio.ensure_future(self._watch_forever())

    async def _watch_forever(self) -> None:
        delay = 0.05
        while not self._closed:
            address = self._address()
            try:
                stream = self._stub(address).WatchPartitionMap(cpb.WatchRequest(known_version=0))
                async for m in stream:
                    if m.not_leader:
                        self._follow(m.not_leader)
                        stream.cancel()
                        break
                    self._install(m)
                    delay = 0.05
                else:
                    self._follow("")  # the server ended the stream: try elsewhere
            except grpc.aio.AioRpcError as e:
                log.info("partition map watch on %s broke: %s", address, e.code().name)
                self._follow("")
            if self._closed:
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_backoff_s)

    async def close(self) -> None:
        self._closed = True
        for task in (self._watch, self._reload):
            if task is not None and not task.done():
                task.cancel()
                try:
                    await task
                except (asyncio.CancelledError, Exception):  # noqa: BLE001 - shutting down
                    pass
        channels, self._channels = list(self._channels.values()), {}
        for channel, _ in channels:
            await channel.close(grace=None)
