"""TEST-ONLY: a router in front of three fake nodes and a fake coordinator, all in one event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc

from kuradb import wire
from kuradb.errors import KuraError
from kuradb.model.schema import KeySchema, TableInfo
from kuradb.proto import dynamodb_pb2_grpc as dpb_grpc
from kuradb.router.server import RouterOptions, RouterServer
from tests.router.fakes import FakeCluster, FakeCoordinator, FakeNode, even_partitions

T = TypeVar("T")

HASH_TABLE = TableInfo(3, "users", KeySchema("id", "S"))
RANGE_TABLE = TableInfo(4, "events", KeySchema("pk", "S", "sk", "N"))


@dataclass
class Harness:
    cluster: FakeCluster
    nodes: dict[int, FakeNode]
    coordinator: FakeCoordinator
    router: RouterServer
    stub: dpb_grpc.DynamoDBStub

    async def call(self, operation: str, request: dict[str, Any], request_id: str | None = None,
                   timeout: float | None = 10.0) -> dict[str, Any]:  # fmt: skip
        """One API call through gRPC; a failure raises the KuraError the client would see."""
        metadata = (("x-kuradb-request-id", request_id),) if request_id else None
        method = getattr(self.stub, operation)
        try:
            resp = await method(wire.dict_to_request(operation, request), metadata=metadata, timeout=timeout)
        except grpc.aio.AioRpcError as e:
            raise wire.error_from_status(e.code(), e.details() or "", e.trailing_metadata()) from None
        return wire.response_to_dict(resp)

    async def fails(self, operation: str, request: dict[str, Any], **kw: Any) -> KuraError:
        try:
            await self.call(operation, request, **kw)
        except KuraError as e:
            return e
        raise AssertionError(f"{operation} succeeded")

    def metric(self, name: str, **labels: str) -> float:
        value = self.router.metrics.registry.get_sample_value(name, labels)
        return value or 0.0


@asynccontextmanager
async def harness(partitions: int = 4, max_attempts: int = 5, az: str = "az-a") -> AsyncIterator[Harness]:
    cluster = FakeCluster()
    nodes = {i: FakeNode(cluster, i, f"az-{c}") for i, c in ((1, "a"), (2, "b"), (3, "c"))}
    for n in nodes.values():
        await n.start()
    for table, first in ((HASH_TABLE, 100), (RANGE_TABLE, 200)):
        for d in even_partitions(table, partitions, first):
            cluster.add(d, leader=1)
    coordinator = FakeCoordinator(cluster, list(nodes.values()), [HASH_TABLE, RANGE_TABLE])
    await coordinator.start()
    await coordinator.publish()
    router = RouterServer(RouterOptions(listen="127.0.0.1:0", coordinators=[coordinator.address], az=az,
                                        election_timeout_s=0.05, max_attempts=max_attempts, request_timeout_s=5.0))  # fmt: skip
    address = await router.start()
    channel = grpc.aio.insecure_channel(address)
    try:
        yield Harness(cluster, nodes, coordinator, router, dpb_grpc.DynamoDBStub(channel))
    finally:
        await channel.close()
        await router.stop()
        await coordinator.stop()
        for n in nodes.values():
            await n.stop()


def run(scenario: Callable[[Harness], Awaitable[T]], **kw: Any) -> T:
    """Run one async scenario against a fresh harness (pytest-asyncio is not installed)."""

    async def main() -> T:
        async with harness(**kw) as h:
            return await asyncio.wait_for(scenario(h), 30)

    return asyncio.run(main())


def s(v: str) -> dict[str, str]:
    return {"S": v}


def n(v: int) -> dict[str, str]:
    return {"N": str(v)}
