"""Test-side NodeData client: request building, response decoding and a router-like retry loop.

Rules (they mirror what the real router will do, design §5, so the tests exercise the node the
way production traffic will):

* A request is ``DataRequest{header, operation, payload}`` with ``payload`` the DynamoDB-shaped
  request dict encoded by kuradb/payload.py, the one msgpack convention the node decodes with;
  responses are decoded by the same module.
* Every logical write gets ONE request id (16 random bytes). Retries after a timeout or an
  UNDETERMINED answer reuse it, so the node's dedup table applies the write at most once: a
  retried write is never re-applied blindly.
* :class:`Outcome` keeps the three answers apart (result / PartitionError / DynamoError): tests
  assert on the exact routing code, and :meth:`Outcome.unwrap` turns a DynamoError into the
  kuradb.errors exception of the same name.
* :class:`Router` caches, per partition, the leader node and the epoch. NOT_LEADER with a hint
  goes straight to the hinted node; without one (an election is running) it backs off briefly
  and probes the next node. EPOCH_NOT_MATCH takes the epoch from ``current``. A gRPC failure
  (node down, call timeout) or PARTITION_NOT_FOUND moves on to the next node;
  KEY_NOT_IN_PARTITION fails at once (the caller routed to the wrong partition). Past ``budget_s`` it raises
  :class:`RoutingFailed` with the last answer, never a fake success.
"""

from __future__ import annotations

import collections
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc

from kuradb.errors import ConditionalCheckFailedException, KuraError, error_from_name
from kuradb.node.descriptor import Epoch
from kuradb.payload import pack as encode_payload
from kuradb.payload import unpack as decode_payload
from kuradb.proto import internal_pb2 as pb
from kuradb.proto import internal_pb2_grpc as pb_grpc

AV = dict[str, Any]
Item = dict[str, AV]

STRONG = pb.STRONG
EVENTUAL = pb.EVENTUAL
WRITE_OPERATIONS = frozenset({"PutItem", "UpdateItem", "DeleteItem"})


def new_request_id() -> bytes:
    return os.urandom(16)


def make_request(
    partition_id: int,
    epoch: Epoch,
    operation: str,
    payload: bytes,
    *,
    consistency: int = STRONG,
    request_id: bytes = b"",
    deadline_s: float | None = None,
) -> pb.DataRequest:
    """A DataRequest; ``deadline_s`` is relative (converted to the header's absolute unix time)."""
    header = pb.RequestHeader(
        partition_id=partition_id,
        epoch=epoch.to_pb(),
        request_id=request_id,
        consistency=consistency,  # type: ignore[arg-type]
        deadline_unix=time.time() + deadline_s if deadline_s else 0.0,
    )
    return pb.DataRequest(header=header, operation=operation, payload=payload)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One DataResponse, decoded. Exactly one of the three fields is set."""

    result: dict[str, Any] | None = None
    error: pb.PartitionError | None = None
    dynamo: KuraError | None = None

    @classmethod
    def from_pb(cls, resp: pb.DataResponse) -> Outcome:
        which = resp.WhichOneof("outcome")
        if which == "result":
            return cls(result=decode_payload(resp.result))
        if which == "error":
            return cls(error=resp.error)
        if which == "dynamo_error":
            e = resp.dynamo_error
            if e.name == ConditionalCheckFailedException.name:
                item = decode_payload(e.item) if e.item else None
                return cls(dynamo=ConditionalCheckFailedException(e.message, item=item))
            return cls(dynamo=error_from_name(e.name, e.message))
        raise AssertionError(f"DataResponse with no outcome: {resp!r}")

    @property
    def code(self) -> str | None:
        """The PartitionError code name (e.g. "NOT_LEADER"), or None."""
        return None if self.error is None else pb.PartitionError.Code.Name(self.error.code)

    def unwrap(self) -> dict[str, Any]:
        if self.dynamo is not None:
            raise self.dynamo
        if self.error is not None:
            raise RoutingFailed(f"partition error {self.code}: {self.error.message}", self)
        assert self.result is not None
        return self.result


class RoutingFailed(Exception):
    """The retry budget ran out without an answer (or an unretryable routing error)."""

    def __init__(self, message: str, last: Outcome | None = None) -> None:
        super().__init__(message)
        self.last = last


@dataclass(slots=True)
class _Route:
    epoch: Epoch
    leader: int | None = None


Channels = Callable[[int], pb_grpc.NodeDataStub]
"""node id -> a NodeData stub for that node (the cluster owns and resets the channels)."""


@dataclass
class Router:
    """A blocking, router-like client over a set of nodes (see module rules)."""

    stub: Channels
    nodes: Callable[[], Sequence[int]]  # node ids worth trying now (e.g. the live ones)
    epochs: Callable[[int], Epoch]  # initial epoch of a partition (the harness's view)
    call_timeout_s: float = 5.0
    budget_s: float = 30.0
    retry_pause_s: float = 0.1  # pause before retrying a node that could not answer
    routes: dict[int, _Route] = field(default_factory=dict)
    # Every non-success answer seen by call(), by code ("NOT_LEADER", "rpc:UNAVAILABLE", ...):
    # tests use it to show which retry paths a scenario really exercised.
    seen: collections.Counter[str] = field(default_factory=collections.Counter)

    def execute(
        self, node_id: int, partition_id: int, operation: str, request: dict[str, Any] | bytes, *,
        consistency: int = STRONG, request_id: bytes = b"", epoch: Epoch | None = None,
    ) -> Outcome:  # fmt: skip
        """One attempt on one node, no retries (tests of exact error codes use this)."""
        payload = request if isinstance(request, bytes) else encode_payload(request)
        ep = epoch if epoch is not None else self._route(partition_id).epoch
        req = make_request(partition_id, ep, operation, payload, consistency=consistency,
                           request_id=request_id, deadline_s=self.call_timeout_s)  # fmt: skip
        # The gRPC timeout outlives the header deadline, so the node's own answer (UNDETERMINED)
        # arrives instead of a transport-level DEADLINE_EXCEEDED.
        return Outcome.from_pb(self.stub(node_id).Execute(req, timeout=self.call_timeout_s + 1.0))

    def _route(self, partition_id: int) -> _Route:
        r = self.routes.get(partition_id)
        if r is None:
            r = self.routes[partition_id] = _Route(self.epochs(partition_id))
        return r

    def call(
        self, partition_id: int, operation: str, request: dict[str, Any], *,
        consistency: int = STRONG, request_id: bytes | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Send to the partition's leader, following the design §5 retry rules; returns the
        result dict or raises the DynamoDB error (KuraError) / :class:`RoutingFailed`."""
        if operation in WRITE_OPERATIONS and request_id is None:
            request_id = new_request_id()
        route = self._route(partition_id)
        deadline = time.monotonic() + self.budget_s
        last: Outcome | None = None
        last_exc: Exception | None = None
        probe = 0
        while time.monotonic() < deadline:
            nodes = list(self.nodes())
            if not nodes:
                time.sleep(self.retry_pause_s)
                continue
            if route.leader is not None and route.leader in nodes:
                target = route.leader
            else:
                target = nodes[probe % len(nodes)]
                probe += 1
            try:
                out = self.execute(target, partition_id, operation, request, consistency=consistency,
                                   request_id=request_id or b"")  # fmt: skip
            except grpc.RpcError as e:
                # Node down or call timed out: for a write the outcome is undetermined, and the
                # same request id makes the retry safe.
                self.seen[f"rpc:{e.code().name}"] += 1  # type: ignore[attr-defined]
                last_exc = e
                route.leader = None
                time.sleep(self.retry_pause_s)
                continue
            last = out
            code = out.code
            if code is None:
                route.leader = target
                return out.unwrap()
            self.seen[code] += 1
            if code == "NOT_LEADER":
                hinted = out.error.leader_node_id if out.error is not None else 0
                if hinted and hinted != target:
                    route.leader = hinted
                else:
                    route.leader = None
                    time.sleep(self.retry_pause_s)
            elif code == "EPOCH_NOT_MATCH":
                assert out.error is not None
                mine = [d for d in out.error.current if d.id == partition_id]
                if not mine:
                    raise RoutingFailed(f"partition {partition_id} no longer covers the key", out)
                route.epoch = Epoch.from_pb(mine[0].epoch)
            elif code == "UNDETERMINED":
                time.sleep(self.retry_pause_s)
            elif code == "SERVER_BUSY":
                assert out.error is not None
                time.sleep(max(out.error.backoff_ms, 20) / 1000)
            elif code == "PARTITION_NOT_FOUND":
                route.leader = None  # no replica on that node (or a removed one): try the others
            else:  # KEY_NOT_IN_PARTITION: the caller's map is wrong, retrying cannot help
                raise RoutingFailed(f"{code}: {out.error.message if out.error else ''}", out)
        raise RoutingFailed(f"no answer for partition {partition_id} within {self.budget_s}s "
                            f"(last: {last.code if last else last_exc!r})", last)  # fmt: skip

    # -- item helpers -------------------------------------------------------------------------
    def put(self, partition_id: int, table: str, item: Item, *, request_id: bytes | None = None,
            **extra: Any) -> dict[str, Any]:  # fmt: skip
        return self.call(partition_id, "PutItem", {"TableName": table, "Item": item, **extra}, request_id=request_id)

    def get(self, partition_id: int, table: str, key: Item, *, consistency: int = STRONG,
            node_id: int | None = None) -> Item | None:  # fmt: skip
        """Strong reads go through :meth:`call`; ``node_id`` reads that node's replica directly
        (eventual reads on a chosen follower)."""
        req = {"TableName": table, "Key": key, "ConsistentRead": consistency == STRONG}
        if node_id is None:
            res = self.call(partition_id, "GetItem", req, consistency=consistency)
        else:
            res = self.execute(node_id, partition_id, "GetItem", req, consistency=consistency).unwrap()
        item: Item | None = res.get("Item")
        return item

    def query(self, partition_id: int, table: str, key_condition: str, values: dict[str, AV], *,
              consistency: int = STRONG, node_id: int | None = None, **extra: Any) -> list[Item]:  # fmt: skip
        """All pages of a Query (follows LastEvaluatedKey)."""
        items: list[Item] = []
        start: Item | None = None
        while True:
            req: dict[str, Any] = {"TableName": table, "KeyConditionExpression": key_condition,
                                   "ExpressionAttributeValues": values, **extra}  # fmt: skip
            if consistency == STRONG:
                req["ConsistentRead"] = True
            if start is not None:
                req["ExclusiveStartKey"] = start
            if node_id is None:
                res = self.call(partition_id, "Query", req, consistency=consistency)
            else:
                res = self.execute(node_id, partition_id, "Query", req, consistency=consistency).unwrap()
            items.extend(res.get("Items", []))
            start = res.get("LastEvaluatedKey")
            if not start:
                return items


__all__ = [
    "EVENTUAL",
    "STRONG",
    "Outcome",
    "Router",
    "RoutingFailed",
    "decode_payload",
    "encode_payload",
    "make_request",
    "new_request_id",
]
