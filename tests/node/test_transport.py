"""node/transport.py and node/faults.py: real gRPC transports on 127.0.0.1 in one process.

Every test runs its own event loop under a timeout (``run``), and every server is stopped in a
``finally``, so a hang fails fast instead of eating the suite's time.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import grpc
import pytest
from prometheus_client import CollectorRegistry

from kuradb.node.faults import FaultFileWatcher, FaultTable, PeerFault
from kuradb.node.transport import RaftTransport, ReceivedSnapshot, TransportConfig, grpc_options
from kuradb.proto import internal_pb2 as pb
from kuradb.raft.types import ConfState, Entry, Message, MessageType, Snapshot, SnapshotMetadata

T = TypeVar("T")
MiB = 1 << 20
FAST = TransportConfig(backoff_min_s=0.02, backoff_max_s=0.1)


def run(coro: Coroutine[Any, Any, T], timeout: float = 20.0) -> T:
    async def bounded() -> T:
        async with asyncio.timeout(timeout):  # not wait_for: it may swallow cancellation on 3.11
            return await coro

    return asyncio.run(bounded())


async def wait_until(pred: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not pred():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.005)


def hb(to: int, frm: int, commit: int = 0) -> Message:
    return Message(MessageType.HEARTBEAT, to=to, frm=frm, term=1, commit=commit)


@dataclass
class Node:
    """A transport, its gRPC server and what it received, for one node id."""

    node_id: int
    addresses: dict[int, str]
    config: TransportConfig = FAST
    faults: FaultTable = field(default_factory=lambda: FaultTable(seed=7))
    on_snapshot: Callable[[ReceivedSnapshot], Awaitable[None]] | None = None
    received: list[tuple[int, int, Message]] = field(default_factory=list)
    unreachable: list[tuple[int, int]] = field(default_factory=list)
    peer_addresses: dict[int, str] = field(default_factory=dict)
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    port: int = 0
    server: grpc.aio.Server | None = None
    transport: RaftTransport = field(init=False)

    def __post_init__(self) -> None:
        self.transport = RaftTransport(
            self.node_id, self.addresses.get,
            lambda f, p, m: self.received.append((f, p, m)),
            registry=self.registry,
            on_unreachable=lambda p, r: self.unreachable.append((p, r)),
            on_snapshot=self.on_snapshot,
            on_peer_address=self.peer_addresses.__setitem__,
            faults=self.faults, config=self.config, rng=random.Random(self.node_id),
        )  # fmt: skip

    async def start(self) -> None:
        self.server = grpc.aio.server(options=grpc_options(self.config))
        self.transport.add_to_server(self.server)
        self.port = self.server.add_insecure_port(f"127.0.0.1:{self.port}")
        self.addresses[self.node_id] = f"127.0.0.1:{self.port}"
        self.transport.advertise_address = self.addresses[self.node_id]
        await self.server.start()

    async def stop_server(self) -> None:
        if self.server is not None:
            await self.server.stop(None)
            self.server = None

    async def close(self) -> None:
        await self.transport.close()
        await self.stop_server()

    def metric(self, name: str, **labels: str) -> float:
        return self.registry.get_sample_value(f"kuradb_raft_transport_{name}_total", labels) or 0.0


async def cluster(n: int, **kw: Any) -> list[Node]:
    addresses: dict[int, str] = {}
    nodes = [Node(i, addresses, **kw) for i in range(1, n + 1)]
    for node in nodes:
        await node.start()
    return nodes


async def close_all(nodes: list[Node]) -> None:
    for node in nodes:
        await node.close()


# ------------------------------------------------------------------------------ delivery


def test_many_groups_between_three_nodes_arrive_in_order() -> None:
    async def main() -> None:
        nodes = await cluster(3)
        try:
            for rnd in range(5):
                for src in nodes:
                    for dst in nodes:
                        if src is dst:
                            continue
                        for pid in range(1, 41):
                            src.transport.send(dst.node_id, pid, Message(
                                MessageType.APP, to=dst.node_id * 100 + pid, frm=src.node_id, term=2,
                                index=rnd, entries=[Entry(2, rnd + 1, data=b"v%d" % pid)]))  # fmt: skip
                await asyncio.sleep(0)
            await wait_until(lambda: all(len(n.received) == 2 * 40 * 5 for n in nodes))
            for dst in nodes:
                for src in nodes:
                    if src is dst:
                        continue
                    for pid in (1, 17, 40):
                        got = [m for f, p, m in dst.received if f == src.node_id and p == pid]
                        assert [m.index for m in got] == list(range(5))  # per-peer FIFO
                        assert got[0].entries == [Entry(2, 1, data=b"v%d" % pid)]
                        assert got[0].to == dst.node_id * 100 + pid
            assert nodes[1].peer_addresses == {1: nodes[0].addresses[1], 3: nodes[0].addresses[3]}
        finally:
            await close_all(nodes)

    run(main())


def test_one_loop_iteration_is_one_batch() -> None:
    async def main() -> None:
        a, b = await cluster(2)
        try:
            for pid in range(1, 301):  # no await in between: one driver iteration
                a.transport.send(2, pid, hb(to=pid, frm=1))
            await wait_until(lambda: len(b.received) == 300)
            assert a.metric("batches_sent", peer="2") == 1
            assert b.metric("batches_received", peer="1") == 1
            assert a.metric("messages_sent", peer="2") == 300
            assert [p for _, p, _ in b.received] == list(range(1, 301))
        finally:
            await close_all([a, b])

    run(main())


def test_backlog_above_max_batch_bytes_is_split() -> None:
    async def main() -> None:
        a, b = await cluster(2, config=TransportConfig(max_batch_bytes=10_000))
        try:
            for i in range(10):
                a.transport.send(2, 1, Message(MessageType.APP, to=2, frm=1, index=i,
                                               entries=[Entry(1, i + 1, data=b"x" * 4000)]))  # fmt: skip
            await wait_until(lambda: len(b.received) == 10)
            assert a.metric("batches_sent", peer="2") == 5  # two ~4 KB messages per 10 KB batch
            assert [m.index for _, _, m in b.received] == list(range(10))
        finally:
            await close_all([a, b])

    run(main())


def test_snap_messages_must_use_send_snapshot() -> None:
    async def main() -> None:
        a = Node(1, {2: "127.0.0.1:1"})
        try:
            with pytest.raises(ValueError, match="send_snapshot"):
                a.transport.send(2, 1, Message(MessageType.SNAP, to=2, snapshot=Snapshot()))
            with pytest.raises(ValueError, match="this node"):
                a.transport.send(1, 1, hb(1, 1))
        finally:
            await a.close()

    run(main())


def test_misaddressed_stream_is_refused() -> None:
    """Node 1 believes node 3 lives at node 2's address: node 2 must not take node 3's mail."""

    async def main() -> None:
        a, b = await cluster(2)
        try:
            a.addresses[3] = a.addresses[2]
            while (9, 30) not in a.unreachable:  # the stream is aborted; a later write notices
                a.transport.send(3, 9, hb(to=30, frm=1))
                await asyncio.sleep(0.01)
            assert b.received == []
        finally:
            await close_all([a, b])

    run(main())


# ------------------------------------------------------------------------------ failures


def test_unreachable_peer_is_reported_and_backed_off() -> None:
    async def main() -> None:
        a = Node(1, {2: "127.0.0.1:9"})  # discard port: nothing listens
        try:
            a.transport.send(2, 5, hb(to=22, frm=1))
            a.transport.send(2, 6, hb(to=23, frm=1))
            await wait_until(lambda: len(a.unreachable) == 2)
            assert a.unreachable == [(5, 22), (6, 23)]
            a.transport.send(2, 7, hb(to=24, frm=1))  # during the backoff: reported at once
            assert a.unreachable[-1] == (7, 24)
            assert a.metric("messages_dropped", peer="2", reason="unreachable") == 3
        finally:
            await a.close()

    run(main())


def test_full_queue_drops_the_oldest() -> None:
    async def main() -> None:
        a, b = await cluster(2, config=TransportConfig(queue_limit=3))
        try:
            for i in range(5):
                a.transport.send(2, i, hb(to=2, frm=1, commit=i))
            assert a.unreachable == [(0, 2), (1, 2)]
            await wait_until(lambda: len(b.received) == 3)
            assert [m.commit for _, _, m in b.received] == [2, 3, 4]
            assert a.metric("messages_dropped", peer="2", reason="queue_full") == 2
        finally:
            await close_all([a, b])

    run(main())


def test_reconnects_after_the_receiver_restarts() -> None:
    async def main() -> None:
        a, b = await cluster(2)
        try:
            a.transport.send(2, 1, hb(to=2, frm=1, commit=1))
            await wait_until(lambda: len(b.received) == 1)
            await b.stop_server()

            # Keep "ticking" like a driver would until a write fails and is reported.
            async def tick_until(pred: Callable[[], bool]) -> None:
                commit = 100
                while not pred():
                    commit += 1
                    a.transport.send(2, 1, hb(to=2, frm=1, commit=commit))
                    await asyncio.sleep(0.01)

            async with asyncio.timeout(5):
                await tick_until(lambda: bool(a.unreachable))
            await b.start()  # same port
            async with asyncio.timeout(5):
                await tick_until(lambda: len(b.received) > 1)
            assert a.metric("reconnects", peer="2") >= 1
            commits = [m.commit for _, _, m in b.received]
            assert commits == sorted(commits)  # nothing duplicated or reordered
        finally:
            await close_all([a, b])

    run(main())


def test_address_change_moves_the_stream() -> None:
    async def main() -> None:
        a, b = await cluster(2)
        c = Node(2, a.addresses)  # "node 2" restarted elsewhere, on another port
        try:
            a.transport.send(2, 1, hb(to=2, frm=1))
            await wait_until(lambda: len(b.received) == 1)
            await c.start()  # updates a.addresses[2]
            a.transport.send(2, 1, hb(to=2, frm=1, commit=5))
            await wait_until(lambda: len(c.received) == 1)
            assert len(b.received) == 1 and a.unreachable == []
        finally:
            await close_all([a, b, c])

    run(main())


# ------------------------------------------------------------------------------ faults


def test_fault_drop_all_and_clear() -> None:
    async def main() -> None:
        a, b = await cluster(2)
        try:
            a.faults.set(2, PeerFault(drop_all=True))
            for i in range(20):
                a.transport.send(2, i, hb(to=2, frm=1))
            await asyncio.sleep(0.1)
            assert b.received == [] and a.unreachable == []  # silent loss, like a network
            assert a.metric("messages_dropped", peer="2", reason="fault") == 20
            a.faults.clear(2)
            a.transport.send(2, 1, hb(to=2, frm=1))
            await wait_until(lambda: len(b.received) == 1)
        finally:
            await close_all([a, b])

    run(main())


def test_fault_drop_probability_is_seeded() -> None:
    async def main() -> None:
        a, b = await cluster(2)
        try:
            a.faults.set("*", PeerFault(drop_prob=0.5))
            for i in range(400):
                a.transport.send(2, 1, hb(to=2, frm=1, commit=i))
            dropped = a.metric("messages_dropped", peer="2", reason="fault")
            assert 100 < dropped < 300
            await wait_until(lambda: len(b.received) == 400 - dropped)
        finally:
            await close_all([a, b])

    run(main())


def test_fault_delay_holds_messages_back_in_order() -> None:
    async def main() -> None:
        a, b = await cluster(2)
        loop = asyncio.get_running_loop()
        try:
            a.transport.send(2, 1, hb(to=2, frm=1, commit=1))  # open the stream first
            await wait_until(lambda: len(b.received) == 1)
            a.faults.set(2, PeerFault(delay_ms=150))
            t0 = loop.time()
            for i in range(2, 6):
                a.transport.send(2, 1, hb(to=2, frm=1, commit=i))
            await asyncio.sleep(0.05)
            assert len(b.received) == 1  # still held back
            await wait_until(lambda: len(b.received) == 5)
            assert loop.time() - t0 >= 0.15
            assert [m.commit for _, _, m in b.received] == [1, 2, 3, 4, 5]
        finally:
            await close_all([a, b])

    run(main())


def test_fault_file_watcher(tmp_path: Path) -> None:
    table = FaultTable(seed=1)
    watcher = FaultFileWatcher.from_env(table, {"KURADB_FAULTS": str(tmp_path / "f.json")})
    assert watcher is not None and FaultFileWatcher.from_env(table, {}) is None
    assert watcher.poll() is False  # no file: no faults
    path = tmp_path / "f.json"
    path.write_text(json.dumps({"peers": {"2": {"drop_all": True}, "*": {"delay_ms": 5}}}))
    assert watcher.poll() is True
    assert table.decide(2).drop and table.decide(3) == table.decide(4)
    assert table.decide(3).delay_s == pytest.approx(0.005) and not table.decide(3).drop
    assert watcher.poll() is False  # unchanged
    path.write_text("{not json")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert watcher.poll() is False and table.decide(2).drop  # malformed: previous table kept
    path.unlink()
    assert watcher.poll() is True and not table.decide(2).drop


def test_fault_validation() -> None:
    with pytest.raises(ValueError):
        PeerFault(drop_prob=1.5)
    with pytest.raises(ValueError, match="unknown fault fields"):
        FaultTable().load_json('{"peers": {"2": {"dorp_all": true}}}')


# ------------------------------------------------------------------------------ snapshots

SNAP = Message(
    MessageType.SNAP, to=2, frm=1, term=3,
    snapshot=Snapshot(SnapshotMetadata(index=42, term=3, conf_state=ConfState(voters=(1, 2, 3))), b"inline"),
)  # fmt: skip


def test_snapshot_of_5_mib_streams_in_chunks_and_reassembles(tmp_path: Path) -> None:
    got: list[tuple[ReceivedSnapshot, bytes]] = []

    async def on_snapshot(s: ReceivedSnapshot) -> None:
        got.append((s, s.data.read()))

    rnd = random.Random(3)
    payload = rnd.randbytes(5 * MiB + 12345)

    def pieces() -> Any:  # odd piece sizes, so re-chunking is exercised
        pos = 0
        while pos < len(payload):
            n = rnd.randint(1, 700_000)
            yield payload[pos:pos + n]
            pos += n

    async def main() -> None:
        config = TransportConfig(snapshot_spool_bytes=1 * MiB, spool_dir=tmp_path)  # spills to disk
        addresses: dict[int, str] = {}
        a, b = Node(1, addresses, config=config), Node(2, addresses, config=config, on_snapshot=on_snapshot)
        await a.start()
        await b.start()
        try:
            desc = pb.PartitionDescriptor(id=7, table_id=1, start_h=0, end_is_max=True)
            assert await a.transport.send_snapshot(2, 7, SNAP, pieces(), descriptor=desc, timeout_s=10)
            (snap, data), = got
            assert data == payload and snap.size == len(payload)
            assert snap.partition_id == 7 and snap.from_node == 1 and snap.descriptor == desc
            assert snap.message.snapshot is not None and snap.message.snapshot.data == b""
            assert snap.message.snapshot.metadata == SNAP.snapshot.metadata  # type: ignore[union-attr]
            assert list(tmp_path.iterdir()) == []  # the spool file is gone
            assert a.metric("snapshots_sent", peer="2", result="accepted") == 1
        finally:
            await close_all([a, b])

    run(main())


def test_snapshot_chunks_are_at_most_1_mib() -> None:
    async def main() -> None:
        a = Node(1, {})
        try:
            data = [b"a" * 300_000] * 10 + [b"b" * (3 * MiB)]
            chunks = [c async for c in a.transport._chunks(pb.SnapshotHeader(partition_id=1), data)]
            assert chunks[0].HasField("header") and not chunks[0].data
            sizes = [len(c.data) for c in chunks[1:]]
            assert max(sizes) == MiB and all(s == MiB for s in sizes[:-1])
            assert sum(sizes) == 3_000_000 + 3 * MiB and chunks[-1].last and not any(c.last for c in chunks[:-1])
        finally:
            await a.close()

    run(main())


def test_snapshot_failures_are_reported_false() -> None:
    async def refuse(s: ReceivedSnapshot) -> None:
        raise RuntimeError("partition 7 is being deleted")

    async def main() -> None:
        addresses: dict[int, str] = {}
        a, b = Node(1, addresses), Node(2, addresses, on_snapshot=refuse)
        await a.start()
        await b.start()
        try:
            assert not await a.transport.send_snapshot(2, 7, SNAP, [b"x" * 10])
            assert a.metric("snapshots_sent", peer="2", result="rejected") == 1
            await b.stop_server()
            assert not await a.transport.send_snapshot(2, 7, SNAP, [b"x"])  # nobody listening
            a.faults.set(2, PeerFault(drop_all=True))
            assert not await a.transport.send_snapshot(2, 7, SNAP, [b"x"])
            with pytest.raises(ValueError):
                await a.transport.send_snapshot(2, 7, hb(2, 1), [b"x"])
        finally:
            await close_all([a, b])

    run(main())


# ------------------------------------------------------------------------------ bench


async def _bench(batches: int = 2000, per_batch: int = 50) -> dict[str, float]:
    """Two transports in one loop: ``per_batch`` heartbeats of distinct groups per iteration."""
    a, b = await cluster(2, config=TransportConfig(queue_limit=1 << 20))
    try:
        loop = asyncio.get_running_loop()
        total = batches * per_batch
        msgs = [hb(to=2, frm=1, commit=i) for i in range(per_batch)]
        t0 = loop.time()
        for _ in range(batches):
            for pid, m in enumerate(msgs):
                a.transport.send(2, pid, m)
            await asyncio.sleep(0)
        await wait_until(lambda: len(b.received) == total, timeout=120)
        dt = loop.time() - t0
        sent_batches = a.metric("batches_sent", peer="2")
        return {"seconds": dt, "batches_per_s": sent_batches / dt, "messages_per_s": total / dt,
                "batches_sent": sent_batches, "messages": total}  # fmt: skip
    finally:
        await close_all([a, b])


if __name__ == "__main__":
    for k, v in asyncio.run(_bench()).items():
        print(f"{k}: {v:,.1f}")
    for k, v in asyncio.run(_bench(batches=5000, per_batch=1)).items():
        print(f"single-message iterations {k}: {v:,.1f}")
