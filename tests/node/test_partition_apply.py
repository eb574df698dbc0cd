"""PartitionStateMachine.apply without expressions: effects, replay, dedup, determinism, ranges."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kuradb.errors import ValidationException
from kuradb.keys import HASH_SPACE, partition_hash
from kuradb.node.codec import KeyNotInPartitionError, WriteResult, encode_command
from kuradb.node.engine import Engine
from kuradb.node.leveldb_engine import LevelDBEngine
from kuradb.node.memory_engine import MemoryEngine
from kuradb.node.partition import PartitionStateMachine, read_units, write_units
from kuradb.operations import parse_get_item
from tests.node.helpers import HASH_TABLE, RANGE_TABLE, Driver, n, s

MakeSM = Callable[..., PartitionStateMachine]


def get(sm: PartitionStateMachine, key: dict, **extra: object) -> dict | None:
    return sm.get_item(parse_get_item({"TableName": sm.table.name, "Key": key, **extra}, sm.table)).item


def test_put_get_delete(make_sm: MakeSM) -> None:
    d = Driver(make_sm())
    item = {"pk": s("a"), "sk": n(1), "v": s("x")}
    r = d.put(item)
    assert r == WriteResult(attributes=None, error=None, consumed_wcu=1.0)
    assert get(d.sm, {"pk": s("a"), "sk": n(1)}) == item
    assert get(d.sm, {"pk": s("a"), "sk": n("1.0")}) == item  # numbers are keys by value
    r = d.put({"pk": s("a"), "sk": n(1), "v": s("y")}, ReturnValues="ALL_OLD")
    assert r.attributes == item
    r = d.write("DeleteItem", {"TableName": "orders", "Key": {"pk": s("a"), "sk": n(1)}, "ReturnValues": "ALL_OLD"})
    assert r.attributes == {"pk": s("a"), "sk": n(1), "v": s("y")}
    assert get(d.sm, {"pk": s("a"), "sk": n(1)}) is None
    r = d.write("DeleteItem", {"TableName": "orders", "Key": {"pk": s("a"), "sk": n(1)}, "ReturnValues": "ALL_OLD"})
    assert r.attributes is None and r.error is None


def test_capacity_units(make_sm: MakeSM) -> None:
    d = Driver(make_sm(HASH_TABLE))
    big = {"id": s("k"), "v": s("x" * 2500)}
    assert d.put(big).consumed_wcu == 3.0
    assert d.put({"id": s("k")}).consumed_wcu == 3.0  # max(old, new)
    assert d.put({"id": s("k")}).consumed_wcu == 1.0
    assert write_units(0) == 1.0 and write_units(1024) == 1.0 and write_units(1025) == 2.0
    assert read_units(0, True) == 1.0 and read_units(4097, True) == 2.0 and read_units(4097, False) == 1.0
    res = d.sm.get_item(parse_get_item({"TableName": "users", "Key": {"id": s("k")}, "ConsistentRead": True}, HASH_TABLE))
    assert res.consumed_rcu == 1.0


def test_invalid_request_is_an_error_result_and_advances(make_sm: MakeSM) -> None:
    d = Driver(make_sm())
    r = d.put({"pk": s("a")})  # missing sort key
    assert isinstance(r.error, ValidationException)
    assert "Missing the key sk in the item" in r.error.message
    assert d.sm.applied_index == 1
    r = d.write("Frobnicate", {})
    assert isinstance(r.error, ValidationException)
    assert d.sm.applied_index == 2


def test_replay_is_skipped(make_sm: MakeSM, engine: Engine) -> None:
    sm = make_sm()
    cmd = encode_command("PutItem", {"TableName": "orders", "Item": {"pk": s("a"), "sk": n(1), "v": n(1)}})
    assert sm.apply(1, cmd) is not None
    cmd2 = encode_command("PutItem", {"TableName": "orders", "Item": {"pk": s("a"), "sk": n(1), "v": n(2)}})
    assert sm.apply(1, cmd2) is None  # same index: replay, not applied
    assert get(sm, {"pk": s("a"), "sk": n(1)})["v"] == n(1)
    # a fresh state machine on the same engine resumes from the stored applied index
    sm2 = make_sm()
    assert sm2.applied_index == 1
    assert sm2.apply(1, cmd2) is None
    assert sm2.apply(2, cmd2) is not None
    assert get(sm2, {"pk": s("a"), "sk": n(1)})["v"] == n(2)


def test_replay_after_leveldb_reopen(tmp_path: Path) -> None:
    """Crash/restart: the Raft log is replayed from an old index; applied entries are skipped."""
    log = [
        encode_command("UpdateItem" if i % 3 == 2 else "PutItem",
                       {"TableName": "users", "Item": {"id": s(f"k{i % 4}"), "v": n(i)}}
                       if i % 3 != 2 else {"TableName": "users", "Key": {"id": s(f"k{i % 4}")}})
        for i in range(1, 21)
    ]  # fmt: skip
    eng = LevelDBEngine(tmp_path / "db")
    sm = PartitionStateMachine(eng, HASH_TABLE, 0, HASH_SPACE, 1)
    for i, cmd in enumerate(log[:12], start=1):
        sm.apply(i, cmd, sync=i == 12)
    before = list(eng.iterate(b"", None))
    eng.close()
    eng = LevelDBEngine(tmp_path / "db")
    sm = PartitionStateMachine(eng, HASH_TABLE, 0, HASH_SPACE, 1)
    assert sm.applied_index == 12
    for i, cmd in enumerate(log[:12], start=1):  # the driver replays from its last snapshot
        assert sm.apply(i, cmd) is None
    assert list(eng.iterate(b"", None)) == before
    for i, cmd in enumerate(log[12:], start=13):
        assert sm.apply(i, cmd) is not None
    ref = MemoryEngine()
    ref_sm = PartitionStateMachine(ref, HASH_TABLE, 0, HASH_SPACE, 1)
    for i, cmd in enumerate(log, start=1):
        ref_sm.apply(i, cmd)
    assert list(eng.iterate(b"", None)) == list(ref.iterate(b"", None))
    eng.close()


def test_request_id_dedup(make_sm: MakeSM) -> None:
    d = Driver(make_sm())
    key = {"pk": s("a"), "sk": n(1)}
    first = d.write("PutItem", {"TableName": "orders", "Item": {**key, "v": n(1)}, "ReturnValues": "ALL_OLD"}, b"req-1")
    d.put({**key, "v": n(2)})
    retry = d.write("PutItem", {"TableName": "orders", "Item": {**key, "v": n(1)}, "ReturnValues": "ALL_OLD"}, b"req-1")
    assert retry == first
    assert get(d.sm, key)["v"] == n(2)  # the retry did not apply again
    assert d.sm.applied_index == 3
    other = d.write("PutItem", {"TableName": "orders", "Item": {**key, "v": n(3)}, "ReturnValues": "ALL_OLD"}, b"req-2")
    assert other.attributes == {**key, "v": n(2)}


def test_dedup_remembers_errors(make_sm: MakeSM) -> None:
    d = Driver(make_sm())
    r1 = d.write("PutItem", {"TableName": "orders", "Item": {"pk": s("a")}}, b"r")
    r2 = d.write("PutItem", {"TableName": "orders", "Item": {"pk": s("a")}}, b"r")
    assert type(r2.error) is type(r1.error) and r2.error.message == r1.error.message


def test_dedup_window_evicts_deterministically(make_sm: MakeSM) -> None:
    d = Driver(make_sm(dedup_window=3))
    key = {"pk": s("a"), "sk": n(1)}
    d.write("PutItem", {"TableName": "orders", "Item": {**key, "v": n(1)}}, b"old")
    for i in range(3):
        d.put({**key, "v": n(10 + i)})
    # index 5 evicts records of index <= 2: "old" (index 1) is forgotten and applies again
    d.write("PutItem", {"TableName": "orders", "Item": {**key, "v": n(1)}}, b"old")
    assert get(d.sm, key)["v"] == n(1)
    meta = list(d.sm.engine.iterate(b"\x00" * 8, b"\x00" * 7 + b"\x01"))
    assert len([k for k, _ in meta if k[16:17] == b"r"]) == 1  # one live dedup record


def test_key_not_in_partition(make_sm: MakeSM) -> None:
    h = partition_hash(s("a"))
    sm = make_sm(HASH_TABLE, start_h=h + 1, end_h=HASH_SPACE, pid=9)
    d = Driver(sm)
    r = d.put({"id": s("a")})
    assert isinstance(r.error, KeyNotInPartitionError) and r.error.key_hash == h
    assert sm.applied_index == 1
    with pytest.raises(KeyNotInPartitionError):
        get(sm, {"id": s("a")})


def test_partitions_share_an_engine(engine: Engine) -> None:
    mid = 1 << 63
    left = PartitionStateMachine(engine, HASH_TABLE, 0, mid, 1)
    right = PartitionStateMachine(engine, HASH_TABLE, mid, HASH_SPACE, 2)
    dl, dr = Driver(left), Driver(right)
    placed = {1: 0, 2: 0}
    for i in range(50):
        item = {"id": s(f"u{i}")}
        target = dl if partition_hash(item["id"]) < mid else dr
        assert target.put(item).error is None
        placed[target.sm.partition_id] += 1
    assert left.stats().keys == placed[1] and right.stats().keys == placed[2]
    assert left.applied_index == placed[1] and right.applied_index == placed[2]


def test_determinism_across_engines(tmp_path: Path) -> None:
    cmds = []
    for i in range(300):
        key = {"pk": s(f"p{i % 7}"), "sk": n(i % 11)}
        if i % 5 == 4:
            cmds.append(encode_command("DeleteItem", {"TableName": "orders", "Key": key}, f"r{i}".encode()))
        else:
            item = {**key, "v": n(i), "b": {"B": bytes([i % 256]) * 3}, "l": {"L": [s("x"), {"BOOL": True}]}}
            cmds.append(encode_command("PutItem", {"TableName": "orders", "Item": item}, f"r{i % 50}".encode()))
    a, b = MemoryEngine(), LevelDBEngine(tmp_path / "db")
    for eng in (a, b):
        sm = PartitionStateMachine(eng, RANGE_TABLE, 0, HASH_SPACE, 3, dedup_window=40)
        for i, c in enumerate(cmds, start=1):
            sm.apply(i, c)
    assert list(a.iterate(b"", None)) == list(b.iterate(b"", None))
    b.close()


def test_snapshot_range_and_stats(make_sm: MakeSM) -> None:
    d = Driver(make_sm(HASH_TABLE))
    for i in range(10):
        d.write("PutItem", {"TableName": "users", "Item": {"id": s(f"u{i}")}}, f"r{i}".encode())
    with d.sm.snapshot_range() as snap:
        d.put({"id": s("late")})
        entries = list(snap.entries())
        assert snap.applied_index == 10
    data = [kv for kv in entries if kv[0][:8] == HASH_TABLE.table_id.to_bytes(8, "big")]
    assert len(data) == 10
    st = d.sm.stats()
    assert st.keys == 11 and st.applied_index == 11 and st.bytes > 0
    # a lagging replica installs the snapshot: its own stale state is replaced entirely
    other = MemoryEngine()
    copy = PartitionStateMachine(other, HASH_TABLE, 0, HASH_SPACE, 1)
    Driver(copy).put({"id": s("stale")})
    copy.install_snapshot(iter(entries))
    assert copy.applied_index == 10
    assert copy.stats().keys == 10
    assert list(other.iterate(b"", None)) == entries
    assert copy.apply(10, encode_command("PutItem", {"TableName": "users", "Item": {"id": s("x")}})) is None
    dedup_retry = encode_command("PutItem", {"TableName": "users", "Item": {"id": s("new")}}, b"r3")
    assert copy.apply(11, dedup_retry) is not None and copy.stats().keys == 10  # dedup table came along
    with pytest.raises(ValueError):
        copy.install_snapshot([(b"\x00" * 8 + (99).to_bytes(8, "big") + b"a", b"")])
