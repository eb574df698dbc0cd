"""Replicated throughput of a 3-node KuraDB cluster: durable writes/s, latency, reads/s, RSS.

Run: ``python bench/node_bench.py [--nodes-dir DIR] [--duration 10]``.

What is measured, and how:

* Three real ``kuradb node`` processes on 127.0.0.1 (az-a, az-b, az-c), started with the
  integration harness (tests/integration/cluster.py) and production timing (100 ms ticks).
* A write is a PutItem of a 1 KB item (1 WCU), acknowledged only once it is fsync'd on a majority and
  applied on the leader: the node's own definition of "durable". Each write has its own
  request id. Writers are asyncio tasks on grpc.aio channels, one channel per node, each
  writer sending its next request as soon as the previous one is answered (closed loop).
* "1 partition": every writer hits one Raft group. "16 partitions": the same table cut into 16
  equal hash ranges, leaders spread over the three nodes; keys land where their hash says.
* Reads: GetItem of keys written before, 64 concurrent readers; strong reads go to the leader
  (lease or ReadIndex), eventual reads round-robin over all three replicas.
* Only successful operations count; errors (any PartitionError or DynamoError) are counted
  apart and printed. The client runs on the same machine and shares its cores with the nodes,
  so the figures are a floor, not a ceiling; the "client CPU" and "nodes CPU" columns (CPU
  seconds per wall second, 100% = one core) show which side was busy.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import itertools
import os
import sys
import tempfile
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root: tests.integration

from kuradb.keys import HASH_SPACE, partition_hash  # noqa: E402
from kuradb.model.schema import KeySchema, TableInfo  # noqa: E402
from kuradb.node.descriptor import Epoch  # noqa: E402
from kuradb.proto import internal_pb2_grpc as pb_grpc  # noqa: E402
from tests.integration.client import (  # noqa: E402
    EVENTUAL,
    STRONG,
    Outcome,
    encode_payload,
    make_request,
    new_request_id,
)
from tests.integration.cluster import Cluster, NodeOptions, running_cluster  # noqa: E402

ONE = TableInfo(table_id=1, name="bench_one", key_schema=KeySchema("pk", "S", "sk", "N"))
SPREAD = TableInfo(table_id=2, name="bench_spread", key_schema=KeySchema("pk", "S", "sk", "N"))
SPREAD_PARTITIONS = 16
PAD = "x" * 990  # with the key attributes and the names, an item is just under 1 KB: 1 WCU
CALL_TIMEOUT_S = 10.0
READERS = 64


@dataclass(frozen=True, slots=True)
class Route:
    partition_id: int
    start_h: int
    end_h: int
    epoch: Epoch


@dataclass
class Result:
    name: str
    clients: int
    partitions: int
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    client_cpu: float = 0.0  # CPU seconds used by this (client) process during the row
    nodes_cpu: float = 0.0  # CPU seconds used by the three node processes during the row

    def row(self) -> tuple[str, ...]:
        lat = sorted(self.latencies)
        n = len(lat)

        def pct(p: float) -> str:
            return f"{lat[min(n - 1, int(p * n))] * 1000:.1f}" if n else "-"

        errs = ", ".join(f"{k}={v}" for k, v in sorted(self.errors.items())) or "0"
        e = self.elapsed or 1.0
        return (self.name, str(self.clients), str(self.partitions), f"{n / e:,.0f}", pct(0.50), pct(0.99),
                f"{100 * self.client_cpu / e:.0f}%", f"{100 * self.nodes_cpu / e:.0f}%", errs)  # fmt: skip


class Client:
    """Async NodeData client over one channel per node, following leader hints."""

    def __init__(self, cluster: Cluster) -> None:
        self.channels = {n: grpc.aio.insecure_channel(p.address) for n, p in cluster.nodes.items()}
        self.stubs = {n: pb_grpc.NodeDataStub(ch) for n, ch in self.channels.items()}
        self.leaders: dict[int, int] = {}

    async def close(self) -> None:
        for ch in self.channels.values():
            await ch.close()

    async def send(self, node: int, route: Route, op: str, payload: bytes, consistency: int, rid: bytes) -> Outcome:
        req = make_request(route.partition_id, route.epoch, op, payload, consistency=consistency, request_id=rid,
                           deadline_s=CALL_TIMEOUT_S)  # fmt: skip
        return Outcome.from_pb(await self.stubs[node].Execute(req, timeout=CALL_TIMEOUT_S + 1))

    async def leader_call(self, route: Route, op: str, payload: bytes, consistency: int = STRONG) -> str | None:
        """Send to the partition's leader, following NOT_LEADER hints; None on success, else the
        error name of the final answer."""
        rid = new_request_id() if op == "PutItem" else b""
        for _ in range(10):
            node = self.leaders.get(route.partition_id, 1)
            try:
                out = await self.send(node, route, op, payload, consistency, rid)
            except grpc.aio.AioRpcError as e:
                return e.code().name
            if out.result is not None:
                return None
            if out.code == "NOT_LEADER" and out.error is not None:
                self.leaders[route.partition_id] = out.error.leader_node_id or (node % len(self.stubs)) + 1
                if not out.error.leader_node_id:
                    await asyncio.sleep(0.1)
                continue
            return out.code or (out.dynamo.name if out.dynamo else "unknown")
        return "NOT_LEADER(retries)"


def _payload(table: TableInfo, pk: str, sk: int) -> bytes:
    return encode_payload({"TableName": table.name, "Item": {"pk": {"S": pk}, "sk": {"N": str(sk)}, "pad": {"S": PAD}}})


def _route_of(routes: list[Route], pk: str) -> Route:
    h = partition_hash({"S": pk})
    for r in routes:
        if r.start_h <= h < r.end_h:
            return r
    raise AssertionError(f"no partition covers {pk}")


async def run_writes(client: Client, table: TableInfo, routes: list[Route], clients: int, duration: float,
                     tag: str) -> Result:  # fmt: skip
    res = Result(f"PutItem 1 KB ({'1 partition' if len(routes) == 1 else f'{len(routes)} partitions'})", clients,
                 len(routes))  # fmt: skip
    stop_at = time.monotonic() + duration

    async def writer(w: int) -> None:
        for i in itertools.count():
            if time.monotonic() >= stop_at:
                return
            pk = f"{tag}-{w}-{i}"
            t0 = time.perf_counter()
            err = await client.leader_call(_route_of(routes, pk), "PutItem", _payload(table, pk, i))
            if err is None:
                res.latencies.append(time.perf_counter() - t0)
            else:
                res.errors[err] = res.errors.get(err, 0) + 1

    t0 = time.monotonic()
    await asyncio.gather(*(writer(w) for w in range(clients)))
    res.elapsed = time.monotonic() - t0
    return res


async def run_reads(client: Client, route: Route, keys: list[bytes], consistency: int, duration: float) -> Result:
    name = "GetItem strong (leader)" if consistency == STRONG else "GetItem eventual (any replica)"
    res = Result(name, READERS, 1)
    stop_at = time.monotonic() + duration
    nodes = sorted(client.stubs)

    async def reader(r: int) -> None:
        for i in itertools.count():
            if time.monotonic() >= stop_at:
                return
            payload = keys[(r * 7919 + i) % len(keys)]
            t0 = time.perf_counter()
            if consistency == STRONG:
                err = await client.leader_call(route, "GetItem", payload, STRONG)
            else:
                node = nodes[(r + i) % len(nodes)]
                try:
                    out = await client.send(node, route, "GetItem", payload, EVENTUAL, b"")
                    err = None if out.result is not None and "Item" in out.result else (out.code or "missing item")
                except grpc.aio.AioRpcError as e:
                    err = e.code().name
            if err is None:
                res.latencies.append(time.perf_counter() - t0)
            else:
                res.errors[err] = res.errors.get(err, 0) + 1

    t0 = time.monotonic()
    await asyncio.gather(*(reader(r) for r in range(READERS)))
    res.elapsed = time.monotonic() - t0
    return res


def setup_partitions(cluster: Cluster) -> tuple[list[Route], list[Route]]:
    nodes = [1, 2, 3]
    d = cluster.create_partition(1, ONE, nodes)
    one = [Route(1, d.start_h, d.end_h, d.epoch)]
    spread: list[Route] = []
    step = HASH_SPACE // SPREAD_PARTITIONS
    for i in range(SPREAD_PARTITIONS):
        start, end = i * step, HASH_SPACE if i == SPREAD_PARTITIONS - 1 else (i + 1) * step
        order = nodes[i % 3:] + nodes[:i % 3]  # the first listed replica campaigns first: spread leaders
        d = cluster.create_partition(10 + i, SPREAD, order, start, end)
        spread.append(Route(10 + i, d.start_h, d.end_h, d.epoch))
    return one, spread


def _cpu_seconds(pids: list[int | None]) -> tuple[float, float]:
    """(this process's CPU seconds, the sum over ``pids`` from /proc/PID/stat utime+stime).

    Why: client and nodes share the machine's cores; the split shows which side saturates."""
    own = time.process_time()
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        if pid is None:
            continue
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime (fields 14, 15)
    return own, total


async def measured(cluster: Cluster, run: Awaitable[Result]) -> Result:
    pids = [p.pid for p in cluster.nodes.values()]
    c0, n0 = _cpu_seconds(pids)
    res = await run
    c1, n1 = _cpu_seconds(pids)
    res.client_cpu, res.nodes_cpu = c1 - c0, n1 - n0
    print("  ".join(res.row()), file=sys.stderr, flush=True)
    return res


async def bench(cluster: Cluster, duration: float) -> list[Result]:
    one, spread = setup_partitions(cluster)
    client = Client(cluster)
    for r in one + spread:
        client.leaders[r.partition_id] = cluster.wait_for_leader(r.partition_id, timeout_s=30)
    spread_leaders = collections.Counter(client.leaders[r.partition_id] for r in spread)
    print("leaders of the 16 partitions: " + ", ".join(f"node {n}: {spread_leaders[n]}" for n in sorted(cluster.nodes)))
    results: list[Result] = []
    try:
        for routes, table in ((one, ONE), (spread, SPREAD)):
            for clients in (1, 16, 64):
                tag = f"w{table.table_id}c{clients}"
                results.append(await measured(cluster, run_writes(client, table, routes, clients, duration, tag)))
        # Reads: keys written by the 16-writer single-partition run (all present and replicated).
        written = [{"pk": {"S": f"w1c16-{w}-{i}"}, "sk": {"N": str(i)}} for w in range(16) for i in range(20)]
        for consistency in (STRONG, EVENTUAL):
            keys = [encode_payload({"TableName": ONE.name, "Key": k, "ConsistentRead": consistency == STRONG})
                    for k in written]  # fmt: skip
            results.append(await measured(cluster, run_reads(client, one[0], keys, consistency, duration)))
    finally:
        await client.close()
    return results


def print_table(results: list[Result], rss: dict[int, int | None], duration: float) -> None:
    header = ("operation", "clients", "partitions", "ops/s", "p50 ms", "p99 ms", "client CPU", "nodes CPU", "errors")
    rows = [header] + [r.row() for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    print(f"KuraDB node bench: 3 nodes (az-a, az-b, az-c) on 127.0.0.1, {duration:g} s per row")
    for k, row in enumerate(rows):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))))
        if k == 0:
            print("  ".join("-" * w for w in widths))
    per_node = (f"node {n}: {v / 1024:.0f} MiB" if v else f"node {n}: -" for n, v in rss.items())
    print("RSS per node: " + ", ".join(per_node))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes-dir", type=Path, help="parent of the nodes' data dirs (default: a temp dir)")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per measured row (default 10)")
    ap.add_argument("--tick-ms", type=int, default=100)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kuradb-bench-", dir=args.nodes_dir) as tmp:
        with running_cluster(Path(tmp), 3, NodeOptions(tick_ms=args.tick_ms)) as cluster:
            results = asyncio.run(bench(cluster, args.duration))
            rss = {n: p.rss_kb() for n, p in cluster.nodes.items()}
    print_table(results, rss, args.duration)
    return 0


if __name__ == "__main__":
    sys.exit(main())
