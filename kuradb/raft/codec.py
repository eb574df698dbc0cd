"""Byte encoding of the Raft core's types, for the network (node transport) and for disk (log storage).

Rules:

* Every value is a msgpack array of its fields in a fixed order (no field names): small and fast
  to build, which matters because every APP, heartbeat and log entry goes through here.
  ``bytes`` fields are msgpack bin, so they come back as ``bytes``.
* Layouts (positions are the format; this docstring is its specification):

  - Entry: ``[term, index, type, data]``
  - HardState: ``[term, vote, commit]``
  - ConfState: ``[voters, learners, voters_outgoing, learners_next, auto_leave]``
  - SnapshotMetadata: ``[index, term, ConfState]``
  - Snapshot: ``[SnapshotMetadata, data]``
  - Message: ``[type, to, frm, term, log_term, index, [Entry...], commit, Snapshot | nil,
    reject, reject_hint, hint_term, context]``

* Evolution: a field may only be *appended* to a layout, with the dataclass default as its
  meaning when absent. Decoders read positions, so they accept (and ignore) trailing fields
  written by a newer version; they reject shorter arrays. Entries on disk outlive a release,
  so this rule is what keeps old logs readable.
* Decoding is total over bytes: anything that is not a well-formed value raises
  :class:`CodecError` (a ``ValueError``), never a msgpack or enum exception, so a corrupt peer or
  disk surfaces as one error type the caller can count and drop.
* Pure functions, no I/O, no state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgpack

from kuradb.raft.types import (
    ConfState,
    Entry,
    EntryType,
    HardState,
    Message,
    MessageType,
    Snapshot,
    SnapshotMetadata,
)

__all__ = [
    "CodecError",
    "decode_conf_state",
    "decode_entries",
    "decode_entry",
    "decode_hard_state",
    "decode_message",
    "decode_snapshot",
    "decode_snapshot_metadata",
    "encode_conf_state",
    "encode_entries",
    "encode_entry",
    "encode_hard_state",
    "encode_message",
    "encode_snapshot",
    "encode_snapshot_metadata",
]


class CodecError(ValueError):
    """The bytes are not a valid encoding of the expected Raft type."""


# Dict lookups instead of ``MessageType(t)``: enum construction costs ~0.3 µs a call, and an APP
# carries one EntryType per entry.
_MESSAGE_TYPES: dict[int, MessageType] = {int(t): t for t in MessageType}
_ENTRY_TYPES: dict[int, EntryType] = {int(t): t for t in EntryType}
# Errors that mean "malformed input" while unpacking or rebuilding a value.
_MALFORMED = (ValueError, TypeError, IndexError, KeyError, msgpack.ExtraData, msgpack.FormatError,
              msgpack.StackError)



def _unpack(data: bytes, what: str) -> Any:
    try:
        return msgpack.unpackb(data, raw=False, use_list=False, strict_map_key=True)
    except _MALFORMED as e:
        raise CodecError(f"malformed {what}: {e}") from None


# ------------------------------------------------------------------------- tuple layer
# ``_x_tuple`` builds the array of one value; ``_x_from`` rebuilds the value from it. The public
# functions wrap them so that nested values are packed in a single msgpack call.


def _entry_tuple(e: Entry) -> tuple[int, int, int, bytes]:
    return (e.term, e.index, int(e.type), e.data)


def _entry_from(t: Sequence[Any]) -> Entry:
    data = t[3]
    if type(data) is not bytes:
        raise TypeError(f"entry data is {type(data).__name__}, not bytes")
    return Entry(_int(t[0]), _int(t[1]), _ENTRY_TYPES[t[2]], data)


def _conf_state_tuple(cs: ConfState) -> tuple[Any, ...]:
    return (cs.voters, cs.learners, cs.voters_outgoing, cs.learners_next, cs.auto_leave)


def _conf_state_from(t: Sequence[Any]) -> ConfState:
    return ConfState(_ids(t[0]), _ids(t[1]), _ids(t[2]), _ids(t[3]), _bool(t[4]))


def _metadata_tuple(m: SnapshotMetadata) -> tuple[Any, ...]:
    return (m.index, m.term, _conf_state_tuple(m.conf_state))


def _metadata_from(t: Sequence[Any]) -> SnapshotMetadata:
    return SnapshotMetadata(_int(t[0]), _int(t[1]), _conf_state_from(t[2]))


def _snapshot_tuple(s: Snapshot) -> tuple[Any, ...]:
    return (_metadata_tuple(s.metadata), s.data)


def _snapshot_from(t: Sequence[Any]) -> Snapshot:
    return Snapshot(_metadata_from(t[0]), _bytes(t[1]))


def _int(v: Any) -> int:
    # bool is an int subclass; msgpack never decodes one for an int field unless the writer
    # was wrong, so refuse it rather than carry True around as a term.
    if type(v) is not int or v < 0:
        raise TypeError(f"expected a non-negative int, got {v!r}")
    return v


def _ids(v: Any) -> tuple[int, ...]:
    if type(v) is not tuple:
        raise TypeError(f"expected an array of ids, got {type(v).__name__}")
    return tuple(_int(x) for x in v)


def _bool(v: Any) -> bool:
    if type(v) is not bool:
        raise TypeError(f"expected a bool, got {v!r}")
    return v


def _bytes(v: Any) -> bytes:
    if type(v) is not bytes:
        raise TypeError(f"expected bytes, got {type(v).__name__}")
    return v


def _decode(data: bytes, what: str, build: Any) -> Any:
    t = _unpack(data, what)
    if type(t) is not tuple:
        raise CodecError(f"malformed {what}: expected an array, got {type(t).__name__}")
    try:
        return build(t)
    except _MALFORMED as e:
        raise CodecError(f"malformed {what}: {e!r}") from None


# ------------------------------------------------------------------------- public API


def encode_entry(e: Entry) -> bytes:
    """One log entry; the value the log storage writes under the entry's key."""
    return msgpack.packb(_entry_tuple(e))


def decode_entry(data: bytes) -> Entry:
    return _decode(data, "entry", _entry_from)


def encode_entries(entries: Sequence[Entry]) -> bytes:
    return msgpack.packb([_entry_tuple(e) for e in entries])


def decode_entries(data: bytes) -> list[Entry]:
    return _decode(data, "entry list", lambda t: [_entry_from(e) for e in t])


def encode_hard_state(hs: HardState) -> bytes:
    return msgpack.packb((hs.term, hs.vote, hs.commit))


def decode_hard_state(data: bytes) -> HardState:
    return _decode(data, "hard state", lambda t: HardState(_int(t[0]), _int(t[1]), _int(t[2])))


def encode_conf_state(cs: ConfState) -> bytes:
    return msgpack.packb(_conf_state_tuple(cs))


def decode_conf_state(data: bytes) -> ConfState:
    return _decode(data, "conf state", _conf_state_from)


def encode_snapshot_metadata(m: SnapshotMetadata) -> bytes:
    return msgpack.packb(_metadata_tuple(m))


def decode_snapshot_metadata(data: bytes) -> SnapshotMetadata:
    return _decode(data, "snapshot metadata", _metadata_from)


def encode_snapshot(s: Snapshot) -> bytes:
    return msgpack.packb(_snapshot_tuple(s))


def decode_snapshot(data: bytes) -> Snapshot:
    return _decode(data, "snapshot", _snapshot_from)


def encode_message(m: Message) -> bytes:
    """A Raft message for the wire. Hot path: one tuple build and one msgpack call."""
    snap = m.snapshot
    return msgpack.packb((
        int(m.type), m.to, m.frm, m.term, m.log_term, m.index,
        [(e.term, e.index, int(e.type), e.data) for e in m.entries],
        m.commit,
        None if snap is None else _snapshot_tuple(snap),
        m.reject, m.reject_hint, m.hint_term, m.context,
    ))  # fmt: skip


def _message_from(t: Sequence[Any]) -> Message:
    snap = t[8]
    return Message(
        type=_MESSAGE_TYPES[t[0]],
        to=_int(t[1]),
        frm=_int(t[2]),
        term=_int(t[3]),
        log_term=_int(t[4]),
        index=_int(t[5]),
        entries=[_entry_from(e) for e in t[6]],
        commit=_int(t[7]),
        snapshot=None if snap is None else _snapshot_from(snap),
        reject=_bool(t[9]),
        reject_hint=_int(t[10]),
        hint_term=_int(t[11]),
        context=_bytes(t[12]),
    )


def decode_message(data: bytes) -> Message:
    return _decode(data, "raft message", _message_from)
