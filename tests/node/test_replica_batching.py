"""Write batching in PartitionReplica: ``queue_data`` / ``flush_proposals`` (node/replica.py).

The module rules under test:

* writes queued in one step phase reach the core as ONE ``propose_batch`` at the next flush and
  get consecutive indexes in submission order; nothing is in the log before the flush;
* every other proposal path (``propose_data``, ``propose_split``, ``transfer_leader``) flushes
  the queue first, so the log follows submission order;
* a queued write is not in the log: if the core refuses the batch (leadership lost meanwhile),
  ``fail_all`` or ``abandon`` runs, its future fails with NOT_LEADER (or is forgotten), and a
  retry with the same request id applies exactly once.

Driven by the single-voter ``Rig`` of test_replica.py (persist -> apply -> advance, no network).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kuradb.node.codec import WriteResult, decode_command
from kuradb.node.replica import EntryKind, Unavailable, decode_entry_data
from kuradb.raft.types import NONE, EntryType, StateType
from tests.node.test_driver import cluster, create_partition
from tests.node.test_replica import HALF, Rig

COUNTER = {"TableName": "t", "Key": {"pk": {"S": "ctr"}}, "UpdateExpression": "ADD n :one",
           "ExpressionAttributeValues": {":one": {"N": "1"}}, "ReturnValues": "UPDATED_NEW"}  # fmt: skip


class BatchSpy:
    """Records every ``propose_batch`` call of the replica's RawNode (then forwards it)."""

    def __init__(self, rig: Rig) -> None:
        self.calls: list[int] = []
        raw = rig.r.raw
        inner = raw.propose_batch

        def spy(datas: list[bytes]) -> None:
            self.calls.append(len(datas))
            inner(datas)

        raw.propose_batch = spy  # type: ignore[method-assign]


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    r = Rig(tmp_path)
    r.elect()
    r.cycle()
    yield r
    r.close()
    r.loop.close()


def _queue_put(rig: Rig, key: str, request_id: bytes | None = None) -> asyncio.Future[Any]:
    fut = rig.loop.create_future()
    rig.r.queue_data("PutItem", {"TableName": "t", "Item": {"pk": {"S": key}}}, request_id, fut)
    return fut


def _queue_add(rig: Rig, request_id: bytes) -> asyncio.Future[Any]:
    fut = rig.loop.create_future()
    rig.r.queue_data("UpdateItem", COUNTER, request_id, fut)
    return fut


def _data_log(rig: Rig, first: int) -> list[tuple[int, EntryKind, bytes]]:
    """(index, kind, proposal id) of the non-empty normal entries from ``first`` on."""
    log = rig.r.raw.raft.raft_log
    out = []
    for e in log.slice(first, log.last_index() + 1, None):
        if e.type == EntryType.NORMAL and e.data:
            kind, pid, _ = decode_entry_data(e.data)
            out.append((e.index, kind, pid))
    return out


def _step_down(rig: Rig) -> None:
    """What a message of a higher term does (Raft paper §5.1): the leader becomes a follower of
    that term, with no known leader. (A single-voter group has no peer to send that message.)"""
    raft = rig.r.raw.raft
    raft.become_follower(raft.term + 1, NONE)
    assert raft.state == StateType.FOLLOWER


def _failed_code(fut: asyncio.Future[Any]) -> str:
    e = fut.exception()
    assert isinstance(e, Unavailable), e
    return e.code


def test_queued_writes_become_one_batch_at_consecutive_indexes_in_order(rig: Rig) -> None:
    spy = BatchSpy(rig)
    last = rig.r.raw.raft.raft_log.last_index()
    futs = [_queue_put(rig, f"k{i}") for i in range(8)]
    assert rig.r.raw.raft.raft_log.last_index() == last  # not in the log before the flush
    rig.r.flush_proposals()
    assert spy.calls == [8]
    entries = _data_log(rig, last + 1)
    assert [ix for ix, _, _ in entries] == list(range(last + 1, last + 9))
    # Submission order: the i-th queued write is tracked at (and is) the i-th index.
    pid_at = {ix: pid for ix, _, pid in entries}
    for i in range(8):
        assert rig.r._pending_at[last + 1 + i] == pid_at[last + 1 + i]
        assert rig.r._pending[pid_at[last + 1 + i]].future is futs[i]
    rig.cycle()
    assert all(isinstance(f.result(), WriteResult) and f.result().error is None for f in futs)
    assert rig.r.sm.stats().keys == 8
    rig.r.flush_proposals()  # empty queue: nothing proposed
    assert spy.calls == [8]


def test_propose_data_after_queued_writes_lands_after_them(rig: Rig) -> None:
    spy = BatchSpy(rig)
    last = rig.r.raw.raft.raft_log.last_index()
    queued = [_queue_put(rig, f"q{i}") for i in range(3)]
    direct = rig.put("direct")  # propose_data: flushes the queue first
    assert spy.calls == [3]
    entries = _data_log(rig, last + 1)
    assert [ix for ix, _, _ in entries] == list(range(last + 1, last + 5))
    assert rig.r._pending[entries[-1][2]].future is direct
    rig.cycle()
    assert all(f.result().error is None for f in [*queued, direct])


def test_split_after_queued_writes_lands_after_them(rig: Rig) -> None:
    last = rig.r.raw.raft.raft_log.last_index()
    queued = [_queue_put(rig, f"q{i}") for i in range(3)]
    split = rig.loop.create_future()
    rig.r.propose_split(HALF, 2, [20], 1, split)
    kinds = [kind for _, kind, _ in _data_log(rig, last + 1)]
    assert kinds == [EntryKind.DATA] * 3 + [EntryKind.SPLIT]
    rig.cycle()
    assert all(f.result().error is None for f in queued)
    assert split.done() and split.exception() is None
    assert rig.r.descriptor.end_h == HALF


def test_transfer_leader_flushes_queued_writes_first(rig: Rig) -> None:
    """A transfer in progress makes the core drop proposals; queued writes must already be in."""
    last = rig.r.raw.raft.raft_log.last_index()
    futs = [_queue_put(rig, f"q{i}") for i in range(2)]
    rig.r.transfer_leader(rig.r.raw.raft.id)  # to itself: a no-op for the core, after the flush
    assert len(_data_log(rig, last + 1)) == 2
    rig.cycle()
    assert all(f.result().error is None for f in futs)


def test_step_down_between_queue_and_flush_fails_not_leader_and_retry_applies_once(rig: Rig) -> None:
    first = [_queue_add(rig, b"req-%d" % i) for i in range(3)]
    last = rig.r.raw.raft.raft_log.last_index()
    _step_down(rig)
    rig.r.flush_proposals()
    assert [_failed_code(f) for f in first] == ["NOT_LEADER"] * 3
    assert rig.r.raw.raft.raft_log.last_index() == last and not rig.r._pending
    rig.cycle()
    # Re-elected (a single voter): the client retries with the same request ids, one of them twice.
    rig.elect()
    rig.cycle()
    retry = [_queue_add(rig, b"req-%d" % i) for i in (0, 1, 2, 2)]
    rig.r.flush_proposals()
    rig.cycle()
    values = [f.result().attributes["n"]["N"] for f in retry]
    assert values == ["1", "2", "3", "3"]  # each request applied exactly once; the duplicate deduped


def test_fail_all_fails_queued_writes_not_leader(rig: Rig) -> None:
    flushed = _queue_put(rig, "flushed")
    in_log = rig.put("in-log")  # flushes "flushed" into the log ahead of itself
    queued = [_queue_put(rig, f"q{i}") for i in range(2)]
    rig.r.fail_all("replica closing")
    assert [_failed_code(f) for f in queued] == ["NOT_LEADER", "NOT_LEADER"]  # never reached the log
    # In the log: may still commit elsewhere, so only a retry with the request id is safe.
    assert [_failed_code(f) for f in (flushed, in_log)] == ["UNDETERMINED", "UNDETERMINED"]
    assert not rig.r._queued and not rig.r._pending
    # Nothing is left to propose: a later flush does nothing.
    last = rig.r.raw.raft.raft_log.last_index()
    rig.r.flush_proposals()
    assert rig.r.raw.raft.raft_log.last_index() == last


def test_fail_all_with_only_queued_writes(rig: Rig) -> None:
    queued = [_queue_put(rig, f"q{i}") for i in range(3)]
    last = rig.r.raw.raft.raft_log.last_index()
    rig.r.fail_all("shutting down")
    assert [_failed_code(f) for f in queued] == ["NOT_LEADER"] * 3
    rig.r.flush_proposals()
    assert rig.r.raw.raft.raft_log.last_index() == last


def test_abandon_drops_a_queued_write_before_it_reaches_the_log(rig: Rig) -> None:
    keep = _queue_put(rig, "keep")
    gone = _queue_put(rig, "gone")
    rig.r.abandon(gone)
    last = rig.r.raw.raft.raft_log.last_index()
    rig.r.flush_proposals()
    assert rig.r.raw.raft.raft_log.last_index() == last + 1
    rig.cycle()
    assert keep.result().error is None and not gone.done()
    assert rig.r.sm.stats().keys == 1


def test_queue_refuses_at_once_when_not_leader_or_busy(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    try:
        with pytest.raises(Unavailable) as e:
            _queue_put(rig, "a")
        assert e.value.code == "NOT_LEADER"
        rig.elect()
        rig.cycle()
        rig.r.config = replace(rig.r.config, max_pending=3)
        rig.put("in-log")
        _queue_put(rig, "q1")
        _queue_put(rig, "q2")
        with pytest.raises(Unavailable) as e:  # pending + queued count together
            _queue_put(rig, "q3")
        assert e.value.code == "SERVER_BUSY"
    finally:
        rig.close()
        rig.loop.close()


# ----------------------------------------------------------------------------- through the driver


@pytest.mark.timeout(60)
def test_driver_proposes_one_step_phase_of_writes_as_one_batch(tmp_path: Path) -> None:
    """node/driver.py rule 2: actions submitted before a step phase run together, and the
    replica's queued writes then enter the core as ONE batch (three nodes, real gRPC), in
    submission order, and every future resolves once its entry applies."""
    n = 12

    async def scenario() -> None:
        async with cluster(tmp_path) as c:
            await create_partition(c)
            for attempt in range(20):  # a leader change on a loaded machine: try again
                node = await c.leader()
                replica = node.driver.replicas[1]
                batches: list[list[bytes]] = []
                inner = replica.raw.propose_batch

                def spy(datas: list[bytes], inner: Any = inner) -> None:
                    batches.append(list(datas))
                    inner(datas)

                replica.raw.propose_batch = spy
                keys = [f"d{attempt}.{i}" for i in range(n)]
                futs = [
                    node.driver.submit(
                        lambda f, k=k: replica.queue_data(
                            "PutItem", {"TableName": "t", "Item": {"pk": {"S": k}}}, None, f
                        )
                    )
                    for k in keys
                ]
                done = await asyncio.gather(*futs, return_exceptions=True)
                replica.raw.propose_batch = inner
                if any(isinstance(r, Unavailable) for r in done):
                    continue
                assert all(isinstance(r, WriteResult) and r.error is None for r in done), done
                assert [len(b) for b in batches] == [n]
                order = [decode_command(decode_entry_data(d)[2]).request["Item"]["pk"]["S"] for d in batches[0]]
                assert order == keys
                return
            raise AssertionError("no stable leader for 20 attempts")

    asyncio.run(scenario())
