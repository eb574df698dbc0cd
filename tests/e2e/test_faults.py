"""Crash and restart members of a real cluster under SDK traffic: nothing acknowledged is lost.

Rules the tests check (design §1, §4, §5):

* A write is acknowledged only once durable on a majority, so kill -9 of one node (any AZ, here
  one that leads at least one partition) loses no acknowledged write, and after a new election
  the SDK's retries (same request id, so at most one application) keep the write loop going.
* The coordinator's metadata lives in its own durable Raft group and the router is stateless:
  restarting either loses nothing, and the cluster serves reads and writes again afterwards.

These tests kill and restart members, so they run on ``private_cluster``, never the shared one.
Every member a test killed is restarted by the ``whole_cluster`` fixture, even when it fails.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from kuradb.client import DefaultRetryPolicy, KuraClient
from kuradb.tools import up

from tests.e2e.conftest import create_table, leader_nodes, wait_until

pytestmark = pytest.mark.timeout(240)

# Patient enough to ride out an election (a few seconds at the launcher's 100 ms tick), bounded
# by the call deadline; a stuck attempt is retried after attempt_timeout with the same request id.
RETRY = DefaultRetryPolicy(max_attempts=30)


def _client(cluster: up.LocalCluster) -> KuraClient:
    return KuraClient(cluster.endpoint, timeout=45.0, attempt_timeout=5.0, retry=RETRY)


@pytest.fixture
def whole_cluster(private_cluster: up.LocalCluster) -> Iterator[up.LocalCluster]:
    yield private_cluster
    for child in list(private_cluster.children):
        if child.proc.poll() is not None:
            private_cluster.restart(child.spec.name)


@dataclass
class WriteLoop:
    """Writes ``w-<n>`` = n for n = 0, 1, ... on its own thread until stopped, recording which
    writes were acknowledged and which failed even after the SDK's retries.

    Each write is an UpdateItem that also does ``ADD applied 1`` on a fresh key, so an item
    with ``applied`` > 1 proves a retried attempt was applied twice (request-id dedup broken)."""

    client: KuraClient
    table: str
    acked: list[int] = field(default_factory=list)
    acked_at: list[float] = field(default_factory=list)  # monotonic time of each acknowledgement
    failed: list[tuple[int, BaseException]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="e2e-write-loop", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            try:
                self.client.update_item(
                    TableName=self.table, Key={"pk": {"S": f"w-{n}"}}, UpdateExpression="SET n = :n ADD applied :one",
                    ExpressionAttributeValues={":n": {"N": str(n)}, ":one": {"N": "1"}},
                )  # fmt: skip
            except Exception as e:  # outcome unknown: not acknowledged, so not checked below
                self.failed.append((n, e))
            else:
                self.acked_at.append(time.monotonic())
                self.acked.append(n)
            n += 1

    def wait_for(self, count: int, timeout: float = 90.0) -> None:
        try:
            wait_until(f"{count} acknowledged writes", lambda: len(self.acked) >= count, timeout=timeout)
        except AssertionError as e:
            raise AssertionError(f"{e}; have {len(self.acked)}, {len(self.failed)} failed, "
                                 f"first failures: {self.failed[:3]}") from None  # fmt: skip

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
            assert not self._thread.is_alive(), "the write loop did not stop"


def _assert_all_readable(client: KuraClient, table: str, acked: list[int]) -> None:
    """Every acknowledged write is there, applied once, by strong read (100 keys per BatchGetItem)."""
    missing: list[int] = []
    twice: list[int] = []
    for start in range(0, len(acked), 100):
        chunk = acked[start:start + 100]
        request = {table: {"Keys": [{"pk": {"S": f"w-{n}"}} for n in chunk], "ConsistentRead": True}}
        found: dict[str, dict[str, dict[str, str]]] = {}
        while request:
            resp = client.batch_get_item(RequestItems=request)
            found.update({i["pk"]["S"]: i for i in resp["Responses"].get(table, [])})
            request = resp.get("UnprocessedKeys") or {}
        missing += [n for n in chunk if found.get(f"w-{n}", {}).get("n") != {"N": str(n)}]
        twice += [n for n in chunk if found.get(f"w-{n}", {}).get("applied", {"N": "1"}) != {"N": "1"}]
    assert missing == [], f"{len(missing)} acknowledged writes lost, e.g. {missing[:10]}"
    assert twice == [], f"{len(twice)} writes applied more than once, e.g. {twice[:10]}"


def _kill_during_write_loop(cluster: up.LocalCluster, client: KuraClient, table: str, victim: int) -> None:
    """kill -9 node ``victim`` while a write loop runs; the loop must keep succeeding, every
    acknowledged write must be readable with the node down and after its restart."""
    loop = WriteLoop(client, table)
    loop.start()
    try:
        loop.wait_for(50)
        assert cluster.kill(f"node-{victim}") == -9
        killed_at = len(loop.acked)
        loop.wait_for(killed_at + 150)  # the loop keeps succeeding with one node gone
    finally:
        loop.stop()
    assert loop.failed == [], f"writes failed despite retries: {loop.failed[:3]}"
    gap = max(b - a for a, b in zip(loop.acked_at[killed_at - 1:], loop.acked_at[killed_at:]))
    print(f"node-{victim} killed after {killed_at} acks; {len(loop.acked)} acked in all; "
          f"longest pause between acks after the kill: {gap:.2f} s")  # informative, not asserted
    _assert_all_readable(client, table, loop.acked)  # with the node still down

    cluster.restart(f"node-{victim}")
    client.put_item(TableName=table, Item={"pk": {"S": "after-restart"}, "n": {"N": "1"}})
    _assert_all_readable(client, table, loop.acked)
    assert client.get_item(TableName=table, Key={"pk": {"S": "after-restart"}}, ConsistentRead=True)["Item"]


def test_kill_a_leader_node_during_a_write_loop_loses_no_acknowledged_write(whole_cluster: up.LocalCluster) -> None:
    cluster, name = whole_cluster, "e2e-kill-leader"
    with _client(cluster) as client:
        create_table(client, name, rcu=9000, wcu=3000)  # 3 partitions: leaders spread over the nodes
        wait_until("every partition to report a leader", lambda: len(leader_nodes(cluster, name)) >= 3)
        victim, _ = Counter(leader_nodes(cluster, name).values()).most_common(1)[0]  # leads the most
        _kill_during_write_loop(cluster, client, name, victim)


@pytest.mark.parametrize("az", up.DEFAULT_AZS)
def test_kill_the_node_of_any_az_during_a_write_loop_loses_no_acknowledged_write(
    whole_cluster: up.LocalCluster, az: str
) -> None:
    """Whatever it leads or follows: the partitions of a 3-AZ table survive the loss of any one AZ."""
    cluster, name = whole_cluster, f"e2e-kill-{az}"
    victim = next(c.spec.node_id for c in cluster.children if c.spec.stage == up.NODE_STAGE and c.spec.az == az)
    with _client(cluster) as client:
        create_table(client, name, rcu=9000, wcu=3000)
        _kill_during_write_loop(cluster, client, name, victim)


def _fill(client: KuraClient, table: str, count: int) -> list[int]:
    with client.Table(table).batch_writer() as writer:
        for n in range(count):
            writer.put_item(Item={"pk": f"w-{n}", "n": n})
    return list(range(count))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["graceful", "kill-9"])
@pytest.mark.parametrize("member", ["coordinator-1", "router"])
def test_restart_loses_nothing(whole_cluster: up.LocalCluster, member: str, sig: signal.Signals) -> None:
    cluster = whole_cluster
    name = f"e2e-restart-{member}-{sig.name.lower()}"
    with _client(cluster) as client:
        create_table(client, name, sort_key=None)
        acked = _fill(client, name, 200)
        before = client.describe_table(TableName=name)["Table"]

        cluster.kill(member, sig)
        cluster.restart(member)

        assert client.describe_table(TableName=name)["Table"]["TableId"] == before["TableId"]
        assert name in client.list_tables()["TableNames"]
        _assert_all_readable(client, name, acked)
        assert sorted(int(i["n"]) for page in client.Table(name).scan_pages() for i in page["Items"]) == acked
        # ... and the cluster takes writes, and new tables, again
        client.put_item(TableName=name, Item={"pk": {"S": "w-200"}, "n": {"N": "200"}})
        _assert_all_readable(client, name, [*acked, 200])
        create_table(client, f"{name}-after")
        client.put_item(TableName=f"{name}-after", Item={"pk": {"S": "x"}})
        assert client.get_item(TableName=f"{name}-after", Key={"pk": {"S": "x"}}, ConsistentRead=True)["Item"]


def test_data_path_works_while_the_coordinator_is_down(whole_cluster: up.LocalCluster) -> None:
    """The router forwards on its cached partition map: reads and writes of an existing table
    do not need the coordinator (only table operations do)."""
    cluster = whole_cluster
    name = "e2e-coordinator-down"
    with _client(cluster) as client:
        create_table(client, name)
        acked = _fill(client, name, 50)
        cluster.kill("coordinator-1")
        client.put_item(TableName=name, Item={"pk": {"S": "w-50"}, "n": {"N": "50"}})
        _assert_all_readable(client, name, [*acked, 50])
        cluster.restart("coordinator-1")
        _assert_all_readable(client, name, [*acked, 50])
