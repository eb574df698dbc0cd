"""Engine conformance: the same cases run against the LevelDB and the in-memory engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuradb.node.engine import Engine, EngineClosedError, Snapshot, WriteBatch
from kuradb.node.leveldb_engine import LevelDBEngine
from kuradb.node.memory_engine import MemoryEngine


def put_all(eng: Engine, items: dict[bytes, bytes]) -> None:
    b = WriteBatch()
    for k, v in items.items():
        b.put(k, v)
    eng.write(b, sync=False)


def test_protocols(engine: Engine) -> None:
    assert isinstance(engine, Engine)
    snap = engine.snapshot()
    assert isinstance(snap, Snapshot)
    snap.close()


def test_get_put_delete(engine: Engine) -> None:
    assert engine.get(b"a") is None
    put_all(engine, {b"a": b"1", b"b": b""})
    assert engine.get(b"a") == b"1"
    assert engine.get(b"b") == b""  # empty value is a value, not absence
    b = WriteBatch()
    b.delete(b"a")
    b.delete(b"missing")
    engine.write(b, sync=True)
    assert engine.get(b"a") is None


def test_batch_ops_apply_in_order(engine: Engine) -> None:
    b = WriteBatch()
    b.put(b"k", b"1")
    b.delete(b"k")
    b.put(b"k", b"2")
    b.put(b"j", b"x")
    b.delete(b"j")
    engine.write(b, sync=True)
    assert engine.get(b"k") == b"2"
    assert engine.get(b"j") is None


def test_iterate_bounds_and_order(engine: Engine) -> None:
    keys = [b"", b"\x00", b"a", b"a\x00", b"ab", b"b", b"\xff", b"\xff\xff"]
    put_all(engine, {k: k + b"!" for k in keys})
    assert [k for k, _ in engine.iterate(b"", None)] == keys
    assert [k for k, _ in engine.iterate(b"a", b"b")] == [b"a", b"a\x00", b"ab"]
    assert [k for k, _ in engine.iterate(b"a", b"b", reverse=True)] == [b"ab", b"a\x00", b"a"]
    assert [k for k, _ in engine.iterate(b"\xff", None, reverse=True)] == [b"\xff\xff", b"\xff"]
    assert list(engine.iterate(b"c", b"c")) == []
    assert dict(engine.iterate(b"a", b"a\x01")) == {b"a": b"a!", b"a\x00": b"a\x00!"}


def test_iterator_is_point_in_time(engine: Engine) -> None:
    put_all(engine, {b"a": b"1", b"b": b"1", b"c": b"1"})
    it = engine.iterate(b"", None)
    assert next(it) == (b"a", b"1")
    b = WriteBatch()
    b.put(b"b", b"2")
    b.delete(b"c")
    b.put(b"d", b"2")
    engine.write(b, sync=False)
    assert list(it) == [(b"b", b"1"), (b"c", b"1")]
    assert list(engine.iterate(b"", None)) == [(b"a", b"1"), (b"b", b"2"), (b"d", b"2")]


def test_unstarted_iterator_sees_call_time_view(engine: Engine) -> None:
    put_all(engine, {b"a": b"1"})
    it = engine.iterate(b"", None)
    put_all(engine, {b"b": b"1"})
    assert list(it) == [(b"a", b"1")]


def test_snapshot_is_point_in_time(engine: Engine) -> None:
    put_all(engine, {b"a": b"1", b"b": b"1"})
    with engine.snapshot() as snap:
        put_all(engine, {b"a": b"2", b"c": b"2"})
        assert snap.get(b"a") == b"1"
        assert snap.get(b"c") is None
        assert list(snap.iterate(b"", None)) == [(b"a", b"1"), (b"b", b"1")]
        assert list(snap.iterate(b"", None, reverse=True)) == [(b"b", b"1"), (b"a", b"1")]
    assert engine.get(b"a") == b"2"
    with pytest.raises(EngineClosedError):
        snap.get(b"a")


def test_closed_engine_raises(engine: Engine) -> None:
    engine.close()
    with pytest.raises(EngineClosedError):
        engine.get(b"a")


def test_approximate_size_is_sane(engine: Engine) -> None:
    put_all(engine, {bytes([i]) * 4: b"v" * 1000 for i in range(200)})
    size = engine.approximate_size(b"", b"\xff\xff")
    assert size >= 0
    assert engine.approximate_size(b"\x00", b"\x00") == 0


def test_memory_approximate_size_exact() -> None:
    eng = MemoryEngine()
    put_all(eng, {b"ab": b"xyz", b"b": b"1"})
    assert eng.approximate_size(b"a", b"c") == 7
    assert eng.approximate_size(b"b", b"c") == 2


def test_memory_engine_unpins_after_iteration() -> None:
    """Copy-on-write must stop once readers are gone, or every write would copy the store."""
    eng = MemoryEngine()
    put_all(eng, {b"a": b"1"})
    list(eng.iterate(b"", None))
    it = eng.iterate(b"", None)
    del it  # never started
    snap = eng.snapshot()
    snap.close()
    assert eng._pins.count == 0


def test_leveldb_durable_across_reopen(tmp_path: Path) -> None:
    eng = LevelDBEngine(tmp_path / "db")
    put_all(eng, {b"k": b"v"})
    b = WriteBatch()
    b.put(b"s", b"synced")
    eng.write(b, sync=True)
    eng.close()
    eng = LevelDBEngine(tmp_path / "db")
    assert eng.get(b"k") == b"v"
    assert eng.get(b"s") == b"synced"
    eng.close()


ops = st.lists(
    st.tuples(st.binary(min_size=0, max_size=3), st.one_of(st.none(), st.binary(max_size=4))),
    max_size=30,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(ops, max_size=5), lo=st.binary(max_size=2), hi=st.binary(max_size=2))
def test_engines_agree(tmp_path_factory: pytest.TempPathFactory, batches: list, lo: bytes, hi: bytes) -> None:
    mem = MemoryEngine()
    ldb = LevelDBEngine(tmp_path_factory.mktemp("agree"))
    try:
        for ops_ in batches:
            wb = WriteBatch(list(ops_))
            mem.write(wb, sync=False)
            ldb.write(wb, sync=False)
        for rev in (False, True):
            assert list(mem.iterate(lo, hi, rev)) == list(ldb.iterate(lo, hi, rev))
            assert list(mem.iterate(lo, None, rev)) == list(ldb.iterate(lo, None, rev))
    finally:
        ldb.close()


def test_reverse_one_key_range(engine: Engine) -> None:
    """Regression: plyvel's own reverse iterator returns nothing for a one-key range."""
    put_all(engine, {b"a": b"1", b"b": b"2", b"c": b"3"})
    assert list(engine.iterate(b"a", b"b", reverse=True)) == [(b"a", b"1")]
    assert list(engine.iterate(b"c", None, reverse=True)) == [(b"c", b"3")]
    assert list(engine.iterate(b"b", b"b\x00", reverse=True)) == [(b"b", b"2")]
