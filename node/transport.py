"""Raft transport between storage nodes: one long-lived gRPC stream per peer carrying all groups.

Rules and invariants:

* Delivery is best effort, in order per peer, at most once. Raft tolerates loss, duplication is
  never produced here, and there are no acknowledgements: a broken stream loses what was in
  flight. Whatever this transport drops *knowingly* (full queue, peer unreachable, write failed)
  is reported through ``on_unreachable(partition_id, replica_id)`` so the driver can call
  ``RawNode.report_unreachable`` and the leader stops pipelining into the void. Messages
  dropped by the test fault table are *not* reported: they model silent network loss.
* :meth:`RaftTransport.send` never blocks and never awaits: the driver calls it for every
  message of a loop iteration. It encodes the message at once (so later mutation by the core
  cannot leak into the wire), appends it to the peer's bounded queue and wakes the peer's
  sender task. A full queue drops its *oldest* message: newer messages carry newer terms and
  commit indexes, the older ones are the likelier to be stale.
* The sender task of a peer drains everything queued since it last ran into ONE RaftBatch, so
  the messages of all groups produced in one driver iteration leave as one streamed message
  (split only above ``max_batch_bytes``). While a write is in flight, new messages queue up and
  form the next batch: batching adapts to load without a timer.
* Connection management: the stream is opened lazily on the first batch. On a failed write the
  batch and the whole queue are dropped (reported), the channel is closed, and the peer enters
  a jittered exponential backoff (``backoff_min_s`` doubling up to ``backoff_max_s``, uniformly
  jittered in [d/2, d]); during the backoff ``send`` drops and reports immediately instead of
  queueing messages that would be stale by the time they leave. A fresh channel is built on
  each reconnect (gRPC's own channel backoff would otherwise hide our schedule) using the
  address the resolver gives *then*, and a changed address also makes a healthy peer reconnect.
* The receiver checks each batch's ``to_node`` against its own id and ends a misaddressed
  stream: a reused address must not deliver votes to the wrong process.
* Snapshots go on their own short-lived channel (its own TCP connection), so a large transfer
  never holds up heartbeats behind HTTP/2 flow control. Data is streamed in chunks of at most
  ``snapshot_chunk_bytes`` (1 MiB); the receiver spools it (memory, then a temp file above
  ``snapshot_spool_bytes``) and hands the complete snapshot to ``on_snapshot``; the sender's
  ``send_snapshot`` returns whether the receiver accepted it (-> ``RawNode.report_snapshot``).
* No globals: metrics go to the CollectorRegistry passed in, randomness to a per-transport RNG,
  so any number of transports can live in one process (tests run three).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import tempfile
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NamedTuple

import grpc
from prometheus_client import CollectorRegistry, Counter

from kuradb.node.faults import FaultTable
from kuradb.proto import internal_pb2 as pb
from kuradb.proto import internal_pb2_grpc as pb_grpc
from kuradb.raft.codec import CodecError, decode_message, encode_message
from kuradb.raft.types import Message, MessageType

__all__ = [
    "OnMessage",
    "OnSnapshot",
    "OnUnreachable",
    "RaftTransport",
    "ReceivedSnapshot",
    "Resolver",
    "TransportConfig",
    "grpc_options",
]

log = logging.getLogger(__name__)

MiB = 1 << 20

Resolver = Callable[[int], str | None]
"""node id -> "host:port", or None if unknown. Called on every (re)connect and batch."""
OnMessage = Callable[[int, int, Message], None]
"""(from_node, partition_id, message): a Raft message arrived for a group of this node."""
OnUnreachable = Callable[[int, int], None]
"""(partition_id, replica_id): messages of that group to that replica were dropped."""
OnSnapshot = Callable[["ReceivedSnapshot"], Awaitable[None]]
"""A complete snapshot arrived; raising rejects it (the sender sees accepted = False)."""
OnPeerAddress = Callable[[int, str], None]
"""(node_id, address): a peer announced its address on a new stream."""


@dataclass(frozen=True, slots=True)
class TransportConfig:
    queue_limit: int = 4096  # messages queued per peer before the oldest is dropped
    max_batch_bytes: int = 4 * MiB  # a bigger backlog is written as several batches
    max_message_bytes: int = 64 * MiB  # gRPC send/receive limit (one APP may be large)
    write_timeout_s: float = 5.0  # a write stalled this long counts as a broken stream
    backoff_min_s: float = 0.05
    backoff_max_s: float = 2.0
    snapshot_chunk_bytes: int = 1 * MiB
    snapshot_spool_bytes: int = 16 * MiB  # received snapshot data above this goes to a temp file
    spool_dir: Path | None = None  # None: the system temp dir


def grpc_options(config: TransportConfig) -> list[tuple[str, int]]:
    """Channel/server options the transport relies on; the node's gRPC server must use them."""
    return [
        ("grpc.max_send_message_length", config.max_message_bytes),
        ("grpc.max_receive_message_length", config.max_message_bytes),
    ]


@dataclass(slots=True)
class ReceivedSnapshot:
    """A complete snapshot handed to ``on_snapshot``. ``data`` is positioned at 0 and is closed
    (its temp file deleted) when the callback returns: consume or copy it before then."""

    from_node: int
    partition_id: int
    message: Message  # type SNAP; message.snapshot has the metadata, its data is b""
    descriptor: pb.PartitionDescriptor | None
    data: IO[bytes]
    size: int


class _Queued(NamedTuple):
    partition_id: int
    replica_id: int  # msg.to, for unreachable reports
    data: bytes
    due: float  # loop time at which it may leave (fault delay)


class _Metrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        def counter(name: str, doc: str, labels: tuple[str, ...]) -> Counter:
            return Counter(f"kuradb_raft_transport_{name}", doc, labels, registry=registry)

        self.messages_sent = counter("messages_sent", "Raft messages written to peer streams", ("peer",))
        self.batches_sent = counter("batches_sent", "RaftBatch messages written to peer streams", ("peer",))
        self.bytes_sent = counter("sent_bytes", "Encoded Raft message bytes written", ("peer",))
        self.dropped = counter("messages_dropped", "Raft messages dropped before delivery", ("peer", "reason"))
        self.reconnects = counter("reconnects", "Peer streams re-opened after a failure", ("peer",))
        self.messages_received = counter("messages_received", "Raft messages received", ("peer",))
        self.batches_received = counter("batches_received", "RaftBatch messages received", ("peer",))
        self.receive_errors = counter("receive_errors", "Received messages that could not be decoded or delivered",
                                      ("peer",))  # fmt: skip
        self.snapshots_sent = counter("snapshots_sent", "Snapshot transfers by outcome", ("peer", "result"))
        self.snapshots_received = counter("snapshots_received", "Snapshot receptions by outcome", ("result",))


class _Peer:
    """Send-side state of one remote node; owned by its sender task."""

    def __init__(self, node_id: int, metrics: _Metrics) -> None:
        self.node_id = node_id
        self.queue: deque[_Queued] = deque()
        self.wakeup = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.address: str | None = None
        self.channel: grpc.aio.Channel | None = None
        self.call: grpc.aio.StreamUnaryCall | None = None
        self.streams_opened = 0
        self.failures = 0  # consecutive failed writes, drives the backoff
        self.backoff_until = 0.0
        peer = str(node_id)
        self.m_messages = metrics.messages_sent.labels(peer)
        self.m_batches = metrics.batches_sent.labels(peer)
        self.m_bytes = metrics.bytes_sent.labels(peer)
        self.m_reconnects = metrics.reconnects.labels(peer)
        self.m_dropped = {r: metrics.dropped.labels(peer, r) for r in ("queue_full", "unreachable", "fault")}

    async def disconnect(self) -> None:
        call, channel = self.call, self.channel
        self.call = self.channel = None
        if call is not None:
            call.cancel()
        if channel is not None:
            await channel.close()


class RaftTransport:
    """Sends Raft messages to peer nodes and delivers received ones to the driver.

    Register the receiving side on the node's gRPC server with :meth:`add_to_server`; that
    server must be built with :func:`grpc_options`.
    """

    def __init__(
        self,
        node_id: int,
        resolver: Resolver,
        on_message: OnMessage,
        *,
        registry: CollectorRegistry,
        on_unreachable: OnUnreachable | None = None,
        on_snapshot: OnSnapshot | None = None,
        on_peer_address: OnPeerAddress | None = None,
        advertise_address: str = "",
        faults: FaultTable | None = None,
        config: TransportConfig = TransportConfig(),
        rng: random.Random | None = None,
    ) -> None:
        if node_id <= 0:
            raise ValueError(f"node ids are positive, got {node_id}")
        self.node_id = node_id
        self.config = config
        self.faults = faults if faults is not None else FaultTable()
        self._resolver = resolver
        self._on_message = on_message
        self._on_unreachable = on_unreachable
        self._on_snapshot = on_snapshot
        self._on_peer_address = on_peer_address
        self.advertise_address = advertise_address  # settable once the server port is known
        self._rng = rng if rng is not None else random.Random()
        self._metrics = _Metrics(registry)
        self._peers: dict[int, _Peer] = {}
        self._closed = False

    # ------------------------------------------------------------------ sending

    def send(self, to_node: int, partition_id: int, msg: Message) -> None:
        """Queue ``msg`` (for replica ``msg.to`` of ``partition_id``) to node ``to_node``."""
        if self._closed:
            raise RuntimeError("RaftTransport is closed")
        if msg.type == MessageType.SNAP:
            raise ValueError("SNAP messages carry data streams: use send_snapshot()")
        if to_node == self.node_id:
            raise ValueError(f"node {to_node} is this node: local messages never use the transport")
        peer = self._peer(to_node)
        loop = asyncio.get_running_loop()
        now = loop.time()
        if now < peer.backoff_until:
            peer.m_dropped["unreachable"].inc()
            self._report(((partition_id, msg.to),))
            return
        fault = self.faults.decide(to_node)
        if fault.drop:
            peer.m_dropped["fault"].inc()
            return
        if len(peer.queue) >= self.config.queue_limit:
            old = peer.queue.popleft()
            peer.m_dropped["queue_full"].inc()
            self._report(((old.partition_id, old.replica_id),))
        peer.queue.append(_Queued(partition_id, msg.to, encode_message(msg), now + fault.delay_s))
        peer.wakeup.set()

    def queued(self, to_node: int) -> int:
        """Messages waiting for ``to_node`` (for tests and the driver's back-pressure)."""
        peer = self._peers.get(to_node)
        return len(peer.queue) if peer else 0

    async def disconnect_peer(self, node_id: int) -> None:
        """Drop the stream to ``node_id`` (e.g. the node left the cluster); reopened on demand.

        A write in flight fails and is handled like any broken stream (reported, backoff)."""
        peer = self._peers.get(node_id)
        if peer is not None:
            await peer.disconnect()

    def _peer(self, node_id: int) -> _Peer:
        peer = self._peers.get(node_id)
        if peer is None:
            peer = self._peers[node_id] = _Peer(node_id, self._metrics)
            peer.task = asyncio.get_running_loop().create_task(
                self._sender(peer), name=f"raft-transport:{self.node_id}->{node_id}"
            )
        return peer

    def _report(self, groups: Iterable[tuple[int, int]]) -> None:
        if self._on_unreachable is None:
            return
        for partition_id, replica_id in dict.fromkeys(groups):  # dedup, keep order
            try:
                self._on_unreachable(partition_id, replica_id)
            except Exception:
                log.exception("on_unreachable(%d, %d) failed", partition_id, replica_id)

    async def _sender(self, peer: _Peer) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await peer.wakeup.wait()
            peer.wakeup.clear()
            while peer.queue:
                wait = peer.queue[0].due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                    continue
                items = self._take_batch(peer, loop.time())
                try:
                    ok = await self._write(peer, items)
                except Exception:
                    # A bug must not leave the peer silently black-holed: log, treat as broken.
                    log.exception("sender to node %d failed", peer.node_id)
                    ok = False
                if not ok:
                    await self._fail(peer, items)

    def _take_batch(self, peer: _Peer, now: float) -> list[_Queued]:
        items: list[_Queued] = []
        size = 0
        q = peer.queue
        while q and q[0].due <= now and (not items or size + len(q[0].data) <= self.config.max_batch_bytes):
            item = q.popleft()
            items.append(item)
            size += len(item.data)
        return items

    async def _write(self, peer: _Peer, items: list[_Queued]) -> bool:
        """Write one batch on the peer's stream, (re)connecting first if needed."""
        address = self._resolver(peer.node_id)
        if address is None:
            log.debug("no address for node %d", peer.node_id)
            return False
        if peer.call is not None and peer.call.done():
            # The peer ended the stream (restart, refusal): what we wrote last may be lost and
            # the peer may refuse again, so this counts as a failure and backs off.
            log.debug("stream to node %d ended: %s", peer.node_id, await peer.call.code())
            return False
        first = False
        if peer.call is None or address != peer.address:
            await peer.disconnect()
            if peer.streams_opened:
                peer.m_reconnects.inc()
            peer.streams_opened += 1
            peer.address = address
            peer.channel = grpc.aio.insecure_channel(address, options=grpc_options(self.config))
            peer.call = pb_grpc.RaftTransportStub(peer.channel).Raft()
            first = True
        batch = pb.RaftBatch(
            from_node=self.node_id,
            to_node=peer.node_id,
            messages=[pb.GroupMessage(partition_id=i.partition_id, message=i.data) for i in items],
            from_address=self.advertise_address if first else "",
        )
        try:
            # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation that
            # races with completion, which would leave close() waiting on this task forever.
            async with asyncio.timeout(self.config.write_timeout_s):
                await peer.call.write(batch)
        except (grpc.RpcError, asyncio.InvalidStateError, asyncio.TimeoutError) as e:
            log.debug("stream to node %d at %s broke: %s", peer.node_id, address, e)
            return False
        peer.failures = 0
        peer.m_batches.inc()
        peer.m_messages.inc(len(items))
        peer.m_bytes.inc(sum(len(i.data) for i in items))
        return True

    async def _fail(self, peer: _Peer, items: list[_Queued]) -> None:
        """Drop the failed batch and the backlog, report them, back off, then reconnect lazily."""
        lost = items + list(peer.queue)
        peer.queue.clear()
        peer.m_dropped["unreachable"].inc(len(lost))
        self._report((i.partition_id, i.replica_id) for i in lost)
        await peer.disconnect()
        peer.failures += 1
        ceiling = min(self.config.backoff_max_s, self.config.backoff_min_s * 2 ** (peer.failures - 1))
        delay = self._rng.uniform(ceiling / 2, ceiling)
        loop = asyncio.get_running_loop()
        peer.backoff_until = loop.time() + delay
        await asyncio.sleep(delay)

    # ------------------------------------------------------------------ snapshots (send)

    async def send_snapshot(
        self,
        to_node: int,
        partition_id: int,
        msg: Message,
        data: Iterable[bytes] | AsyncIterable[bytes],
        *,
        descriptor: pb.PartitionDescriptor | None = None,
        timeout_s: float | None = None,
    ) -> bool:
        """Stream a SNAP message and its data to ``to_node``; True iff the receiver accepted it.

        ``msg.snapshot.data`` is not sent (the data is ``data``). A synchronous iterator is
        consumed on the event loop: pass an async one if producing a chunk blocks for long.
        """
        if msg.type != MessageType.SNAP or msg.snapshot is None:
            raise ValueError(f"send_snapshot needs a SNAP message with a snapshot, got {msg.type.name}")
        peer = str(to_node)
        fault = self.faults.decide(to_node)
        if fault.drop:
            self._metrics.snapshots_sent.labels(peer, "fault").inc()
            return False
        if fault.delay_s:
            await asyncio.sleep(fault.delay_s)
        address = self._resolver(to_node)
        if address is None:
            self._metrics.snapshots_sent.labels(peer, "unreachable").inc()
            return False
        header_msg = dataclasses.replace(msg, snapshot=dataclasses.replace(msg.snapshot, data=b""))
        header = pb.SnapshotHeader(from_node=self.node_id, to_node=to_node, partition_id=partition_id,
                                   message=encode_message(header_msg), descriptor=descriptor)  # fmt: skip
        try:
            async with grpc.aio.insecure_channel(address, options=grpc_options(self.config)) as channel:
                call = pb_grpc.RaftTransportStub(channel).Snapshot(
                    self._chunks(header, data), timeout=timeout_s
                )
                ack: pb.SnapshotAck = await call
        except grpc.RpcError as e:
            log.info("snapshot of partition %d to node %d failed: %s", partition_id, to_node, e)
            self._metrics.snapshots_sent.labels(peer, "error").inc()
            return False
        if not ack.accepted:
            log.info("node %d rejected snapshot of partition %d: %s", to_node, partition_id, ack.message)
        self._metrics.snapshots_sent.labels(peer, "accepted" if ack.accepted else "rejected").inc()
        return ack.accepted

    async def _chunks(
        self, header: pb.SnapshotHeader, data: Iterable[bytes] | AsyncIterable[bytes]
    ) -> AsyncIterator[pb.SnapshotChunk]:
        """Header chunk, then data re-cut into chunks of exactly ``snapshot_chunk_bytes`` (the
        last may be shorter and carries ``last``), whatever sizes the source yields."""
        size = self.config.snapshot_chunk_bytes
        yield pb.SnapshotChunk(header=header)
        buf = bytearray()
        async for piece in _aiter(data):
            buf += piece
            while len(buf) >= size:
                yield pb.SnapshotChunk(data=bytes(buf[:size]))
                del buf[:size]
        yield pb.SnapshotChunk(data=bytes(buf), last=True)

    # ------------------------------------------------------------------ receiving

    def add_to_server(self, server: grpc.aio.Server) -> None:
        pb_grpc.add_RaftTransportServicer_to_server(_Servicer(self), server)

    def _deliver(self, batch: pb.RaftBatch) -> None:
        peer = str(batch.from_node)
        self._metrics.batches_received.labels(peer).inc()
        self._metrics.messages_received.labels(peer).inc(len(batch.messages))
        if batch.from_address and self._on_peer_address is not None:
            try:
                self._on_peer_address(batch.from_node, batch.from_address)
            except Exception:
                log.exception("on_peer_address(%d, %r) failed", batch.from_node, batch.from_address)
        for gm in batch.messages:
            try:
                msg = decode_message(gm.message)
            except CodecError as e:
                self._metrics.receive_errors.labels(peer).inc()
                log.warning("undecodable message from node %d for partition %d: %s",
                            batch.from_node, gm.partition_id, e)  # fmt: skip
                continue
            try:
                self._on_message(batch.from_node, gm.partition_id, msg)
            except Exception:
                # One group's failure must not cut the stream every other group shares.
                self._metrics.receive_errors.labels(peer).inc()
                log.exception("on_message failed for partition %d from node %d", gm.partition_id, batch.from_node)

    async def _receive_snapshot(self, chunks: AsyncIterator[pb.SnapshotChunk]) -> pb.SnapshotAck:
        def reject(why: str) -> pb.SnapshotAck:
            self._metrics.snapshots_received.labels("rejected").inc()
            log.info("rejecting snapshot: %s", why)
            return pb.SnapshotAck(accepted=False, message=why)

        cfg = self.config
        spool_dir = str(cfg.spool_dir) if cfg.spool_dir is not None else None
        with tempfile.SpooledTemporaryFile(max_size=cfg.snapshot_spool_bytes, dir=spool_dir) as spool:
            header: pb.SnapshotHeader | None = None
            size, last = 0, False
            async for chunk in chunks:
                if header is None:
                    if not chunk.HasField("header"):
                        return reject("first snapshot chunk has no header")
                    header = chunk.header
                    if header.to_node != self.node_id:
                        return reject(f"snapshot for node {header.to_node} reached node {self.node_id}")
                elif chunk.HasField("header") or last:
                    return reject("malformed snapshot stream (second header or data after the last chunk)")
                if chunk.data:
                    # Off the loop: beyond snapshot_spool_bytes this is a disk write.
                    await asyncio.to_thread(spool.write, chunk.data)
                    size += len(chunk.data)
                last = last or chunk.last
            if header is None or not last:
                return reject("snapshot stream ended before its last chunk")
            try:
                msg = decode_message(header.message)
            except CodecError as e:
                return reject(f"undecodable snapshot message: {e}")
            if msg.type != MessageType.SNAP or msg.snapshot is None:
                return reject(f"snapshot header carries a {msg.type.name} message")
            if self._on_snapshot is None:
                return reject(f"node {self.node_id} does not accept snapshots")
            spool.seek(0)
            received = ReceivedSnapshot(
                from_node=header.from_node,
                partition_id=header.partition_id,
                message=msg,
                descriptor=header.descriptor if header.HasField("descriptor") else None,
                data=spool,  # type: ignore[arg-type]  # SpooledTemporaryFile is a binary IO
                size=size,
            )
            try:
                await self._on_snapshot(received)
            except Exception as e:
                log.exception("on_snapshot failed for partition %d", header.partition_id)
                return reject(f"{type(e).__name__}: {e}")
        self._metrics.snapshots_received.labels("accepted").inc()
        return pb.SnapshotAck(accepted=True)

    # ------------------------------------------------------------------ lifecycle

    async def close(self) -> None:
        """Stop every sender task and close every peer stream. Queued messages are discarded."""
        self._closed = True
        peers, self._peers = list(self._peers.values()), {}
        tasks = [peer.task for peer in peers if peer.task is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)  # unlike awaiting each, never swallows our own cancellation
        for peer in peers:
            await peer.disconnect()


class _Servicer(pb_grpc.RaftTransportServicer):
    def __init__(self, transport: RaftTransport) -> None:
        self._t = transport

    async def Raft(  # noqa: N802 (gRPC method name)
        self, request_iterator: AsyncIterator[pb.RaftBatch], context: grpc.aio.ServicerContext
    ) -> pb.RaftAck:
        node_id = self._t.node_id
        async for batch in request_iterator:
            if batch.to_node != node_id:
                await context.abort(grpc.StatusCode.FAILED_PRECONDITION,
                                    f"batch for node {batch.to_node} reached node {node_id}")  # fmt: skip
            self._t._deliver(batch)
        return pb.RaftAck()

    async def Snapshot(  # noqa: N802
        self, request_iterator: AsyncIterator[pb.SnapshotChunk], context: grpc.aio.ServicerContext
    ) -> pb.SnapshotAck:
        return await self._t._receive_snapshot(request_iterator)


async def _aiter(data: Iterable[bytes] | AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    if isinstance(data, AsyncIterable):
        async for piece in data:
            yield piece
    else:
        for piece in data:
            yield piece
