"""Wire and storage types of the Raft core (the contract between the core, its storage and drivers).

These mirror etcd-io/raft's raftpb: plain, immutable-by-convention dataclasses with no behaviour,
so the pure core, the in-memory and LevelDB log storages, the deterministic simulator and the
node's gRPC transport all speak the same language. Node ids are positive ints (replica ids,
never reused); ``NONE`` (0) means "nobody".

Encoding for the network and for disk lives with the transports/storages (msgpack of the
dataclass fields); nothing here does I/O.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

NONE = 0  # "no node": no vote cast, no known leader


class EntryType(enum.IntEnum):
    NORMAL = 0
    CONF_CHANGE = 1  # data is an encoded ConfChange (see confchange.py)


@dataclass(slots=True)
class Entry:
    term: int
    index: int
    type: EntryType = EntryType.NORMAL
    data: bytes = b""


@dataclass(slots=True)
class HardState:
    """What must be durable before any message that depends on it is sent (Raft paper fig. 2)."""

    term: int = 0
    vote: int = NONE
    commit: int = 0

    def is_empty(self) -> bool:
        return self.term == 0 and self.vote == NONE and self.commit == 0


@dataclass(slots=True)
class ConfState:
    """Membership. ``voters_outgoing`` is non-empty only while in a joint configuration (C_old,new)."""

    voters: tuple[int, ...] = ()
    learners: tuple[int, ...] = ()
    voters_outgoing: tuple[int, ...] = ()
    learners_next: tuple[int, ...] = ()
    auto_leave: bool = False


@dataclass(slots=True)
class SnapshotMetadata:
    index: int = 0
    term: int = 0
    conf_state: ConfState = field(default_factory=ConfState)


@dataclass(slots=True)
class Snapshot:
    """``data`` is opaque to the core: the state machine's image at ``metadata.index``."""

    metadata: SnapshotMetadata = field(default_factory=SnapshotMetadata)
    data: bytes = b""

    def is_empty(self) -> bool:
        return self.metadata.index == 0


class MessageType(enum.IntEnum):
    # local messages (never sent over the network)
    HUP = 0  # start an election (campaign)
    BEAT = 1  # leader: send heartbeats
    PROPOSE = 2
    READ_INDEX = 3  # also sent follower -> leader to forward a read
    SNAP_STATUS = 4  # driver reports snapshot send success/failure
    UNREACHABLE = 5  # driver reports a peer unreachable
    TRANSFER_LEADER = 6
    # network messages
    APP = 10
    APP_RESP = 11
    VOTE = 12
    VOTE_RESP = 13
    PRE_VOTE = 14
    PRE_VOTE_RESP = 15
    SNAP = 16
    HEARTBEAT = 17
    HEARTBEAT_RESP = 18
    READ_INDEX_RESP = 19
    TIMEOUT_NOW = 20


@dataclass(slots=True)
class Message:
    type: MessageType
    to: int = NONE
    frm: int = NONE
    term: int = 0
    log_term: int = 0  # term of the entry at ``index`` (APP, VOTE: last log term)
    # APP: index of the entry before ``entries``; VOTE: last log index; HEARTBEAT and
    # HEARTBEAT_RESP: the leader's lease clock at send time, echoed back (raft.py rule 8).
    index: int = 0
    entries: list[Entry] = field(default_factory=list)
    commit: int = 0
    snapshot: Snapshot | None = None
    reject: bool = False
    reject_hint: int = 0  # fast log repair: follower's suggested next index ...
    hint_term: int = 0  # ... and the term of its entry there (thesis §5.3 / etcd findConflictByTerm)
    context: bytes = b""  # read-index request context, campaign-transfer marker


@dataclass(slots=True)
class ReadState:
    """A linearizable read is safe once the state machine has applied ``index``."""

    index: int
    request_ctx: bytes


class StateType(enum.IntEnum):
    FOLLOWER = 0
    CANDIDATE = 1
    LEADER = 2
    PRE_CANDIDATE = 3


@dataclass(slots=True, frozen=True)
class SoftState:
    """Volatile state the driver may want to observe; never persisted."""

    leader: int
    state: StateType


class ConfChangeType(enum.IntEnum):
    ADD_NODE = 0  # add as voter, or promote a learner
    REMOVE_NODE = 1
    ADD_LEARNER_NODE = 2  # add as learner, or demote a voter (only through joint consensus)


class ConfChangeTransition(enum.IntEnum):
    """How a multi-change ConfChange leaves its joint configuration (etcd ConfChangeV2)."""

    AUTO = 0  # single change: simple; several: joint, left automatically once committed
    JOINT_IMPLICIT = 1  # always joint, left automatically
    JOINT_EXPLICIT = 2  # always joint, left by proposing an empty ConfChange


@dataclass(slots=True, frozen=True)
class ConfChangeSingle:
    type: ConfChangeType
    node_id: int


@dataclass(slots=True, frozen=True)
class ConfChange:
    """One membership change. No changes (``changes == ()``) means "leave the joint config".

    One change with AUTO is applied one-server-at-a-time (thesis §4.1); anything else enters
    joint consensus (paper §6, C_old,new)."""

    changes: tuple[ConfChangeSingle, ...] = ()
    transition: ConfChangeTransition = ConfChangeTransition.AUTO
    context: bytes = b""

    def leave_joint(self) -> bool:
        return not self.changes
