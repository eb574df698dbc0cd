"""Request validation of kuradb.operations: DynamoDB's exact messages for parameter errors."""

from __future__ import annotations

from typing import Any

import pytest

from kuradb.errors import ResourceNotFoundException, ValidationException
from kuradb.operations import (
    parse_batch_get_item,
    parse_batch_write_item,
    parse_delete_item,
    parse_get_item,
    parse_put_item,
    parse_scan,
    parse_update_item,
)
from tests.node.helpers import HASH_TABLE, RANGE_TABLE, n, s

KEY = {"pk": s("a"), "sk": n(1)}


def msg(fn: Any, req: dict[str, Any], table: Any = RANGE_TABLE) -> str:
    with pytest.raises(ValidationException) as ei:
        fn(req, table)
    return ei.value.message


def test_put_item_ok_and_normalized() -> None:
    op = parse_put_item({"TableName": "orders", "Item": {"pk": s("a"), "sk": n("1.50"), "x": n("007")}}, RANGE_TABLE)
    assert op.key == {"pk": s("a"), "sk": n("1.5")}
    assert op.item["x"] == n("7")
    assert op.return_values == "NONE" and op.expr.condition is None


@pytest.mark.parametrize("rv", ["UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"])
def test_put_delete_return_values(rv: str) -> None:
    assert msg(parse_put_item, {"Item": {**KEY}, "ReturnValues": rv}) == "ReturnValues can only be ALL_OLD or NONE"
    assert msg(parse_delete_item, {"Key": KEY, "ReturnValues": rv}) == "ReturnValues can only be ALL_OLD or NONE"


def test_return_values_enum() -> None:
    assert msg(parse_update_item, {"Key": KEY, "ReturnValues": "ALL"}) == (
        "1 validation error detected: Value 'ALL' at 'returnValues' failed to satisfy constraint: "
        "Member must satisfy enum value set: [NONE, ALL_OLD, UPDATED_OLD, ALL_NEW, UPDATED_NEW]"
    )
    assert msg(parse_put_item, {"Item": {**KEY}, "ReturnValuesOnConditionCheckFailure": "ALL_NEW"}) == (
        "1 validation error detected: Value 'ALL_NEW' at 'returnValuesOnConditionCheckFailure' failed to satisfy "
        "constraint: Member must satisfy enum value set: [ALL_OLD, NONE]"
    )
    assert "returnConsumedCapacity" in msg(parse_get_item, {"Key": KEY, "ReturnConsumedCapacity": "X"})


def test_item_and_key_errors() -> None:
    assert msg(parse_put_item, {"Item": {"pk": s("a")}}) == (
        "One or more parameter values were invalid: Missing the key sk in the item"
    )
    assert msg(parse_get_item, {"Key": {"pk": s("a")}}) == "The provided key element does not match the schema"
    assert msg(parse_get_item, {"Key": {**KEY, "x": s("b")}}) == "The provided key element does not match the schema"
    assert msg(parse_put_item, {"Item": {**KEY, "big": s("x" * 409_600)}}) == (
        "Item size has exceeded the maximum allowed size"
    )
    assert "must not be null" in msg(parse_delete_item, {})


def test_mixing_expression_and_legacy() -> None:
    assert msg(parse_get_item, {"Key": KEY, "ProjectionExpression": "a", "AttributesToGet": ["a"]}) == (
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"
    )
    assert msg(parse_get_item, {"Key": KEY, "ExpressionAttributeNames": {"#a": "a"}}) == (
        "ExpressionAttributeNames can only be specified when using expressions"
    )
    # DynamoDB appends ": ConditionExpression is null" (dynalite); kuradb.expressions owns this message.
    assert msg(parse_put_item, {"Item": {**KEY}, "ExpressionAttributeValues": {":a": s("a")}}).startswith(
        "ExpressionAttributeValues can only be specified when using expressions"
    )
    assert msg(parse_get_item, {"Key": KEY, "AttributesToGet": ["a", "a"]}) == (
        "One or more parameter values were invalid: Duplicate value in attribute name: a"
    )


def test_scan_parameters() -> None:
    t = HASH_TABLE
    assert msg(parse_scan, {"Limit": 0}, t) == (
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    )
    assert msg(parse_scan, {"Segment": 1}, t) == (
        "The TotalSegments parameter is required but was not present in the request when Segment parameter is present"
    )
    assert msg(parse_scan, {"TotalSegments": 2}, t) == (
        "The Segment parameter is required but was not present in the request when parameter TotalSegments is present"
    )
    assert msg(parse_scan, {"Segment": 2, "TotalSegments": 2}, t) == (
        "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
        "Segment: 2 is not less than TotalSegments: 2"
    )
    assert "less than or equal to 1000000" in msg(parse_scan, {"Segment": 0, "TotalSegments": 1_000_001}, t)
    assert "greater than or equal to 1" in msg(parse_scan, {"Segment": 0, "TotalSegments": 0}, t)
    assert "greater than or equal to 0" in msg(parse_scan, {"Segment": -1, "TotalSegments": 3}, t)
    op = parse_scan({"Segment": 999_999, "TotalSegments": 1_000_000}, t)
    assert (op.segment, op.total_segments) == (999_999, 1_000_000)


def test_scan_start_key_must_lie_in_the_segment() -> None:
    """A parallel scan's ExclusiveStartKey must hash into its own segment (DynamoDB)."""
    t = HASH_TABLE
    key = {t.key_schema.hash_name: s("a")}
    total = 7
    home = t.partition_hash(key) * total // 2**64
    op = parse_scan({"Segment": home, "TotalSegments": total, "ExclusiveStartKey": key}, t)
    lo, hi = op.hash_range()
    assert lo <= t.partition_hash(key) < hi
    other = (home + 1) % total
    assert msg(parse_scan, {"Segment": other, "TotalSegments": total, "ExclusiveStartKey": key}, t) == (
        "The provided Exclusive start key does not map to the provided Segment and TotalSegments values."
    )
    assert parse_scan({}, t).hash_range() == (0, 2**64)


def test_select_rules_scan_and_query_prefix() -> None:
    t = HASH_TABLE
    assert msg(parse_scan, {"Select": "SPECIFIC_ATTRIBUTES"}, t) == (
        "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"
    )
    assert msg(parse_scan, {"Select": "COUNT", "AttributesToGet": ["a"]}, t) == (
        "Cannot specify the AttributesToGet when choosing to get only the Count"
    )
    assert msg(parse_scan, {"Select": "ALL_ATTRIBUTES", "AttributesToGet": ["a"]}, t) == (
        "Cannot specify the AttributesToGet when choosing to get ALL_ATTRIBUTES"
    )
    assert msg(parse_scan, {"Select": "ALL_PROJECTED_ATTRIBUTES"}, t) == (
        "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"
    )
    assert msg(parse_scan, {"Select": "SOME"}, t).startswith("1 validation error detected: Value 'SOME' at 'select'")
    assert parse_scan({"Select": "COUNT"}, t).select == "COUNT"
    assert parse_scan({}, t).select == "ALL_ATTRIBUTES"


def test_exclusive_start_key_must_match_schema() -> None:
    assert msg(parse_scan, {"ExclusiveStartKey": {"pk": s("a")}}) == (
        "The provided starting key is invalid: The provided key element does not match the schema"
    )
    assert parse_scan({"ExclusiveStartKey": {"pk": s("a"), "sk": n("2.0")}}, RANGE_TABLE).exclusive_start_key == {
        "pk": s("a"),
        "sk": n(2),
    }


TABLES = {"orders": RANGE_TABLE, "users": HASH_TABLE}


def test_batch_get_validation() -> None:
    def bmsg(req: dict[str, Any]) -> str:
        with pytest.raises(ValidationException) as ei:
            parse_batch_get_item(req, TABLES)
        return ei.value.message

    assert "at 'requestItems'" in bmsg({"RequestItems": {}})
    assert "Member must have length greater than or equal to 1" in bmsg({"RequestItems": {"users": {"Keys": []}}})
    keys = [{"id": s(f"u{i}")} for i in range(101)]
    assert bmsg({"RequestItems": {"users": {"Keys": keys}}}) == "Too many items requested for the BatchGetItem call"
    dup = [{"pk": s("a"), "sk": n(1)}, {"pk": s("a"), "sk": n("1.0")}]
    assert bmsg({"RequestItems": {"orders": {"Keys": dup}}}) == "Provided list of item keys contains duplicates"
    with pytest.raises(ResourceNotFoundException):
        parse_batch_get_item({"RequestItems": {"nope": {"Keys": [{"id": s("a")}]}}}, TABLES)
    ok = parse_batch_get_item(
        {"RequestItems": {"users": {"Keys": keys[:60], "ConsistentRead": True}, "orders": {"Keys": dup[:1]}}}, TABLES
    )
    assert [len(t.gets) for t in ok.tables] == [60, 1]
    assert ok.tables[0].gets[0].consistent_read is True


def test_batch_write_validation() -> None:
    def bmsg(req: dict[str, Any]) -> str:
        with pytest.raises(ValidationException) as ei:
            parse_batch_write_item(req, TABLES)
        return ei.value.message

    put = lambda i: {"PutRequest": {"Item": {"id": s(f"u{i}")}}}  # noqa: E731
    assert bmsg({"RequestItems": {}}) == "BatchWriteItem cannot have a null or no requests set"
    assert "Member must have length greater than or equal to 1" in bmsg({"RequestItems": {"users": []}})
    # One table over 25: the per-table length constraint, checked before the total.
    one_table = bmsg({"RequestItems": {"users": [put(i) for i in range(26)]}})
    assert one_table.startswith("1 validation error detected: Value '{users=") and one_table.endswith(
        "at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have "
        "length less than or equal to 25, Member must have length greater than or equal to 1]"
    )
    # Each table within 25 but more than 25 in all: the total.
    orders = [{"DeleteRequest": {"Key": {"pk": s(f"o{i}"), "sk": n(1)}}} for i in range(6)]
    assert bmsg({"RequestItems": {"users": [put(i) for i in range(20)], "orders": orders}}) == (
        "Too many items requested for the BatchWriteItem call"
    )
    assert bmsg({"RequestItems": {"users": [put(1), {"DeleteRequest": {"Key": {"id": s("u1")}}}]}}) == (
        "Provided list of item keys contains duplicates"
    )
    assert "exactly one" in bmsg({"RequestItems": {"users": [{}]}})
    ok = parse_batch_write_item(
        {"RequestItems": {"users": [put(i) for i in range(20)], "orders": [{"DeleteRequest": {"Key": KEY}}]}}, TABLES
    )
    assert len(ok.writes) == 21
