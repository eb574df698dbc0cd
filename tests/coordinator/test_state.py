"""The metadata state machine: lifecycle, ids, newer-epoch-only map updates, determinism, snapshots."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kuradb.coordinator.state import (
    ACTIVE,
    CREATING,
    DELETING,
    CoordinatorMachine,
    CoordinatorState,
    NodeRecord,
    cmd_alloc,
    cmd_create_table,
    cmd_delete_table,
    cmd_heartbeat,
    cmd_reports,
    cmd_table_active,
    cmd_table_removed,
    cmd_update_table,
    encode_command,
)
from kuradb.coordinator.tables import parse_create_table, parse_update_table
from kuradb.errors import InternalServerError, ResourceInUseException, ResourceNotFoundException, ValidationException
from kuradb.keys import HASH_SPACE
from kuradb.node.descriptor import Epoch

LIVENESS = 10.0


def spec(name: str = "Tab1", rcu: int = 5, wcu: int = 5) -> Any:
    return parse_create_table({
        "TableName": name,
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "ProvisionedThroughput": {"ReadCapacityUnits": rcu, "WriteCapacityUnits": wcu},
    })  # fmt: skip


def with_nodes(per_az: int = 1, now: float = 100.0) -> CoordinatorState:
    s = CoordinatorState()
    for i, az in enumerate(("az-a", "az-b", "az-c")):
        for j in range(per_az):
            nid = i * 10 + j + 1
            s.apply(cmd_heartbeat(NodeRecord(nid, f"127.0.0.1:{7000 + nid}", az), now)).unwrap()
    return s


def create(s: CoordinatorState, name: str = "Tab1", now: float = 101.0, **kw: Any) -> Any:
    return s.apply(cmd_create_table(spec(name, **kw), now, 3, LIVENESS))


def test_create_table_places_partitions_and_allocates_ids() -> None:
    s = with_nodes(per_az=2)
    v0 = s.map_version
    rec = create(s).unwrap()
    assert rec.table_id == 1 and rec.status == CREATING and rec.created_at == 101.0
    parts = s.table_partitions(s.table("Tab1"))
    assert len(parts) == 2  # one per node of the largest AZ
    assert parts[0].start_h == 0 and parts[-1].end_h == HASH_SPACE
    replica_ids = [r.replica_id for p in parts for r in p.replicas]
    assert replica_ids == list(range(1, 7))
    for p in parts:
        assert sorted(r.az for r in p.replicas) == ["az-a", "az-b", "az-c"]
        assert p.epoch == Epoch(1, 1)
    assert s.map_version == v0 + 1
    rec2 = create(s, "Tab2").unwrap()
    assert rec2.table_id == 2 and s.table("Tab2").partition_ids == [3, 4]


def test_duplicate_missing_and_in_use_errors() -> None:
    s = with_nodes()
    create(s).unwrap()
    err = create(s).error
    assert isinstance(err, ResourceInUseException) and err.message == "Table already exists: Tab1"
    err = s.apply(cmd_delete_table("nope", 1.0)).error
    assert isinstance(err, ResourceNotFoundException)
    assert err.message == "Requested resource not found: Table: nope not found"
    err = s.apply(cmd_delete_table("Tab1", 1.0)).error
    assert isinstance(err, ResourceInUseException)
    assert err.message == "Attempt to change a resource which is still in use: Table is being created: Tab1"


def test_not_enough_azs_consumes_no_ids() -> None:
    s = CoordinatorState()
    s.apply(cmd_heartbeat(NodeRecord(1, "h:1", "az-a"), 100.0)).unwrap()
    err = create(s).error
    assert isinstance(err, InternalServerError) and "3 availability zones" in err.message
    assert (s.next_table_id, s.next_partition_id, s.next_replica_id) == (1, 1, 1)


def test_dead_nodes_are_not_used() -> None:
    s = with_nodes(per_az=2, now=100.0)
    s.apply(cmd_heartbeat(NodeRecord(1, "127.0.0.1:7001", "az-a"), 200.0)).unwrap()  # only node 1 of az-a fresh
    s.apply(cmd_heartbeat(NodeRecord(11, "127.0.0.1:7011", "az-b"), 200.0)).unwrap()
    s.apply(cmd_heartbeat(NodeRecord(21, "127.0.0.1:7021", "az-c"), 200.0)).unwrap()
    create(s, now=205.0).unwrap()
    used = {r.node_id for p in s.table_partitions(s.table("Tab1")) for r in p.replicas}
    assert used == {1, 11, 21}


def test_full_lifecycle() -> None:
    s = with_nodes()
    rec = create(s).unwrap()
    assert s.apply(cmd_table_active("Tab1", rec.table_id)).unwrap() is True
    assert s.table("Tab1").status == ACTIVE
    desc = s.table("Tab1").describe(item_count=3, size_bytes=99)
    assert desc["TableStatus"] == ACTIVE and desc["ItemCount"] == 3 and desc["TableSizeBytes"] == 99
    assert desc["TableArn"] == "arn:aws:dynamodb:local:000000000000:table/Tab1"
    assert desc["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert desc["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    upd = parse_update_table({"TableName": "Tab1", "ProvisionedThroughput": {"ReadCapacityUnits": 9, "WriteCapacityUnits": 2}})
    rec = s.apply(cmd_update_table(upd, 300.0)).unwrap()
    pt = rec.describe()["ProvisionedThroughput"]
    assert (pt["ReadCapacityUnits"], pt["WriteCapacityUnits"], pt["NumberOfDecreasesToday"]) == (9, 2, 1)
    assert pt["LastIncreaseDateTime"] == pt["LastDecreaseDateTime"] == 300.0
    same = s.apply(cmd_update_table(upd, 301.0)).error
    assert isinstance(same, ValidationException) and same.message.startswith(
        "The provisioned throughput for the table will not change. The requested value equals the current value. "
        "Current ReadCapacityUnits provisioned for the table: 9. Requested ReadCapacityUnits: 9."
    )
    ppr = s.apply(cmd_update_table(parse_update_table({"TableName": "Tab1", "BillingMode": "PAY_PER_REQUEST"}), 302.0)).unwrap()
    assert ppr.describe()["BillingModeSummary"] == {"BillingMode": "PAY_PER_REQUEST", "LastUpdateToPayPerRequestDateTime": 302.0}
    pt_on_ppr = parse_update_table({"TableName": "Tab1", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}})
    err = s.apply(cmd_update_table(pt_on_ppr, 303.0)).error
    assert isinstance(err, ValidationException) and "when BillingMode is PAY_PER_REQUEST" in err.message
    rec = s.apply(cmd_delete_table("Tab1", 400.0)).unwrap()
    assert rec.status == DELETING
    assert s.apply(cmd_table_removed("Tab1", rec.table_id)).unwrap() is True
    assert "Tab1" not in s.tables and not s.partitions
    # ids are never reused
    assert create(s, "Tab1").unwrap().table_id == 2


def test_list_tables_paging() -> None:
    s = with_nodes()
    for n in ("ccc", "aaa", "bbb", "ddd"):
        create(s, n).unwrap()
    assert s.list_tables(None, 2) == (["aaa", "bbb"], "bbb")
    assert s.list_tables("bbb", 2) == (["ccc", "ddd"], None)
    assert s.list_tables(None, 100) == (["aaa", "bbb", "ccc", "ddd"], None)


def test_reports_accept_only_newer_epochs() -> None:
    s = with_nodes()
    create(s).unwrap()
    (d,) = s.table_partitions(s.table("Tab1"))
    v = s.map_version
    older = dataclasses.replace(d, epoch=Epoch(1, 1), start_h=0)
    assert s.apply(cmd_reports([older], [])).unwrap() == 0 and s.map_version == v
    newer = dataclasses.replace(d, epoch=Epoch(1, 2), replicas=d.replicas[:2])
    assert s.apply(cmd_reports([newer], [])).unwrap() == 1 and s.map_version == v + 1
    assert s.partitions[d.partition_id].replicas == d.replicas[:2]
    stale = dataclasses.replace(d, epoch=Epoch(1, 1))
    s.apply(cmd_reports([stale], [])).unwrap()
    assert s.partitions[d.partition_id].epoch == Epoch(1, 2)
    # leader hints: newer terms win, older are ignored
    s.apply(cmd_reports([], [(d.partition_id, 2, 5)])).unwrap()
    s.apply(cmd_reports([], [(d.partition_id, 1, 4)])).unwrap()
    assert s.leader_hint(d.partition_id) == 2


def test_split_child_report_extends_table_and_allocator() -> None:
    s = with_nodes()
    create(s).unwrap()
    (d,) = s.table_partitions(s.table("Tab1"))
    parent, child = d.split(HASH_SPACE // 2, 50, (60, 61, 62))
    s.apply(cmd_reports([parent, child], [])).unwrap()
    assert [p.partition_id for p in s.table_partitions(s.table("Tab1"))] == [d.partition_id, 50]
    assert s.next_partition_id == 51 and s.next_replica_id == 63
    assert s.apply(cmd_alloc(partitions=2, replicas=1)).unwrap() == {"partitions": [51, 52], "replicas": [63]}


def test_snapshot_restore_round_trip() -> None:
    s = with_nodes(per_az=2)
    create(s).unwrap()
    create(s, "Tab2", rcu=7000).unwrap()
    s.apply(cmd_table_active("Tab1", 1)).unwrap()
    s.apply(cmd_reports([], [(1, 2, 3)])).unwrap()
    r = CoordinatorState.restore(s.snapshot())
    assert r.snapshot() == s.snapshot()
    assert r.tables["Tab1"].describe() == s.tables["Tab1"].describe()
    assert r.partitions == s.partitions and r.nodes == s.nodes and r.leaders == s.leaders
    assert (r.next_table_id, r.next_partition_id, r.next_replica_id, r.map_version) == (
        s.next_table_id, s.next_partition_id, s.next_replica_id, s.map_version)  # fmt: skip


def test_unknown_command_stops_apply() -> None:
    with pytest.raises(ValueError, match="unknown coordinator command"):
        CoordinatorState().apply({"op": "frobnicate"})


_NAMES = st.sampled_from(["t01", "t02", "t03"])
_COMMANDS = st.one_of(
    st.builds(lambda n, t: cmd_create_table(spec(n), t, 3, LIVENESS), _NAMES, st.floats(100, 120)),
    st.builds(lambda n, i: cmd_table_active(n, i), _NAMES, st.integers(1, 4)),
    st.builds(lambda n, t: cmd_delete_table(n, t), _NAMES, st.floats(100, 120)),
    st.builds(lambda n, i: cmd_table_removed(n, i), _NAMES, st.integers(1, 4)),
    st.builds(lambda nid, t: cmd_heartbeat(NodeRecord(nid, f"h:{nid}", f"az-{nid % 3}"), t), st.integers(1, 6), st.floats(90, 120)),
    st.builds(lambda p, r, t: cmd_reports([], [(p, r, t)]), st.integers(1, 6), st.integers(1, 12), st.integers(1, 5)),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_COMMANDS, max_size=25))
def test_apply_is_deterministic(cmds: list[dict[str, Any]]) -> None:
    """Two replicas applying the same log (through the byte encoding) end byte-identical, and a
    replica restored from a mid-log snapshot converges too."""
    a, b = CoordinatorMachine(), CoordinatorMachine()
    mid = len(cmds) // 2
    for i, c in enumerate(cmds):
        data = encode_command(c)
        ra, rb = a.apply(data), b.apply(data)
        assert (ra.error is None) == (rb.error is None)
        if i + 1 == mid:
            b.restore(b.snapshot())
    assert a.snapshot() == b.snapshot()


def test_orphans_after_removal() -> None:
    s = with_nodes()
    rec = create(s).unwrap()
    (d,) = s.table_partitions(s.table("Tab1"))
    assert not s.is_orphan(d) and not s.accepts_descriptor(d)  # known, same epoch
    s.apply(cmd_table_active("Tab1", rec.table_id)).unwrap()
    s.apply(cmd_delete_table("Tab1", 1.0)).unwrap()
    s.apply(cmd_table_removed("Tab1", rec.table_id)).unwrap()
    assert s.is_orphan(d) and not s.accepts_descriptor(d)
    s.apply(cmd_reports([d], [(d.partition_id, 1, 9)])).unwrap()
    assert d.partition_id not in s.partitions and not s.leaders
