"""RawNode: the driver-facing API of the pure Raft core (etcd-io/raft rawnode.go).

The driver owns all I/O. It feeds ``tick()`` and network messages (``step``), submits
proposals, and repeatedly drains ``ready()`` following the ordering contract documented on
:class:`Ready`. Nothing here is global: any number of RawNodes may live in one process.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from kuradb.raft.config import Config
from kuradb.raft.confchange import encode_conf_change
from kuradb.raft.errors import ProposalDropped, StepLocalMessage, StepPeerNotFound
from kuradb.raft.progress import Progress
from kuradb.raft.raft import Raft
from kuradb.raft.read_only import ReadOnlyOption
from kuradb.raft.storage import Storage
from kuradb.raft.types import (
    ConfChange,
    ConfState,
    Entry,
    EntryType,
    HardState,
    NONE,
    Message,
    MessageType,
    ReadState,
    Snapshot,
    SoftState,
    StateType,
)

__all__ = ["Config", "RawNode", "Ready", "ReadOnlyOption", "Status"]

_LOCAL_ONLY = frozenset({MessageType.HUP, MessageType.BEAT, MessageType.SNAP_STATUS, MessageType.UNREACHABLE})
_RESPONSES = frozenset(
    {
        MessageType.APP_RESP,
        MessageType.VOTE_RESP,
        MessageType.PRE_VOTE_RESP,
        MessageType.HEARTBEAT_RESP,
    }
)


@dataclass
class Ready:
    """Everything the driver must do, in this ORDER (the contract the core relies on):

    1. Persist ``snapshot`` (if any), ``entries`` (appending, truncating any conflicting suffix)
       and ``hard_state`` (if not None) durably — fsync if ``must_sync``. A vote or term must be
       on disk before any message that depends on it leaves (Raft paper fig. 2, "respond after
       persisting").
    2. Send ``messages`` (never addressed to this node itself). Sending before step 1 completes
       could, after a crash, break "one vote per term" or lose an acknowledged entry.
    3. Apply ``snapshot`` to the state machine (if any), then ``committed_entries`` in order,
       calling ``RawNode.apply_conf_change`` for each CONF_CHANGE entry (decoded with
       ``decode_conf_change``). ``read_states`` may be answered once the applied index reaches
       their ``index``.
    4. Call ``RawNode.advance(rd)`` with this same Ready before asking for the next one.

    ``soft_state``/``hard_state`` are None when unchanged since the previous Ready.
    ``must_sync`` is set whenever entries, a snapshot, or a new term/vote are to be persisted; a
    commit-index-only hard state change may be written without fsync (it can be recomputed).
    Entries inside messages handed to ``step`` become part of the log: a driver that delivers
    in-process must give each receiver its own copy (the gRPC transport decodes fresh objects).
    ``step`` raises ProposalDropped for a forwarded proposal or read that cannot be served.
    """

    soft_state: SoftState | None = None
    hard_state: HardState | None = None
    read_states: list[ReadState] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    snapshot: Snapshot | None = None
    committed_entries: list[Entry] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    must_sync: bool = False

    def applied_cursor(self) -> int:
        """The applied index once this Ready's step 3 is done (0 = nothing applied)."""
        if self.committed_entries:
            return self.committed_entries[-1].index
        if self.snapshot is not None and not self.snapshot.is_empty():
            return self.snapshot.metadata.index
        return 0


@dataclass
class Status:
    id: int
    hard_state: HardState
    soft_state: SoftState
    applied: int
    conf_state: ConfState
    lead_transferee: int
    progress: dict[int, Progress]  # only when leader, else empty


class RawNode:
    """Thread-unsafe handle of one replica; see :class:`Ready` for the driving loop."""

    def __init__(self, config: Config, storage: Storage) -> None:
        self.raft = Raft(config, storage)
        self._prev_soft = self.raft.soft_state()
        self._prev_hard = self.raft.hard_state()

    # -- basic properties -------------------------------------------------------------------
    @property
    def id(self) -> int:
        return self.raft.id

    @property
    def term(self) -> int:
        return self.raft.term

    @property
    def leader(self) -> int:
        return self.raft.lead

    @property
    def state(self) -> StateType:
        return self.raft.state

    @property
    def conf_state(self) -> ConfState:
        return self.raft.trk.conf_state()

    # -- inputs ---------------------------------------------------------------------------------
    def tick(self) -> None:
        self.raft.tick()

    def campaign(self) -> None:
        """Start an election now (with pre-vote if configured)."""
        self.raft.step(Message(type=MessageType.HUP, frm=self.id))

    def propose(self, data: bytes) -> None:
        """Propose a normal entry. Raises ProposalDropped when it certainly will not be
        appended here; a forwarded proposal may still be lost (the caller needs a timeout)."""
        self.raft.step(Message(type=MessageType.PROPOSE, frm=self.id, entries=[Entry(term=0, index=0, data=data)]))

    def propose_batch(self, datas: list[bytes]) -> None:
        """Propose several normal entries as ONE proposal message: they get consecutive indexes
        (``last_index() - len(datas) + 1`` onwards) and the leader sends them to each follower
        in one APP, instead of one APP (and one APP_RESP, and one commit broadcast) per entry.
        All or nothing: raises ProposalDropped when none was appended."""
        if not datas:
            return
        entries = [Entry(term=0, index=0, data=d) for d in datas]
        self.raft.step(Message(type=MessageType.PROPOSE, frm=self.id, entries=entries))

    def propose_conf_change(self, cc: ConfChange) -> None:
        entry = Entry(term=0, index=0, type=EntryType.CONF_CHANGE, data=encode_conf_change(cc))
        self.raft.step(Message(type=MessageType.PROPOSE, frm=self.id, entries=[entry]))

    def apply_conf_change(self, cc: ConfChange) -> ConfState:
        """Make a committed conf change effective; the driver calls it while applying."""
        return self.raft.apply_conf_change(cc)

    def step(self, m: Message) -> None:
        """Feed one message received from the network.

        Raises StepLocalMessage for local-only types and StepPeerNotFound for a response from
        a non-member (drivers drop both). A *forwarded* proposal or read that this node cannot
        accept is dropped silently: its origin cannot be told, and it times out there."""
        if m.type in _LOCAL_ONLY:
            raise StepLocalMessage()
        if m.type in _RESPONSES and m.frm not in self.raft.trk.progress:
            raise StepPeerNotFound()
        try:
            self.raft.step(m)
        except ProposalDropped:
            if m.type not in (MessageType.PROPOSE, MessageType.READ_INDEX, MessageType.TRANSFER_LEADER):
                raise

    def transfer_leader(self, transferee: int) -> None:
        self.raft.step(Message(type=MessageType.TRANSFER_LEADER, frm=transferee))

    def read_index(self, ctx: bytes) -> None:
        """Request a linearizable read; the answer arrives as a ReadState with the same ctx.
        ``ctx`` must be unique among outstanding reads."""
        self.raft.step(Message(type=MessageType.READ_INDEX, frm=self.id, entries=[Entry(term=0, index=0, data=ctx)]))

    def report_unreachable(self, id: int) -> None:
        self.raft.step(Message(type=MessageType.UNREACHABLE, frm=id))

    def report_snapshot(self, id: int, failure: bool) -> None:
        self.raft.step(Message(type=MessageType.SNAP_STATUS, frm=id, reject=failure))

    # -- outputs ----------------------------------------------------------------------------------
    def has_ready(self) -> bool:
        # The driver asks every group twice per loop iteration, and most groups are idle: compare
        # fields in place (cheapest checks first) rather than building SoftState/HardState.
        r = self.raft
        log = r.raft_log
        if r.commit_broadcast_owed or r.msgs or log.unstable.entries or r.read_states or log.has_pending_snapshot():
            return True
        ps, ph = self._prev_soft, self._prev_hard
        if r.lead != ps.leader or r.state != ps.state:
            return True
        term, vote, commit = r.term, r.vote, log.committed
        if (term, vote, commit) != (ph.term, ph.vote, ph.commit) and (term, vote, commit) != (0, NONE, 0):
            return True
        return log.has_next_ents()

    def ready(self) -> Ready:
        r = self.raft
        r.flush_commit_broadcast()
        rd = Ready(
            entries=r.raft_log.unstable_entries(),
            committed_entries=r.raft_log.next_ents(),
            messages=r.msgs,
            read_states=r.read_states,
        )
        soft = r.soft_state()
        if soft != self._prev_soft:
            rd.soft_state = soft
            self._prev_soft = soft
        hs = r.hard_state()
        if hs != self._prev_hard:
            rd.hard_state = hs
        if r.raft_log.unstable.snapshot is not None:
            rd.snapshot = r.raft_log.unstable.snapshot
        # A snapshot replaces the log the follower acknowledges from: it must be durable before
        # the APP_RESP that reports its index leaves, exactly like entries.
        rd.must_sync = bool(rd.entries) or rd.snapshot is not None or (
            rd.hard_state is not None and (hs.term != self._prev_hard.term or hs.vote != self._prev_hard.vote)
        )
        r.msgs = []
        r.read_states = []
        return rd

    def advance(self, rd: Ready) -> None:
        r = self.raft
        if rd.hard_state is not None:
            self._prev_hard = rd.hard_state
        r.reduce_uncommitted_size(rd.committed_entries)
        new_applied = rd.applied_cursor()
        if new_applied > 0:
            old_applied = r.raft_log.applied
            r.raft_log.applied_to(new_applied)
            r.after_applied(old_applied, new_applied)
        if rd.entries:
            e = rd.entries[-1]
            r.raft_log.stable_to(e.index, e.term)
        if rd.snapshot is not None:
            r.raft_log.stable_snap_to(rd.snapshot.metadata.index)

    def status(self) -> Status:
        r = self.raft
        return Status(
            id=r.id,
            hard_state=r.hard_state(),
            soft_state=r.soft_state(),
            applied=r.raft_log.applied,
            conf_state=r.trk.conf_state(),
            lead_transferee=r.lead_transferee,
            progress=copy.deepcopy(r.trk.progress) if r.state == StateType.LEADER else {},
        )

    def in_lease(self) -> bool:
        """Whether this node is a leader holding a valid read lease (observability/tests)."""
        return self.raft.in_lease()



