"""kuradb.raft.codec: exact round trips over every field, layout stability, total decoding."""

from __future__ import annotations

import time

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuradb.raft import codec
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

settings.register_profile(
    "kuradb-codec", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
PROFILE = settings.get_profile("kuradb-codec")

u64 = st.integers(min_value=0, max_value=2**64 - 1)
ids = st.tuples() | st.lists(u64, max_size=5).map(tuple)
blobs = st.binary(max_size=64)

entries = st.builds(Entry, term=u64, index=u64, type=st.sampled_from(EntryType), data=blobs)
hard_states = st.builds(HardState, term=u64, vote=u64, commit=u64)
conf_states = st.builds(ConfState, voters=ids, learners=ids, voters_outgoing=ids, learners_next=ids,
                        auto_leave=st.booleans())  # fmt: skip
metadatas = st.builds(SnapshotMetadata, index=u64, term=u64, conf_state=conf_states)
snapshots = st.builds(Snapshot, metadata=metadatas, data=blobs)
messages = st.builds(
    Message,
    type=st.sampled_from(MessageType),
    to=u64, frm=u64, term=u64, log_term=u64, index=u64,
    entries=st.lists(entries, max_size=4),
    commit=u64,
    snapshot=st.none() | snapshots,
    reject=st.booleans(), reject_hint=u64, hint_term=u64, context=blobs,
)  # fmt: skip


@settings(PROFILE)
@given(messages)
def test_message_round_trip(m: Message) -> None:
    out = codec.decode_message(codec.encode_message(m))
    assert out == m
    assert type(out.type) is MessageType and all(type(e.type) is EntryType for e in out.entries)
    assert isinstance(out.entries, list)


@settings(PROFILE)
@given(entries)
def test_entry_round_trip(e: Entry) -> None:
    assert codec.decode_entry(codec.encode_entry(e)) == e


@settings(PROFILE)
@given(st.lists(entries, max_size=6))
def test_entries_round_trip(es: list[Entry]) -> None:
    assert codec.decode_entries(codec.encode_entries(es)) == es


@settings(PROFILE)
@given(hard_states)
def test_hard_state_round_trip(hs: HardState) -> None:
    assert codec.decode_hard_state(codec.encode_hard_state(hs)) == hs


@settings(PROFILE)
@given(conf_states)
def test_conf_state_round_trip(cs: ConfState) -> None:
    out = codec.decode_conf_state(codec.encode_conf_state(cs))
    assert out == cs and type(out.voters) is tuple


@settings(PROFILE)
@given(metadatas, snapshots)
def test_snapshot_round_trips(m: SnapshotMetadata, s: Snapshot) -> None:
    assert codec.decode_snapshot_metadata(codec.encode_snapshot_metadata(m)) == m
    assert codec.decode_snapshot(codec.encode_snapshot(s)) == s


@settings(PROFILE)
@given(st.binary(max_size=64))
def test_decoding_arbitrary_bytes_raises_only_codec_error(data: bytes) -> None:
    for decode in (codec.decode_message, codec.decode_entry, codec.decode_entries,
                   codec.decode_hard_state, codec.decode_conf_state, codec.decode_snapshot):  # fmt: skip
        try:
            decode(data)
        except codec.CodecError:
            pass


def test_entry_layout_is_the_documented_one() -> None:
    """The on-disk format is positional (module docstring); changing it breaks existing logs."""
    raw = codec.encode_entry(Entry(term=3, index=7, type=EntryType.CONF_CHANGE, data=b"cc"))
    assert msgpack.unpackb(raw) == [3, 7, 1, b"cc"]
    assert msgpack.unpackb(codec.encode_hard_state(HardState(2, 5, 9))) == [2, 5, 9]


def test_trailing_fields_from_newer_writers_are_ignored() -> None:
    assert codec.decode_entry(msgpack.packb([3, 7, 0, b"x", "future"])) == Entry(3, 7, EntryType.NORMAL, b"x")
    hb = Message(MessageType.HEARTBEAT, to=2, frm=1, term=4, commit=9)
    fields = msgpack.unpackb(codec.encode_message(hb)) + [123]
    assert codec.decode_message(msgpack.packb(fields)) == hb


@pytest.mark.parametrize(
    "raw",
    [
        msgpack.packb([3, 7, 0]),  # too short
        msgpack.packb([3, 7, 99, b""]),  # unknown entry type
        msgpack.packb([3, -1, 0, b""]),  # negative index
        msgpack.packb([3, 7, 0, "text"]),  # data must be bin, not str
        msgpack.packb([True, 7, 0, b""]),  # bool is not a term
        msgpack.packb({"term": 3}),  # not an array
        msgpack.packb([3, 7, 0, b""]) + b"\x00",  # trailing garbage
        b"",
    ],
)
def test_malformed_entries_are_codec_errors(raw: bytes) -> None:
    with pytest.raises(codec.CodecError):
        codec.decode_entry(raw)


def test_unknown_message_type_is_codec_error() -> None:
    fields = msgpack.unpackb(codec.encode_message(Message(MessageType.APP)))
    fields[0] = 99
    with pytest.raises(codec.CodecError, match="raft message"):
        codec.decode_message(msgpack.packb(fields))


def bench(n: int = 20_000) -> dict[str, float]:
    """µs per encode/decode of a 10 x 1 KiB APP and of a heartbeat (run by hand; not a test)."""
    app = Message(MessageType.APP, to=2, frm=1, term=5, log_term=5, index=100, commit=100,
                  entries=[Entry(5, 101 + i, EntryType.NORMAL, b"x" * 1024) for i in range(10)])  # fmt: skip
    hb = Message(MessageType.HEARTBEAT, to=2, frm=1, term=5, commit=100)
    out: dict[str, float] = {}
    for name, m in (("app10x1k", app), ("heartbeat", hb)):
        raw = codec.encode_message(m)
        t0 = time.perf_counter()
        for _ in range(n):
            codec.encode_message(m)
        t1 = time.perf_counter()
        for _ in range(n):
            codec.decode_message(raw)
        t2 = time.perf_counter()
        out[f"{name}_bytes"] = len(raw)
        out[f"{name}_encode_us"] = (t1 - t0) / n * 1e6
        out[f"{name}_decode_us"] = (t2 - t1) / n * 1e6
    return out


if __name__ == "__main__":
    for k, v in bench().items():
        print(f"{k}: {v:.2f}")
