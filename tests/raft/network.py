"""A small in-process network of RawNodes on MemoryStorage, for scenario tests.

Each node is driven exactly by the Ready contract (persist -> send -> apply -> advance); the
"state machine" is the list of applied normal-entry payloads, and a snapshot's data is that list
(msgpack). Delivery is synchronous and in FIFO order; links can be cut, nodes isolated, and
message types ignored. Deterministic: the election-timeout rngs are seeded.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import msgpack

from kuradb.raft.confchange import decode_conf_change
from kuradb.raft.errors import StepPeerNotFound
from kuradb.raft.rawnode import Config, RawNode, Ready
from kuradb.raft.storage import MemoryStorage
from kuradb.raft.types import ConfState, EntryType, Message, MessageType, ReadState, StateType


@dataclass
class Replica:
    node: RawNode
    storage: MemoryStorage
    applied: list[bytes] = field(default_factory=list)  # the state machine
    applied_index: int = 0
    read_states: list[ReadState] = field(default_factory=list)
    conf_state: ConfState = field(default_factory=ConfState)
    snapshot_sends: int = 0


class Network:
    def __init__(self, seed: int = 0, **config: Any) -> None:
        self.config = config
        self.rng = random.Random(seed)
        self.replicas: dict[int, Replica] = {}
        self.queue: deque[Message] = deque()
        self.cut: set[tuple[int, int]] = set()
        self.isolated: set[int] = set()
        self.ignored: set[MessageType] = set()
        self.intercept: Callable[[Message], bool] | None = None  # return False to drop
        self.stepped = 0
        self.delivered: list[Message] = []
        self.record = False

    @classmethod
    def create(cls, voters: Iterable[int], learners: Iterable[int] = (), seed: int = 0, **config: Any) -> Network:
        net = cls(seed=seed, **config)
        cs = ConfState(voters=tuple(voters), learners=tuple(learners))
        for i in (*cs.voters, *cs.learners):
            net.add(i, MemoryStorage.bootstrap(cs))
        return net

    def add(self, i: int, storage: MemoryStorage | None = None, **overrides: Any) -> RawNode:
        """Start replica ``i`` (a fresh, empty storage by default: a joining node)."""
        st = storage if storage is not None else MemoryStorage()
        cfg = Config(id=i, rng=random.Random(self.rng.random()), **{**self.config, **overrides})
        node = RawNode(cfg, st)
        snap = st.snapshot()
        self.replicas[i] = Replica(
            node=node,
            storage=st,
            applied=list(msgpack.unpackb(snap.data)) if snap.data else [],
            applied_index=snap.metadata.index,
            conf_state=snap.metadata.conf_state,
        )
        return node

    def restart(self, i: int, **overrides: Any) -> RawNode:
        """Crash and restart ``i`` from its durable storage (volatile state lost)."""
        self.queue = deque(m for m in self.queue if m.to != i)
        return self.add(i, self.replicas[i].storage, **overrides)

    def node(self, i: int) -> RawNode:
        return self.replicas[i].node

    def __getitem__(self, i: int) -> RawNode:
        return self.replicas[i].node

    # -- faults ---------------------------------------------------------------------------------
    def isolate(self, i: int) -> None:
        self.isolated.add(i)

    def cut_link(self, a: int, b: int) -> None:
        self.cut |= {(a, b), (b, a)}

    def heal(self) -> None:
        self.cut.clear()
        self.isolated.clear()
        self.ignored.clear()
        self.intercept = None

    def _passes(self, m: Message) -> bool:
        if m.to not in self.replicas or m.frm in self.isolated or m.to in self.isolated:
            return False
        if (m.frm, m.to) in self.cut or m.type in self.ignored:
            return False
        return self.intercept is None or self.intercept(m)

    # -- driving ----------------------------------------------------------------------------------
    def handle_ready(self, i: int) -> bool:
        """Process one Ready of node ``i`` following the ordering contract."""
        r = self.replicas[i]
        if not r.node.has_ready():
            return False
        rd: Ready = r.node.ready()
        # 1. persist
        if rd.snapshot is not None:
            r.storage.apply_snapshot(rd.snapshot)
        r.storage.append(rd.entries)
        if rd.hard_state is not None:
            r.storage.set_hard_state(rd.hard_state)
        # 2. send
        for m in rd.messages:
            assert m.to != i, "messages to self must never appear"
            if m.type == MessageType.SNAP:
                r.snapshot_sends += 1
            self.queue.append(m)
        # 3. apply
        if rd.snapshot is not None:
            r.applied = list(msgpack.unpackb(rd.snapshot.data)) if rd.snapshot.data else []
            r.applied_index = rd.snapshot.metadata.index
            r.conf_state = rd.snapshot.metadata.conf_state
        for e in rd.committed_entries:
            assert e.index == r.applied_index + 1, (i, e.index, r.applied_index)
            if e.type == EntryType.CONF_CHANGE:
                r.conf_state = r.node.apply_conf_change(decode_conf_change(e.data))
            elif e.data:
                r.applied.append(e.data)
            r.applied_index = e.index
        r.read_states.extend(rd.read_states)
        # 4. advance
        r.node.advance(rd)
        return True

    def stabilize(self, max_rounds: int = 10_000) -> None:
        """Process Readies and deliver messages until quiescent."""
        for _ in range(max_rounds):
            progressed = False
            for i in sorted(self.replicas):
                progressed |= self.handle_ready(i)
            while self.queue:
                m = self.queue.popleft()
                progressed = True
                if not self._passes(m):
                    continue
                self.stepped += 1
                if self.record:
                    self.delivered.append(m)
                try:
                    self.replicas[m.to].node.step(m)
                except StepPeerNotFound:
                    pass  # a reply from a removed peer: drivers drop it
                self.handle_ready(m.to)
            if not progressed:
                return
        raise AssertionError("network did not stabilize")

    def tick(self, ids: Iterable[int] | None = None, n: int = 1) -> None:
        for _ in range(n):
            for i in sorted(self.replicas if ids is None else ids):
                self.replicas[i].node.tick()
            self.stabilize()

    def elect(self, i: int) -> None:
        self.replicas[i].node.campaign()
        self.stabilize()
        assert self.replicas[i].node.state == StateType.LEADER, f"{i} did not win"

    def propose(self, i: int, data: bytes) -> None:
        self.replicas[i].node.propose(data)
        self.stabilize()

    def compact(self, i: int) -> None:
        """Snapshot node ``i`` at its applied index and compact its log there."""
        r = self.replicas[i]
        r.storage.create_snapshot(r.applied_index, r.conf_state, msgpack.packb(r.applied))
        r.storage.compact(r.applied_index)

    def leaders(self) -> list[int]:
        return [i for i, r in self.replicas.items() if r.node.state == StateType.LEADER]

    def applied(self, i: int) -> list[bytes]:
        return self.replicas[i].applied
