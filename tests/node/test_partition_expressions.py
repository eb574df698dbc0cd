"""Apply and reads with expressions: conditions, updates, ReturnValues, counters, Query paging."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kuradb.errors import ConditionalCheckFailedException, ValidationException
from kuradb.node.partition import PAGE_BYTES, Page, PartitionStateMachine
from kuradb.operations import parse_get_item, parse_query, parse_scan
from kuradb.model.values import item_size
from tests.node.helpers import Driver, n, s

MakeSM = Callable[..., PartitionStateMachine]
KEY = {"pk": s("a"), "sk": n(1)}


def upd(d: Driver, expr: str | None, values: dict | None = None, names: dict | None = None, **extra: Any) -> Any:
    req: dict[str, Any] = {"TableName": "orders", "Key": KEY, **extra}
    if expr is not None:
        req["UpdateExpression"] = expr
    if values:
        req["ExpressionAttributeValues"] = values
    if names:
        req["ExpressionAttributeNames"] = names
    return d.write("UpdateItem", req)


def current(sm: PartitionStateMachine, key: dict = KEY) -> dict | None:
    return sm.get_item(parse_get_item({"TableName": sm.table.name, "Key": key}, sm.table)).item


# ------------------------------------------------------------------ conditions


def test_put_condition(make_sm: MakeSM) -> None:
    d = Driver(make_sm())
    new = {**KEY, "v": n(1)}
    assert d.put(new, ConditionExpression="attribute_not_exists(pk)").error is None
    r = d.put({**KEY, "v": n(2)}, ConditionExpression="attribute_not_exists(pk)")
    assert isinstance(r.error, ConditionalCheckFailedException)
    assert r.error.message == "The conditional request failed" and r.error.item is None
    assert r.consumed_wcu == 1.0  # failed conditions are charged
    r = d.put({**KEY, "v": n(2)}, ConditionExpression="v = :one", ExpressionAttributeValues={":one": n(2)},
              ReturnValuesOnConditionCheckFailure="ALL_OLD")  # fmt: skip
    assert r.error.item == new
    assert current(d.sm) == new
    assert d.sm.applied_index == 3  # failed conditions still advance the applied index


def test_delete_condition(make_sm: MakeSM) -> None:
    d = Driver(make_sm())
    d.put({**KEY, "v": n(1)})
    req = {"TableName": "orders", "Key": KEY, "ConditionExpression": "v > :x", "ExpressionAttributeValues": {":x": n(5)}}
    assert isinstance(d.write("DeleteItem", req).error, ConditionalCheckFailedException)
    req["ExpressionAttributeValues"] = {":x": n(0)}
    assert d.write("DeleteItem", {**req, "ReturnValues": "ALL_OLD"}).attributes == {**KEY, "v": n(1)}
    assert current(d.sm) is None


def test_legacy_expected(make_sm: MakeSM) -> None:
    d = Driver(make_sm())
    d.put({**KEY, "v": n(1)})
    r = d.put({**KEY, "v": n(2)}, Expected={"v": {"Value": n(9)}})
    assert isinstance(r.error, ConditionalCheckFailedException)
    assert d.put({**KEY, "v": n(2)}, Expected={"v": {"Value": n(1)}}).error is None


# ------------------------------------------------------------------ updates and ReturnValues


def test_update_creates_item_and_counts(make_sm: MakeSM) -> None:
    d = Driver(make_sm())
    for _ in range(5):
        assert upd(d, "ADD hits :one", {":one": n(1)}).error is None
    assert current(d.sm) == {**KEY, "hits": n(5)}
    r = upd(d, "SET hits = hits - :two", {":two": n(2)}, ReturnValues="UPDATED_NEW")
    assert r.attributes == {"hits": n(3)}


@pytest.mark.parametrize(
    "rv, expected",
    [
        ("NONE", None),
        ("ALL_OLD", {**KEY, "a": n(1), "b": s("keep"), "m": {"M": {"x": n(1), "y": n(2)}}}),
        ("UPDATED_OLD", {"a": n(1), "m": {"M": {"x": n(1)}}}),
        ("ALL_NEW", {**KEY, "a": n(2), "b": s("keep"), "m": {"M": {"x": n(10), "y": n(2)}}, "c": s("new")}),
        ("UPDATED_NEW", {"a": n(2), "m": {"M": {"x": n(10)}}, "c": s("new")}),
    ],
)
def test_update_return_values(make_sm: MakeSM, rv: str, expected: dict | None) -> None:
    d = Driver(make_sm())
    d.put({**KEY, "a": n(1), "b": s("keep"), "m": {"M": {"x": n(1), "y": n(2)}}})
    r = upd(d, "SET a = a + :one, m.x = :ten, c = :new", {":one": n(1), ":ten": n(10), ":new": s("new")}, ReturnValues=rv)
    assert r.error is None
    assert r.attributes == expected


def test_update_remove_and_updated_old_of_missing(make_sm: MakeSM) -> None:
    d = Driver(make_sm())
    d.put({**KEY, "a": n(1)})
    assert upd(d, "REMOVE a", ReturnValues="UPDATED_NEW").attributes is None
    assert upd(d, "SET z = :v", {":v": n(1)}, ReturnValues="UPDATED_OLD").attributes is None


@pytest.mark.parametrize(("req", "creates"), [
    ({"UpdateExpression": "REMOVE a"}, False),
    ({"UpdateExpression": "DELETE ss :v", "ExpressionAttributeValues": {":v": {"SS": ["x"]}}}, False),
    ({"AttributeUpdates": {"a": {"Action": "DELETE"}}}, False),
    ({"AttributeUpdates": {"a": {"Action": "DELETE", "Value": {"NS": ["1"]}}}}, False),
    ({"UpdateExpression": "SET a = :v REMOVE b", "ExpressionAttributeValues": {":v": {"N": "1"}}}, True),
    ({"AttributeUpdates": {}}, True),
    ({}, True),
])
def test_update_that_only_removes_does_not_create(make_sm: MakeSM, req: dict, creates: bool) -> None:
    """An update of a missing item that only takes attributes away is a no-op (DynamoDB)."""
    d = Driver(make_sm())
    r = d.write("UpdateItem", {"TableName": "orders", "Key": KEY, "ReturnValues": "ALL_NEW", **req})
    assert r.error is None
    assert (current(d.sm) is not None) == creates
    assert (r.attributes is not None) == creates


def test_update_condition_and_runtime_errors(make_sm: MakeSM) -> None:
    d = Driver(make_sm())
    d.put({**KEY, "s": s("text")})
    r = upd(d, "SET s = s + :one", {":one": n(1)})
    assert isinstance(r.error, ValidationException)
    assert r.error.message == "An operand in the update expression has an incorrect data type"
    r = upd(d, "SET v = :v", {":v": n(1), ":x": s("other")}, ConditionExpression="s = :x",
            ReturnValuesOnConditionCheckFailure="ALL_OLD")  # fmt: skip
    assert isinstance(r.error, ConditionalCheckFailedException) and r.error.item == {**KEY, "s": s("text")}
    assert current(d.sm) == {**KEY, "s": s("text")}
    assert d.sm.applied_index == 3


def test_update_too_large(make_sm: MakeSM) -> None:
    d = Driver(make_sm())
    d.put({**KEY, "a": s("x" * 300_000)})
    r = upd(d, "SET b = a")
    assert isinstance(r.error, ValidationException)
    assert r.error.message == "Item size to update has exceeded the maximum allowed size"
    assert "b" not in current(d.sm)


def test_get_projection(make_sm: MakeSM) -> None:
    d = Driver(make_sm())
    d.put({**KEY, "a": n(1), "m": {"M": {"x": n(1), "y": n(2)}}})
    op = parse_get_item({"TableName": "orders", "Key": KEY, "ProjectionExpression": "m.y, #a",
                         "ExpressionAttributeNames": {"#a": "a"}}, d.sm.table)  # fmt: skip
    assert d.sm.get_item(op).item == {"a": n(1), "m": {"M": {"y": n(2)}}}


# ------------------------------------------------------------------ Query


def query(sm: PartitionStateMachine, pk: str, cond: str = "", values: dict | None = None, **extra: Any) -> Page:
    req: dict[str, Any] = {
        "TableName": "orders",
        "KeyConditionExpression": "pk = :pk" + (f" AND {cond}" if cond else ""),
        "ExpressionAttributeValues": {":pk": s(pk), **(values or {})},
        **extra,
    }
    return sm.query(parse_query(req, sm.table))


def query_all(sm: PartitionStateMachine, pk: str, cond: str = "", values: dict | None = None, **extra: Any) -> tuple[list[dict], list[Page]]:  # fmt: skip
    items: list[dict] = []
    pages: list[Page] = []
    esk = None
    while True:
        page = query(sm, pk, cond, values, **extra, **({"ExclusiveStartKey": esk} if esk else {}))
        pages.append(page)
        items.extend(page.items)
        esk = page.last_evaluated_key
        if esk is None:
            return items, pages


@pytest.fixture
def collection(make_sm: MakeSM) -> PartitionStateMachine:
    """3000 items of ~1 KB in one item collection "big", plus a few in "small"."""
    d = Driver(make_sm())
    for i in range(3000):
        d.put({"pk": s("big"), "sk": n(i), "pad": s("x" * 1000), "odd": {"BOOL": i % 2 == 1}})
    for i in range(5):
        d.put({"pk": s("small"), "sk": n(i - 2)})
    return d.sm


@pytest.mark.parametrize("forward", [True, False])
def test_query_1mb_pages_both_directions(collection: PartitionStateMachine, forward: bool) -> None:
    items, pages = query_all(collection, "big", ScanIndexForward=forward)
    sks = [int(i["sk"]["N"]) for i in items]
    assert sks == (list(range(3000)) if forward else list(range(2999, -1, -1)))
    assert len(pages) == 3
    for p in pages[:-1]:
        assert sum(item_size(i) for i in p.items) >= PAGE_BYTES
        assert p.last_evaluated_key == {"pk": s("big"), "sk": p.items[-1]["sk"]}
    assert pages[-1].last_evaluated_key is None


@pytest.mark.parametrize("forward", [True, False])
def test_query_limit_paging(collection: PartitionStateMachine, forward: bool) -> None:
    items, pages = query_all(collection, "big", "sk BETWEEN :lo AND :hi", {":lo": n(100), ":hi": n(349)},
                             Limit=50, ScanIndexForward=forward)  # fmt: skip
    assert len(items) == 250 and len(pages) == 6  # LEK after the 5th page although nothing follows
    assert pages[4].last_evaluated_key is not None and pages[5].count == 0
    sks = [int(i["sk"]["N"]) for i in items]
    assert sks == (list(range(100, 350)) if forward else list(range(349, 99, -1)))


def test_query_filter_counts_before_filter(collection: PartitionStateMachine) -> None:
    page = query(collection, "big", "sk < :x", {":x": n(10), ":t": {"BOOL": True}}, FilterExpression="odd = :t")
    assert page.scanned_count == 10 and page.count == 5
    assert [int(i["sk"]["N"]) for i in page.items] == [1, 3, 5, 7, 9]
    page = query(collection, "big", "sk < :x", {":x": n(10), ":t": {"BOOL": True}}, FilterExpression="odd = :t",
                 Limit=4)  # fmt: skip
    assert page.scanned_count == 4 and page.count == 2 and page.last_evaluated_key == {"pk": s("big"), "sk": n(3)}


def test_query_sort_conditions_on_numbers(collection: PartitionStateMachine) -> None:
    def sks(cond: str, values: dict) -> list[int]:
        return [int(i["sk"]["N"]) for i in query(collection, "small", cond, values).items]

    assert sks("", {}) == [-2, -1, 0, 1, 2]
    assert sks("sk > :v", {":v": n(-1)}) == [0, 1, 2]
    assert sks("sk <= :v", {":v": n("0.0")}) == [-2, -1, 0]
    assert sks("sk = :v", {":v": n(1)}) == [1]


def test_query_count_projection_and_rcu(collection: PartitionStateMachine) -> None:
    page = query(collection, "small", Select="COUNT")
    assert page.items == [] and page.count == 5
    page = query(collection, "small", ProjectionExpression="sk", ConsistentRead=True)
    assert page.items[0] == {"sk": n(-2)} and page.consumed_rcu == 1.0
    page = query(collection, "big", "sk < :x", {":x": n(40)})
    assert page.consumed_rcu == pytest.approx(-(-sum(item_size(i) for i in page.items) // 4096) / 2)


def test_query_exclusive_start_key_outside(collection: PartitionStateMachine) -> None:
    with pytest.raises(ValidationException) as ei:
        query(collection, "small", ExclusiveStartKey={"pk": s("big"), "sk": n(1)})
    assert ei.value.message == "The provided starting key is outside query boundaries based on provided conditions"


def test_scan_filter_and_projection(collection: PartitionStateMachine) -> None:
    op = parse_scan({"TableName": "orders", "FilterExpression": "pk = :p", "ProjectionExpression": "sk",
                     "ExpressionAttributeValues": {":p": s("small")}}, collection.table)  # fmt: skip
    page = collection.scan(op)
    assert page.count == 5 and page.scanned_count < 3005 and page.last_evaluated_key is not None
