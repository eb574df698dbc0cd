"""Property test: the state machine against a dict model, with retries and log replays."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kuradb.keys import HASH_SPACE
from kuradb.node.codec import encode_command
from kuradb.node.memory_engine import MemoryEngine
from kuradb.node.partition import PartitionStateMachine
from kuradb.operations import parse_scan
from tests.node.helpers import HASH_TABLE, s

KEYS = ["a", "b", "c"]

ops = st.lists(
    st.tuples(
        st.sampled_from(["put", "delete", "add", "replay"]),
        st.sampled_from(KEYS),
        st.integers(0, 9),
        st.one_of(st.none(), st.sampled_from([b"r1", b"r2", b"r3"])),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(ops)
def test_matches_model(script: list[tuple[str, str, int, bytes | None]]) -> None:
    sm = PartitionStateMachine(MemoryEngine(), HASH_TABLE, 0, HASH_SPACE, 1)
    model: dict[str, dict[str, Any]] = {}
    seen_rids: set[bytes] = set()
    log: list[bytes] = []
    for kind, key, v, rid in script:
        if kind == "replay":
            if log:  # re-delivering an old entry must change nothing
                assert sm.apply(1 + v % len(log), log[v % len(log)]) is None
            continue
        k = {"id": s(key)}
        if kind == "put":
            cmd = encode_command("PutItem", {"TableName": "users", "Item": {**k, "v": {"N": str(v)}}}, rid)
        elif kind == "delete":
            cmd = encode_command("DeleteItem", {"TableName": "users", "Key": k}, rid)
        else:
            cmd = encode_command("UpdateItem", {"TableName": "users", "Key": k, "UpdateExpression": "ADD c :n",
                                                "ExpressionAttributeValues": {":n": {"N": str(v)}}}, rid)  # fmt: skip
        log.append(cmd)
        assert sm.apply(len(log), cmd) is not None
        if rid is not None and rid in seen_rids:
            continue  # a retry: applied once already
        if rid is not None:
            seen_rids.add(rid)
        if kind == "put":
            model[key] = {**k, "v": {"N": str(v)}}
        elif kind == "delete":
            model.pop(key, None)
        else:
            item = model.setdefault(key, dict(k))
            item["c"] = {"N": str(int(item.get("c", {"N": "0"})["N"]) + v)}
    assert sm.applied_index == len(log)
    got = {i["id"]["S"]: i for i in sm.scan(parse_scan({"TableName": "users"}, HASH_TABLE)).items}
    assert got == model
