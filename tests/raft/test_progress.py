"""Flow control of the leader's per-follower progress (etcd tracker semantics)."""

from __future__ import annotations

from kuradb.raft.progress import Inflights, Progress, ProgressState


def test_inflights_bound_and_free() -> None:
    inf = Inflights(3)
    for i in (5, 7, 9):
        inf.add(i)
    assert inf.full()
    inf.free_le(7)
    assert inf.count() == 1 and not inf.full()


def test_probe_pauses_after_one_append() -> None:
    pr = Progress(match=3, next=4)
    assert not pr.is_paused()
    pr.sent_entries(6)
    assert pr.is_paused() and pr.next == 4  # probe does not advance optimistically


def test_replicate_optimistic_and_inflight_bound() -> None:
    pr = Progress(match=3, next=4, inflights=Inflights(2))
    pr.become_replicate()
    pr.sent_entries(5)
    pr.sent_entries(7)
    assert pr.next == 8 and pr.is_paused()
    assert pr.maybe_update(5)
    pr.inflights.free_le(5)
    assert not pr.is_paused()


def test_maybe_decr_to_stale_and_hint() -> None:
    """Raft paper §5.3: after a rejection the leader decrements nextIndex and retries."""
    pr = Progress(match=0, next=10)
    assert not pr.maybe_decr_to(5, 3)  # stale rejection
    assert pr.maybe_decr_to(9, 4)
    assert pr.next == 5
    rep = Progress(match=5, next=9)
    rep.become_replicate()
    assert not rep.maybe_decr_to(4, 0)
    assert rep.maybe_decr_to(7, 0) and rep.next == 6


def test_snapshot_state() -> None:
    pr = Progress(match=2, next=3)
    pr.become_snapshot(10)
    assert pr.is_paused() and pr.state == ProgressState.SNAPSHOT
    pr.become_probe()
    assert pr.next == 11
