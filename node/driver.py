"""NodeDriver: ONE asyncio loop driving every Raft group (partition replica) of a node.

Rules (design §4; the Ready contract of kuradb/raft/rawnode.py, for all groups at once):

1. Single owner. Every RawNode, state machine and the RaftLogDB are touched only by the loop
   task, in its *step phase*: incoming Raft messages, proposals, reads, admin actions and
   transport reports are queued (``_actions``) by whoever produces them and run at the start of
   an iteration. Nothing steps a core between its ``ready()`` and ``advance()``, in particular
   not while the loop awaits the fsync.
2. One iteration = step phase (queued actions, then each replica's queued writes proposed as
   one batch, then ticks) -> collect the Ready of every group with ``has_ready()`` -> stage
   ALL their snapshots, entries and hard states in ONE
   :class:`~kuradb.node.raft_storage.LogWriteBatch` -> write it (``sync=True`` if any Ready
   needs it, then in a thread executor; an unsynced write runs inline) and publish -> send
   every message -> apply committed entries -> ``advance`` -> compact logs that grew past the
   threshold.
3. Group commit: the fsync runs off the loop, so proposals and messages arriving meanwhile
   queue up and ride in the NEXT batch — one fsync per iteration, however many groups and
   proposals it carries. Nothing is sent before the batch that justifies it is durable.
4. Apply writes the data LevelDB with ``sync=False``. This is safe: the Raft log (fsync'd) is
   the durable record, and each apply writes the data together with its applied index in one
   batch, so after kill -9 the log is replayed from its snapshot and entries at or below the
   stored applied index are skipped (node/partition.py, node/replica.py). The only writes that
   must be durable are forced explicitly: before log compaction (compacted entries cannot be
   replayed), snapshot installs (they must precede the log's record of the snapshot), splits
   and replica creation/deletion (catalog changes that span both LevelDBs).
5. Raft node ids are replica ids (globally unique, never reused). A message to replica R goes
   to the node hosting R, found in the group's descriptor or learned from R's own messages;
   the transport turns node ids into addresses through the driver's :class:`AddressBook`.
6. SNAP messages are not sent as messages: the driver streams a LevelDB snapshot of the
   partition's range with ``transport.send_snapshot`` and reports the outcome to the core
   (``report_snapshot``) in a later step phase. A received snapshot is installed (one synced
   data batch) and then stepped, in one step-phase action.
7. The set of hosted replicas is the catalog in the data LevelDB (node/descriptor.py); a
   restarted driver reloads every replica from it, and each group replays its log.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import msgpack

from kuradb.proto import coordinator_pb2 as cpb
from kuradb.node.descriptor import AddressBook, Catalog, HostedReplica, PartitionDescriptor, ReplicaInfo
from kuradb.node.engine import Engine, WriteBatch
from kuradb.node.faults import FaultTable
from kuradb.node.metrics import NodeMetrics
from kuradb.node.raft_storage import RaftLogDB
from kuradb.node.replica import PartitionReplica, ReplicaConfig, SnapshotImage, Unavailable
from kuradb.node.transport import RaftTransport, ReceivedSnapshot, TransportConfig
from kuradb.raft.errors import RaftError
from kuradb.raft.rawnode import Ready
from kuradb.raft.types import Message, MessageType

log = logging.getLogger(__name__)

T = TypeVar("T")

SNAPSHOT_PIECE_BYTES = 256 << 10


@dataclass(frozen=True, slots=True)
class DriverConfig:
    node_id: int
    az: str = ""
    address: str = ""  # advertised gRPC address of this node
    tick_ms: int = 100
    election_ticks: int = 10
    heartbeat_ticks: int = 1
    compact_after: int = 10_000
    max_pending: int = 4096

    def replica_config(self) -> ReplicaConfig:
        return ReplicaConfig(
            election_ticks=self.election_ticks,
            heartbeat_ticks=self.heartbeat_ticks,
            compact_after=self.compact_after,
            max_pending=self.max_pending,
        )


class NodeDriver:
    """Hosts the replicas of one node and runs them (module rules). Start with :meth:`start`
    inside a running event loop, stop with :meth:`stop`."""

    def __init__(
        self,
        config: DriverConfig,
        engine: Engine,
        logdb: RaftLogDB,
        metrics: NodeMetrics,
        *,
        faults: FaultTable | None = None,
        transport_config: TransportConfig = TransportConfig(),
    ) -> None:
        self.config = config
        self.engine = engine
        self.logdb = logdb
        self.metrics = metrics
        self.addresses = AddressBook()
        if config.address:
            self.addresses.set(config.node_id, config.address)
        self.replicas: dict[int, PartitionReplica] = {}
        self._replica_nodes: dict[int, int] = {}  # replica id -> node id learned from traffic
        self._actions: collections.deque[Callable[[], None]] = collections.deque()
        self._wake = asyncio.Event()
        self._ticks = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._snapshot_tasks: set[asyncio.Task[None]] = set()
        self._running = False
        self.transport = RaftTransport(
            config.node_id,
            self.addresses.get,
            self._on_message,
            registry=metrics.registry,
            on_unreachable=self._on_unreachable,
            on_snapshot=self._on_snapshot,
            on_peer_address=self.addresses.set,
            advertise_address=config.address,
            faults=faults,
            config=transport_config,
        )

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Reload every hosted replica from the catalog and start the loop and the ticker."""
        for rec in Catalog(self.engine).load():
            self._add_replica(rec)
        self._running = True
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._run(), name=f"node-{self.config.node_id}-driver"),
            loop.create_task(self._ticker(), name=f"node-{self.config.node_id}-ticker"),
        ]

    async def stop(self) -> None:
        """Stop driving; pending requests fail with NOT_LEADER. Does not close the databases."""
        self._running = False
        for t in [*self._tasks, *self._snapshot_tasks]:
            t.cancel()
        for t in [*self._tasks, *self._snapshot_tasks]:
            try:
                await t
            except (asyncio.CancelledError, Exception):  # noqa: PERF203 - shutdown path
                pass
        self._tasks.clear()
        for r in self.replicas.values():
            r.fail_all("node stopping")
        await self.transport.close()

    def _add_replica(self, rec: HostedReplica) -> PartitionReplica:
        r = PartitionReplica(rec, self.engine, self.logdb, self, self.config.replica_config())
        self.replicas[rec.descriptor.partition_id] = r
        self._learn(rec.descriptor)
        self.metrics.partitions.set(len(self.replicas))
        return r

    def _learn(self, d: PartitionDescriptor) -> None:
        for rep in d.replicas:
            self._replica_nodes[rep.replica_id] = rep.node_id

    # ------------------------------------------------------------------ ReplicaHost

    def create_split_child(self, child: HostedReplica, campaign: bool) -> None:
        """Called by a parent replica applying a split (its catalog batch is already durable).
        ``campaign``: the parent's leader makes its child campaign at once, so the child half
        is writable without waiting for an election timeout."""
        if child.descriptor.partition_id not in self.replicas:
            r = self._add_replica(child)
            if campaign:
                r.raw.campaign()
            self._wake.set()

    # ------------------------------------------------------------------ queued work

    def _enqueue(self, action: Callable[[], None]) -> None:
        self._actions.append(action)
        self._wake.set()

    def submit(self, fn: Callable[[asyncio.Future[T]], None]) -> asyncio.Future[T]:
        """Run ``fn(future)`` in the next step phase and return the future at once; ``fn`` may
        resolve it later (e.g. when an entry applies). An exception raised by ``fn`` fails it.
        Callers with a deadline await ``asyncio.shield(future)`` so a timeout does not cancel
        the future the replica still tracks."""
        fut: asyncio.Future[T] = asyncio.get_running_loop().create_future()

        def action() -> None:
            try:
                fn(fut)
            except Exception as e:  # the caller gets it, e.g. Unavailable("NOT_LEADER")
                if not fut.done():
                    fut.set_exception(e)

        self._enqueue(action)
        return fut

    def call(self, fn: Callable[[], T]) -> asyncio.Future[T]:
        """Run a synchronous ``fn`` in the next step phase; the future gets its result."""
        return self.submit(lambda fut: fut.set_result(fn()))

    def _on_message(self, from_node: int, partition_id: int, msg: Message) -> None:
        self._replica_nodes[msg.frm] = from_node

        def step() -> None:
            r = self.replicas.get(partition_id)
            if r is None:
                return  # not (or no longer) hosted here: Raft tolerates the loss
            try:
                r.step(msg)
            except RaftError as e:
                # A message the core refuses (e.g. from a stale peer) must not stop the node.
                log.warning("partition %d: dropped %s from replica %d: %r", partition_id, msg.type.name, msg.frm, e)

        self._enqueue(step)

    def _on_unreachable(self, partition_id: int, replica_id: int) -> None:
        def report() -> None:
            r = self.replicas.get(partition_id)
            if r is not None:
                r.raw.report_unreachable(replica_id)

        self._enqueue(report)

    # ------------------------------------------------------------------ the loop

    async def _ticker(self) -> None:
        interval = self.config.tick_ms / 1000.0
        loop = asyncio.get_running_loop()
        next_at = loop.time() + interval
        while True:
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            next_at += interval
            self._ticks += 1
            self._wake.set()

    async def _run(self) -> None:
        while self._running:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._iteration()
            except asyncio.CancelledError:
                raise
            except Exception:
                # A failed log write leaves the disk state unknown: stop rather than guess.
                log.exception("node %d: driver iteration failed; stopping the driver", self.config.node_id)
                self._running = False
                for r in self.replicas.values():
                    r.fail_all("driver failed")
                raise

    async def _iteration(self) -> None:
        # -- step phase
        # Messages first, then ticks: a heartbeat response that arrived during a slow iteration
        # must count before check-quorum looks at the elapsed ticks.
        while self._actions:
            self._actions.popleft()()
        # Writes queued by this step phase's actions enter each core as ONE proposal, so the
        # leader sends one APP per follower for all of them (and gets one APP_RESP back)
        # instead of one per write: the per-message cost was the bulk of the CPU under load.
        for r in self.replicas.values():
            r.flush_proposals()
        ticks, self._ticks = self._ticks, 0
        for _ in range(ticks):
            for r in self.replicas.values():
                r.raw.tick()
        # -- collect and persist (group commit)
        readies = [(r, r.raw.ready()) for r in list(self.replicas.values()) if r.raw.has_ready()]
        if not readies:
            return
        await self._persist(readies)
        # -- send
        for r, rd in readies:
            self._send(r, rd.messages)
        # -- apply, advance, compact
        leader_changed = False
        for r, rd in readies:
            if r.on_soft_state(rd):
                leader_changed = True
                self.metrics.leader_changes.inc()
            r.apply(rd)
            r.raw.advance(rd)
            if not r.destroyed:
                r.maybe_compact()
        if leader_changed:
            self.metrics.leaders.set(sum(1 for r in self.replicas.values() if r.is_leader))
        if any(r.raw.has_ready() for r in self.replicas.values()):
            self._wake.set()

    async def _persist(self, readies: list[tuple[PartitionReplica, Ready]]) -> None:
        batch = self.logdb.begin()
        sync = False
        entries = 0
        try:
            for r, rd in readies:
                pid = r.partition_id
                if rd.snapshot is not None and not rd.snapshot.is_empty():
                    batch.apply_snapshot(pid, rd.snapshot.metadata)
                    sync = True
                batch.append(pid, rd.entries)
                entries += len(rd.entries)
                if rd.hard_state is not None:
                    batch.set_hard_state(pid, rd.hard_state)
                sync = sync or rd.must_sync
            if len(batch) == 0:
                batch.discard()
                return
            if sync:
                t0 = time.perf_counter()
                await asyncio.get_running_loop().run_in_executor(None, batch.write, sync)
                self.metrics.sync_seconds.observe(time.perf_counter() - t0)
            else:
                # Nothing to fsync (e.g. only a new commit index): a LevelDB write without sync
                # is a memtable insert, cheaper than the thread hop and loop wake-up it would
                # cost to run it in the executor. Same write, same order (rule 2).
                batch.write(sync=False)
            batch.publish()
        finally:
            batch.discard()
        if entries:
            self.metrics.batch_entries.observe(entries)

    def _node_of(self, r: PartitionReplica, replica_id: int) -> int | None:
        rep = r.descriptor.replica(replica_id)
        return rep.node_id if rep is not None else self._replica_nodes.get(replica_id)

    def _send(self, r: PartitionReplica, messages: list[Message]) -> None:
        for m in messages:
            node = self._node_of(r, m.to)
            if node is None or node == self.config.node_id:
                log.debug("partition %d: no node known for replica %d; dropping %s", r.partition_id, m.to, m.type.name)
                continue
            if m.type == MessageType.SNAP:
                self._start_snapshot(r, node, m)
            else:
                self.transport.send(node, r.partition_id, m)

    # ------------------------------------------------------------------ snapshots

    def _start_snapshot(self, r: PartitionReplica, node: int, m: Message) -> None:
        image, handle = r.snapshot_image()
        task = asyncio.get_running_loop().create_task(self._stream_snapshot(r, node, m, image, handle))
        self._snapshot_tasks.add(task)
        task.add_done_callback(self._snapshot_tasks.discard)

    async def _stream_snapshot(self, r: PartitionReplica, node: int, m: Message, image: SnapshotImage, handle: Any) -> None:
        ok = False
        try:
            ok = await self.transport.send_snapshot(
                node, r.partition_id, m, _image_pieces(image), descriptor=image.descriptor.to_pb()
            )
        except Exception:
            log.exception("partition %d: sending a snapshot to replica %d failed", r.partition_id, m.to)
        finally:
            handle.close()

        def report() -> None:
            if self.replicas.get(r.partition_id) is r:
                r.raw.report_snapshot(m.to, not ok)

        self._enqueue(report)

    async def _on_snapshot(self, snap: ReceivedSnapshot) -> None:
        data = await asyncio.to_thread(snap.data.read)
        raft_applied, pairs = _parse_image(data)

        def install(fut: asyncio.Future[None]) -> None:
            r = self.replicas.get(snap.partition_id)
            if r is None:
                raise Unavailable("PARTITION_NOT_FOUND", f"no replica of partition {snap.partition_id} here")
            self._replica_nodes[snap.message.frm] = snap.from_node
            desc = PartitionDescriptor.from_pb(snap.descriptor) if snap.descriptor is not None else r.descriptor
            r.install_snapshot(raft_applied, desc, pairs)
            self._learn(desc)
            r.step(snap.message)
            fut.set_result(None)

        await self.submit(install)

    # ------------------------------------------------------------------ admin (step-phase actions)

    def create_replica(self, descriptor: PartitionDescriptor, replica_id: int, initial_member: bool) -> None:
        """Host a replica (runs in the step phase). Idempotent for the same replica id."""
        pid = descriptor.partition_id
        existing = self.replicas.get(pid)
        if existing is not None:
            if existing.record.replica_id != replica_id:
                raise ValueError(f"partition {pid} already has replica {existing.record.replica_id} on this node")
            return
        me = descriptor.replica(replica_id)
        if me is None or me.node_id != self.config.node_id:
            raise ValueError(f"replica {replica_id} of partition {pid} is not listed for node {self.config.node_id}")
        group = self.logdb.group(pid)
        if group.last_index() != 0 or not group.hard_state.is_empty():
            # A leftover group (deleted replica, crash before the catalog write): start clean.
            self.logdb.destroy(pid)
        if initial_member:
            self.logdb.bootstrap(pid, descriptor.initial_conf_state())
        rec = HostedReplica(descriptor, replica_id, applied_at=0, initial_member=initial_member)
        batch = WriteBatch()
        Catalog.put(batch, rec)
        self.engine.write(batch, sync=True)
        r = self._add_replica(rec)
        if initial_member and replica_id == min(descriptor.voters(), default=0):
            r.raw.campaign()  # speeds up the first election; safe (pre-vote) if peers lag

    def delete_replica(self, partition_id: int) -> None:
        r = self.replicas.pop(partition_id, None)
        if r is None:
            raise Unavailable("PARTITION_NOT_FOUND", f"no replica of partition {partition_id} here")
        r.destroy()
        self.metrics.partitions.set(len(self.replicas))
        self.metrics.leaders.set(sum(1 for x in self.replicas.values() if x.is_leader))

    def leader_of(self, r: PartitionReplica) -> tuple[int, str]:
        """(node id, address) of the replica's known leader, or (0, "") during an election."""
        info = r.leader_info()
        if info is None:
            return 0, ""
        return info.node_id, self.addresses.get(info.node_id) or ""

    def partition_reports(self) -> list[cpb.PartitionReport]:
        """One report per hosted replica for the coordinator's heartbeat. Call it through
        :meth:`call` so it runs in the step phase and sees a consistent state."""
        out = []
        for r in self.replicas.values():
            st = r.sm.stats()
            out.append(cpb.PartitionReport(
                descriptor=r.descriptor.to_pb(), replica_id=r.record.replica_id, is_leader=r.is_leader,
                term=r.raw.term, applied_index=r.applied, bytes=st.bytes, keys=st.keys,
            ))  # fmt: skip
        return out

    def known(self, infos: list[ReplicaInfo]) -> None:
        for i in infos:
            self._replica_nodes[i.replica_id] = i.node_id


def _image_pieces(image: SnapshotImage) -> Iterator[bytes]:
    """The snapshot data: msgpack stream of the raft-applied index, then ``[key, value]`` pairs,
    cut into pieces for the transport."""
    packer = msgpack.Packer(use_bin_type=True)
    buf = bytearray(packer.pack(image.raft_applied))
    for k, v in image.pairs:
        buf += packer.pack([k, v])
        if len(buf) >= SNAPSHOT_PIECE_BYTES:
            yield bytes(buf)
            buf.clear()
    yield bytes(buf)


def _parse_image(data: bytes) -> tuple[int, list[tuple[bytes, bytes]]]:
    unpacker = msgpack.Unpacker(raw=False, max_buffer_size=max(len(data), 1 << 20))
    unpacker.feed(data)
    it = iter(unpacker)
    try:
        raft_applied = int(next(it))
    except StopIteration:
        raise ValueError("empty snapshot data") from None
    pairs = [(bytes(k), bytes(v)) for k, v in it]
    return raft_applied, pairs
