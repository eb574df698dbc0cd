"""One Raft group (1 or 3 members) hosting a pluggable state machine: the coordinator's log.

It uses the same pieces as a storage node — the pure core (kuradb.raft RawNode), the
group-committed log LevelDB (node/raft_storage.py RaftLogDB) and the one-stream-per-peer gRPC
transport (node/transport.py RaftTransport) — but not the node's driver: NodeDriver is written
around PartitionReplica (data engine, catalog, descriptors), so this is a small single-group
loop following the same Ready contract. Unifying the two behind a "group + state machine"
interface is noted in the coordinator's report.

Rules:

1. Single owner: the RawNode and the state machine are touched only by the loop task. Ticks,
   received messages, proposals and reads are queued as actions and run at the start of an
   iteration, never between ``ready()`` and ``advance()``.
2. One iteration: actions -> ``ready()`` -> persist snapshot/entries/hard state in ONE
   RaftLogDB batch (fsync'd off the loop when ``must_sync``) -> send -> apply -> ``advance``.
3. Apply is idempotent by index: the state machine's image is saved (fsync + rename) together
   with the index it reflects; entries at or below it are skipped on replay. Compaction saves
   the image first, then compacts the log to that index, so the log never loses an entry the
   saved image does not contain.
4. A proposal carries a random 16-byte id; when its entry is applied on this member, the
   future of that id gets the state machine's result. Losing leadership fails every pending
   proposal with :class:`NotLeader` — the entry MAY still commit (the caller cannot know), so
   callers retry only idempotent commands or re-check the state.
5. Linearizable reads: :meth:`read_barrier` uses ReadIndex; the read may run once this member
   has applied the returned index.
6. Snapshots to a lagging follower stream the state machine's current image (applied index A
   >= the SNAP's metadata index); the receiver saves and restores it, then steps the SNAP.
   Entries in (metadata index, A] re-delivered later are skipped by rule 3.
7. Raft ids are the members' ids; the transport's node ids are the same ids, and its
   ``partition_id`` field carries the group id.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import grpc
import msgpack
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from kuradb.node.raft_storage import RaftLogDB
from kuradb.node.transport import RaftTransport, ReceivedSnapshot, TransportConfig
from kuradb.raft.confchange import decode_conf_change
from kuradb.raft.config import Config
from kuradb.raft.errors import ProposalDropped, StepLocalMessage, StepPeerNotFound
from kuradb.raft.rawnode import RawNode, Ready
from kuradb.raft.types import ConfState, EntryType, Message, MessageType, StateType

__all__ = ["NotLeader", "RaftHost", "RaftHostConfig", "StateMachine"]

log = logging.getLogger(__name__)

SNAPSHOT_FILE = "state.snap"
LOG_DIR = "raft"


class StateMachine(Protocol):
    """What the host replicates. ``apply`` must be deterministic (same inputs, same state)."""

    def apply(self, data: bytes) -> Any: ...

    def snapshot(self) -> bytes: ...

    def restore(self, data: bytes) -> None: ...


class NotLeader(Exception):
    """This member cannot serve: ``leader_id``/``leader_address`` name the leader when known."""

    def __init__(self, leader_id: int, leader_address: str) -> None:
        super().__init__(f"not the coordinator leader (leader: {leader_address or 'unknown'})")
        self.leader_id = leader_id
        self.leader_address = leader_address


@dataclass(frozen=True, slots=True)
class RaftHostConfig:
    member_id: int
    members: Mapping[int, str]  # every member's id -> gRPC address, this one included
    data_dir: Path
    group_id: int = 1
    tick_ms: int = 100
    election_ticks: int = 10
    heartbeat_ticks: int = 1
    snapshot_every: int = 1000  # applied entries between image saves (then log compaction)

    def __post_init__(self) -> None:
        if self.member_id not in self.members:
            raise ValueError(f"member {self.member_id} is not in the member list {sorted(self.members)}")


@dataclass
class _Metrics:
    registry: CollectorRegistry
    proposals: Counter = field(init=False)
    commit_seconds: Histogram = field(init=False)
    leader_changes: Counter = field(init=False)
    is_leader: Gauge = field(init=False)
    applied: Gauge = field(init=False)

    def __post_init__(self) -> None:
        r = self.registry
        self.proposals = Counter("kuradb_coordinator_raft_proposals", "Commands proposed by this member", registry=r)
        self.commit_seconds = Histogram("kuradb_coordinator_raft_commit_seconds", "Proposal to apply latency", registry=r)
        self.leader_changes = Counter("kuradb_coordinator_raft_leader_changes", "Leader changes seen", registry=r)
        self.is_leader = Gauge("kuradb_coordinator_raft_is_leader", "1 if this member leads the group", registry=r)
        self.applied = Gauge("kuradb_coordinator_raft_applied_index", "Last applied log index", registry=r)


def _save_image(path: Path, index: int, image: bytes) -> None:
    """Atomically replace the saved image (write, fsync, rename, fsync the directory)."""
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        f.write(msgpack.packb([index, image], use_bin_type=True))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _load_image(path: Path) -> tuple[int, bytes] | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    index, image = msgpack.unpackb(data, raw=False)
    return int(index), bytes(image)


class RaftHost:
    """Runs one member of the group. ``await start()`` inside the event loop, ``await stop()``."""

    def __init__(
        self,
        config: RaftHostConfig,
        machine: StateMachine,
        *,
        registry: CollectorRegistry | None = None,
        transport_config: TransportConfig = TransportConfig(),
    ) -> None:
        self.config = config
        self.machine = machine
        self.metrics = _Metrics(registry if registry is not None else CollectorRegistry())
        self.transport_config = transport_config
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        self._image_path = config.data_dir / SNAPSHOT_FILE
        self.logdb = RaftLogDB(config.data_dir / LOG_DIR)
        self.applied = 0
        self._image_index = 0
        self._conf_state = ConfState(voters=tuple(sorted(config.members)))
        self._actions: collections.deque[Callable[[], None]] = collections.deque()
        self._wake = asyncio.Event()
        self._ticks = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._snapshot_tasks: set[asyncio.Task[None]] = set()
        self._pending: dict[bytes, tuple[asyncio.Future[Any], float]] = {}
        self._reads: dict[bytes, asyncio.Future[None]] = {}
        self._read_waits: list[tuple[int, asyncio.Future[None]]] = []
        self._leader = 0
        self._role = StateType.FOLLOWER
        self._listeners: list[Callable[[], None]] = []
        self._running = False
        self.transport = RaftTransport(
            config.member_id,
            config.members.get,
            self._on_message,
            registry=self.metrics.registry,
            on_unreachable=self._on_unreachable,
            on_snapshot=self._on_snapshot,
            advertise_address=config.members[config.member_id],
            config=transport_config,
        )
        self.raw = self._open()

    # ------------------------------------------------------------------ recovery

    def _open(self) -> RawNode:
        gid = self.config.group_id
        saved = _load_image(self._image_path)
        if saved is not None:
            self._image_index, image = saved
            self.machine.restore(image)
            self.applied = self._image_index
        group = self.logdb.group(gid)
        hs, cs = group.initial_state()
        if hs.is_empty() and group.last_index() == 0:
            # A brand-new member: every member bootstraps the same initial configuration.
            group = self.logdb.bootstrap(gid, self._conf_state)
        else:
            self._conf_state = cs
        cfg = Config(
            id=self.config.member_id,
            election_tick=self.config.election_ticks,
            heartbeat_tick=self.config.heartbeat_ticks,
            check_quorum=True,
            pre_vote=True,
        )
        return RawNode(cfg, group)

    # ------------------------------------------------------------------ lifecycle

    def add_to_server(self, server: grpc.aio.Server) -> None:
        """Serve the Raft transport on the member's gRPC server."""
        self.transport.add_to_server(server)

    async def start(self) -> None:
        self._running = True
        loop = asyncio.get_running_loop()
        if len(self.config.members) == 1:
            self._enqueue(self.raw.campaign)  # a single member need not wait an election timeout
        self._tasks = [
            loop.create_task(self._run(), name=f"coordinator-{self.config.member_id}-raft"),
            loop.create_task(self._ticker(), name=f"coordinator-{self.config.member_id}-ticker"),
        ]

    async def stop(self) -> None:
        self._running = False
        for t in [*self._tasks, *self._snapshot_tasks]:
            t.cancel()
        for t in [*self._tasks, *self._snapshot_tasks]:
            try:
                await t
            except (asyncio.CancelledError, Exception):  # noqa: PERF203 - shutdown path
                pass
        self._tasks.clear()
        self._fail_all(NotLeader(0, ""))
        await self.transport.close()
        self.logdb.close()

    # ------------------------------------------------------------------ observation

    @property
    def is_leader(self) -> bool:
        return self._role == StateType.LEADER

    @property
    def leader_id(self) -> int:
        return self._leader

    def leader_address(self) -> str:
        return self.config.members.get(self._leader, "") if self._leader else ""

    def not_leader(self) -> NotLeader:
        return NotLeader(self._leader, self.leader_address())

    def add_listener(self, fn: Callable[[], None]) -> None:
        """``fn()`` runs on the loop after every iteration that applied entries or a snapshot,
        and on every leadership change (watchers re-check what they watch)."""
        self._listeners.append(fn)

    # ------------------------------------------------------------------ requests

    async def propose(self, data: bytes, timeout: float = 5.0) -> Any:
        """Replicate ``data`` and return what the state machine's ``apply`` returned for it.

        Raises NotLeader when this member is not (or stops being) the leader, TimeoutError when
        the entry was not applied in time (it may still be, later)."""
        if not self.is_leader:
            raise self.not_leader()
        pid = secrets.token_bytes(16)
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[pid] = (fut, time.perf_counter())
        entry = msgpack.packb([pid, data], use_bin_type=True)

        def action() -> None:
            if not self.is_leader:
                self._fail(pid, self.not_leader())
                return
            try:
                self.raw.propose(entry)
                self.metrics.proposals.inc()
            except ProposalDropped:
                self._fail(pid, self.not_leader())

        self._enqueue(action)
        try:
            return await asyncio.wait_for(asyncio.shield(fut), timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(f"coordinator command not applied within {timeout} s") from None
        finally:
            self._pending.pop(pid, None)

    async def read_barrier(self, timeout: float = 5.0) -> None:
        """Return once this member's state reflects every command committed before the call
        (ReadIndex): then reading the state machine is linearizable. Leader only."""
        if not self.is_leader:
            raise self.not_leader()
        ctx = secrets.token_bytes(16)
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._reads[ctx] = fut
        self._enqueue(lambda: self.raw.read_index(ctx))
        try:
            await asyncio.wait_for(asyncio.shield(fut), timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(f"coordinator read not confirmed within {timeout} s") from None
        finally:
            self._reads.pop(ctx, None)

    def _fail(self, pid: bytes, err: Exception) -> None:
        item = self._pending.pop(pid, None)
        if item is not None and not item[0].done():
            item[0].set_exception(err)

    def _fail_all(self, err: Exception) -> None:
        for fut, _ in self._pending.values():
            if not fut.done():
                fut.set_exception(err)
        self._pending.clear()
        for rf in self._reads.values():
            if not rf.done():
                rf.set_exception(err)
        self._reads.clear()
        for _, rf in self._read_waits:
            if not rf.done():
                rf.set_exception(err)
        self._read_waits.clear()

    # ------------------------------------------------------------------ inputs

    def _enqueue(self, action: Callable[[], None]) -> None:
        self._actions.append(action)
        self._wake.set()

    def _on_message(self, from_node: int, group_id: int, msg: Message) -> None:
        if group_id != self.config.group_id:
            return

        def step() -> None:
            try:
                self.raw.step(msg)
            except (StepLocalMessage, StepPeerNotFound):
                pass

        self._enqueue(step)

    def _on_unreachable(self, group_id: int, member_id: int) -> None:
        self._enqueue(lambda: self.raw.report_unreachable(member_id))

    async def _on_snapshot(self, snap: ReceivedSnapshot) -> None:
        data = await asyncio.to_thread(snap.data.read)
        index, image = msgpack.unpackb(data, raw=False)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def install() -> None:
            try:
                if index > self.applied:
                    _save_image(self._image_path, index, image)
                    self.machine.restore(image)
                    self.applied = self._image_index = index
                    self._notify()
                self.raw.step(snap.message)
                done.set_result(None)
            except Exception as e:
                done.set_exception(e)

        self._enqueue(install)
        await done

    async def _ticker(self) -> None:
        interval = self.config.tick_ms / 1000.0
        loop = asyncio.get_running_loop()
        next_at = loop.time() + interval
        while True:
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            next_at += interval
            self._ticks += 1
            self._wake.set()

    # ------------------------------------------------------------------ the loop

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
                log.exception("coordinator %d: raft iteration failed; stopping", self.config.member_id)
                self._running = False
                self._role, self._leader = StateType.FOLLOWER, 0
                self._fail_all(NotLeader(0, ""))
                raise

    async def _iteration(self) -> None:
        ticks, self._ticks = self._ticks, 0
        for _ in range(ticks):
            self.raw.tick()
        while self._actions:
            self._actions.popleft()()
        if not self.raw.has_ready():
            return
        rd = self.raw.ready()
        await self._persist(rd)
        self._send(rd.messages)
        changed = self._on_soft_state(rd)
        applied_any = self._apply(rd)
        self.raw.advance(rd)
        self._answer_reads(rd)
        if applied_any:
            self._maybe_compact()
        if changed or applied_any:
            self._notify()
        if self.raw.has_ready():
            self._wake.set()

    async def _persist(self, rd: Ready) -> None:
        gid = self.config.group_id
        batch = self.logdb.begin()
        try:
            sync = rd.must_sync
            if rd.snapshot is not None and not rd.snapshot.is_empty():
                batch.apply_snapshot(gid, rd.snapshot.metadata)
                sync = True
            batch.append(gid, rd.entries)
            if rd.hard_state is not None:
                batch.set_hard_state(gid, rd.hard_state)
            if len(batch) == 0:
                return
            await asyncio.get_running_loop().run_in_executor(None, batch.write, sync)
            batch.publish()
        finally:
            batch.discard()

    def _send(self, messages: list[Message]) -> None:
        for m in messages:
            if m.to == self.config.member_id or m.to not in self.config.members:
                continue
            if m.type == MessageType.SNAP:
                task = asyncio.get_running_loop().create_task(self._stream_snapshot(m))
                self._snapshot_tasks.add(task)
                task.add_done_callback(self._snapshot_tasks.discard)
            else:
                self.transport.send(m.to, self.config.group_id, m)

    async def _stream_snapshot(self, m: Message) -> None:
        image = msgpack.packb([self.applied, self.machine.snapshot()], use_bin_type=True)
        ok = False
        try:
            ok = await self.transport.send_snapshot(m.to, self.config.group_id, m, [image])
        except Exception:
            log.exception("coordinator: sending a snapshot to member %d failed", m.to)
        self._enqueue(lambda: self.raw.report_snapshot(m.to, not ok))

    def _on_soft_state(self, rd: Ready) -> bool:
        if rd.soft_state is None:
            return False
        was_leader = self.is_leader
        old_leader = self._leader
        self._leader, self._role = rd.soft_state.leader, rd.soft_state.state
        self.metrics.is_leader.set(1 if self.is_leader else 0)
        if self._leader != old_leader:
            self.metrics.leader_changes.inc()
        if was_leader and not self.is_leader:
            self._fail_all(self.not_leader())
        return self._leader != old_leader or was_leader != self.is_leader

    def _apply(self, rd: Ready) -> bool:
        applied_any = False
        for e in rd.committed_entries:
            if e.index <= self.applied:
                continue  # already reflected in the saved image (rule 3)
            if e.type == EntryType.CONF_CHANGE:
                self._conf_state = self.raw.apply_conf_change(decode_conf_change(e.data))
            elif e.data:
                pid, data = msgpack.unpackb(e.data, raw=False)
                result = self.machine.apply(data)
                item = self._pending.pop(pid, None)
                if item is not None and not item[0].done():
                    item[0].set_result(result)
                    self.metrics.commit_seconds.observe(time.perf_counter() - item[1])
            self.applied = e.index
            applied_any = True
        if applied_any:
            self.metrics.applied.set(self.applied)
        return applied_any

    def _answer_reads(self, rd: Ready) -> None:
        for rs in rd.read_states:
            fut = self._reads.pop(rs.request_ctx, None)
            if fut is not None:
                self._read_waits.append((rs.index, fut))
        still: list[tuple[int, asyncio.Future[None]]] = []
        for index, fut in self._read_waits:
            if fut.done():
                continue
            if index <= self.applied:
                fut.set_result(None)
            else:
                still.append((index, fut))
        self._read_waits = still

    def _maybe_compact(self) -> None:
        """Save the image, then compact the log to it (rule 3). Both fsync on the loop thread:
        the coordinator's state is small (kilobytes per table) and this runs once per
        ``snapshot_every`` entries, so it costs less than handing it to a thread would."""
        if self.applied - self._image_index < self.config.snapshot_every:
            return
        _save_image(self._image_path, self.applied, self.machine.snapshot())
        self._image_index = self.applied
        self.logdb.compact(self.config.group_id, self.applied, self._conf_state, sync=True)

    def _notify(self) -> None:
        for fn in self._listeners:
            try:
                fn()
            except Exception:
                log.exception("coordinator: listener failed")
