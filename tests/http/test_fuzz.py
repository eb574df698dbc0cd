"""Fuzz the endpoint over real HTTP: random and mutated requests never get a 5xx, never kill the
server, and every 4xx is a well-formed DynamoDB error (JSON body, __type, crc32)."""

from __future__ import annotations

import copy
import http.client
import json
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuradb import wire
from tests.http.conftest import Endpoint

FUZZ = settings(max_examples=1200, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                derandomize=True)  # fmt: skip
AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20150830/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=00")  # fmt: skip

S = {"S": "v"}
VALID: dict[str, dict[str, Any]] = {
    "PutItem": {"TableName": "users", "Item": {"id": S, "n": {"N": "1"}, "m": {"M": {"l": {"L": [S, {"BS": ["AA=="]}]}}}},
                "ConditionExpression": "attribute_not_exists(#k)", "ExpressionAttributeNames": {"#k": "id"},
                "ReturnValues": "ALL_OLD", "ReturnConsumedCapacity": "TOTAL"},
    "GetItem": {"TableName": "users", "Key": {"id": S}, "ProjectionExpression": "a.b[1], #c",
                "ExpressionAttributeNames": {"#c": "c"}, "ConsistentRead": True},
    "UpdateItem": {"TableName": "events", "Key": {"pk": S, "sk": {"N": "2"}},
                   "UpdateExpression": "SET a = :v ADD c :one REMOVE d",
                   "ExpressionAttributeValues": {":v": {"SS": ["x", "y"]}, ":one": {"N": "1"}},
                   "ReturnValues": "UPDATED_NEW"},
    "DeleteItem": {"TableName": "users", "Key": {"id": S}, "Expected": {"a": {"Exists": False}}},
    "Query": {"TableName": "events", "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
              "ExpressionAttributeValues": {":p": S, ":a": {"N": "1"}, ":b": {"N": "9"}}, "Limit": 5,
              "ScanIndexForward": False, "ExclusiveStartKey": {"pk": S, "sk": {"N": "3"}}},
    "Scan": {"TableName": "users", "Segment": 0, "TotalSegments": 4, "ScanFilter": {
        "a": {"ComparisonOperator": "EQ", "AttributeValueList": [S]}}, "Select": "COUNT"},
    "BatchGetItem": {"RequestItems": {"users": {"Keys": [{"id": S}, {"id": {"S": "w"}}], "ConsistentRead": True}}},
    "BatchWriteItem": {"RequestItems": {"users": [{"PutRequest": {"Item": {"id": S}}},
                                                  {"DeleteRequest": {"Key": {"id": {"S": "z"}}}}]}},
    "CreateTable": {"TableName": "fuzz", "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
                    "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"},
    "DescribeTable": {"TableName": "users"},
    "UpdateTable": {"TableName": "users", "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}},
    "DeleteTable": {"TableName": "nope"},
    "ListTables": {"Limit": 3, "ExclusiveStartTableName": "abc"},
}  # fmt: skip
assert set(VALID) == set(wire.OPERATION_NAMES)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
field_names = st.sampled_from(["TableName", "Item", "Key", "S", "N", "B", "M", "L", "SS", "NS", "BS", "BOOL",
                               "NULL", "Limit", "Segment", "ReturnValues", "Select", "ExpressionAttributeValues",
                               "ExpressionAttributeNames", "RequestItems", "Keys", "PutRequest", "KeySchema",
                               "ConditionExpression", "UpdateExpression", "Expected", "AttributeValueList",
                               "ExclusiveStartKey", "ProvisionedThroughput"]) | st.text(max_size=8)  # fmt: skip


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, (*prefix, i))


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    operation = draw(st.sampled_from(sorted(VALID)))
    doc: Any = copy.deepcopy(VALID[operation])
    for _ in range(draw(st.integers(1, 4))):
        paths = list(_paths(doc))
        path = draw(st.sampled_from(paths))
        if not path:
            doc = draw(json_values) if draw(st.integers(0, 9)) == 0 else doc
            continue
        parent = doc
        for p in path[:-1]:
            parent = parent[p]
        action = draw(st.sampled_from(["replace", "delete", "add", "null", "dup"]))
        last = path[-1]
        if action == "replace":
            parent[last] = draw(json_values)
        elif action == "delete":
            del parent[last]
        elif action == "null":
            parent[last] = None
        elif action == "dup" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
        elif isinstance(parent, dict):
            parent[draw(field_names)] = draw(json_values)
    unknown = draw(st.integers(0, 19)) == 19
    target = draw(st.sampled_from(["Bogus", "TransactGetItems", ""])) if unknown else operation
    return target, json.dumps(doc).encode()


class Conn:
    """One keep-alive connection, reopened if the server closed it."""

    def __init__(self, ep: Endpoint) -> None:
        self.ep = ep
        self.conn = http.client.HTTPConnection(ep.host, ep.port, timeout=30)

    def post(self, target: str, body: bytes, extra: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"DynamoDB_20120810.{target}",
                   "Authorization": AUTH, "X-Amz-Date": "20150830T123600Z", **(extra or {})}  # fmt: skip
        for attempt in range(2):
            try:
                self.conn.request("POST", "/", body=body, headers=headers)
                resp = self.conn.getresponse()
                return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
            except (http.client.HTTPException, ConnectionError):
                if attempt:
                    raise
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.ep.host, self.ep.port, timeout=30)
        raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def conn(serve) -> Iterator[Conn]:  # type: ignore[no-untyped-def]
    c = Conn(serve())
    yield c
    c.conn.close()


def check(status: int, headers: dict[str, str], body: bytes) -> None:
    assert status < 500, body[:500]
    assert headers["x-amz-crc32"] == str(zlib.crc32(body) & 0xFFFFFFFF)
    doc = json.loads(body)
    if status != 200:
        assert status == 400
        assert "#" in doc["__type"], doc
        assert set(doc) <= {"__type", "message", "Message", "Item"}


@FUZZ
@given(mutated())
def test_mutated_requests(conn: Conn, case: tuple[str, bytes]) -> None:
    check(*conn.post(*case))


@settings(FUZZ, max_examples=600)
@given(st.sampled_from(sorted(VALID)), json_values)
def test_random_json_documents(conn: Conn, operation: str, doc: Any) -> None:
    check(*conn.post(operation, json.dumps(doc).encode()))


@settings(FUZZ, max_examples=400)
@given(st.sampled_from(sorted(VALID)), st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_random_bytes(conn: Conn, operation: str, body: bytes) -> None:
    status, headers, resp = conn.post(operation, body)
    if body:
        check(status, headers, resp)
    else:
        assert status == 400


def test_server_survived(conn: Conn) -> None:
    status, _, body = conn.post("ListTables", b"{}")
    assert status == 200 and "users" in json.loads(body)["TableNames"]
