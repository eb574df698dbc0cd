"""Errors of the Raft core.

These are internal to the replication layer (never shown to a DynamoDB client as such): the node
driver maps ``ProposalDropped`` to a retryable error for the router. ``Compacted`` and
``Unavailable`` are how a :class:`~kuradb.raft.storage.Storage` tells the core that an index is
below its first index or above its last one.
"""

from __future__ import annotations


class RaftError(Exception):
    """Base of every error raised by the Raft core or its storages."""


class Compacted(RaftError):
    """The requested index is older than the storage's first index (compacted into a snapshot)."""

    def __init__(self, message: str = "requested index is unavailable due to compaction") -> None:
        super().__init__(message)


class Unavailable(RaftError):
    """The requested entry is not (yet) in the storage."""

    def __init__(self, message: str = "requested entry at index is unavailable") -> None:
        super().__init__(message)


class SnapOutOfDate(RaftError):
    """A snapshot older than the storage's current one was offered."""

    def __init__(self, message: str = "requested index is older than the existing snapshot") -> None:
        super().__init__(message)


class SnapshotTemporarilyUnavailable(RaftError):
    """The storage cannot produce a snapshot right now; the leader retries later."""

    def __init__(self, message: str = "snapshot is temporarily unavailable") -> None:
        super().__init__(message)


class ProposalDropped(RaftError):
    """A proposal (or read) was not accepted: no leader, leadership transfer in progress, pending
    conf change, removed from the group, or the uncommitted-size limit reached. Retry elsewhere."""

    def __init__(self, message: str = "raft proposal dropped") -> None:
        super().__init__(message)


class StepLocalMessage(RaftError):
    """A local message type (HUP, PROPOSE, ...) was passed to ``RawNode.step`` from the network."""

    def __init__(self, message: str = "raft: cannot step raft local message") -> None:
        super().__init__(message)


class StepPeerNotFound(RaftError):
    """A response arrived from a peer the node does not track (e.g. already removed)."""

    def __init__(self, message: str = "raft: cannot step as peer not found") -> None:
        super().__init__(message)


class ConfChangeError(RaftError):
    """A membership change violates a safety rule (etcd confchange checks)."""
