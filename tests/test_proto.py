"""The public gRPC API (proto/), its generated code, and kuradb.wire conversions."""

from __future__ import annotations

import copy
import importlib.util
import json
import subprocess
import sys
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuradb import wire
from kuradb.errors import (
    ConditionalCheckFailedException,
    InternalServerError,
    ResourceNotFoundException,
    SerializationException,
    ServiceUnavailable,
    UnknownOperationException,
    ValidationException,
)
from kuradb.proto import dynamodb_pb2 as pb
from kuradb.proto import dynamodb_pb2_grpc as pb_grpc

ROOT = Path(__file__).resolve().parent.parent

settings.register_profile(
    "kuradb-proto", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
PROFILE = settings.get_profile("kuradb-proto")

# ---------------------------------------------------------------------------- generation


def _load_gen_proto() -> Any:
    spec = importlib.util.spec_from_file_location("gen_proto", ROOT / "scripts" / "gen_proto.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_code_is_up_to_date() -> None:
    pytest.importorskip("grpc_tools", reason="grpcio-tools is not installed (pip install -e .[dev])")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_proto.py"), "--check"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_check_reports_differences() -> None:
    gen = _load_gen_proto()
    fresh = {"a_pb2.py": b"x = 1\ny = 2\n", "b_pb2.pyi": b"z\n"}
    assert gen.differences(fresh, dict(fresh)) == []
    report = gen.differences(fresh, {"a_pb2.py": b"x = 1\ny = 3\n", "old_pb2.py": b""})
    assert report[0] == "differs: kuradb/proto/a_pb2.py (2 changed lines)"
    assert "missing: kuradb/proto/b_pb2.pyi" in report
    assert "stale (no longer generated): kuradb/proto/old_pb2.py" in report


# ---------------------------------------------------------------------------- proto shape rules


def _messages() -> list[Any]:
    return list(pb.DESCRIPTOR.message_types_by_name.values())


def test_every_structure_field_names_its_dynamodb_member() -> None:
    for desc in _messages():
        names = [fd.name for fd in desc.fields]
        if names == ["values"]:
            assert desc.fields[0].is_repeated, desc.full_name  # a wrapper holds a list or a map
            continue
        for fd in desc.fields:
            assert fd.json_name[:1].isupper(), fd.full_name
            assert "values" != fd.name, fd.full_name
            # rule 2: presence everywhere (scalars optional, lists and maps wrapped)
            assert fd.has_presence and not fd.is_repeated, fd.full_name


def test_service_has_one_rpc_per_operation() -> None:
    service = pb.DESCRIPTOR.services_by_name["DynamoDB"]
    assert sorted(m.name for m in service.methods) == sorted(wire.OPERATION_NAMES)
    for m in service.methods:
        req, resp = wire.OPERATIONS[m.name]
        assert m.input_type is req.DESCRIPTOR and m.output_type is resp.DESCRIPTOR
    assert pb.DESCRIPTOR.package == "kuradb.v1"


# ---------------------------------------------------------------------------- samples

EVERY_TYPE: dict[str, Any] = {
    "pk": {"S": "user#1"},
    "empty_s": {"S": ""},
    "unicode": {"S": "ß∂ƒ 🎉"},
    "n": {"N": "-12.5E+3"},
    "b": {"B": b"\x00\xff\x10"},
    "empty_b": {"B": b""},
    "ss": {"SS": ["a", "", "c"]},
    "ns": {"NS": ["1", "2.5", "-3"]},
    "bs": {"BS": [b"\x01", b""]},
    "bool_t": {"BOOL": True},
    "bool_f": {"BOOL": False},
    "null": {"NULL": True},
    "null_false": {"NULL": False},
    "empty_m": {"M": {}},
    "empty_l": {"L": []},
    "nested": {"M": {"l": {"L": [{"M": {"deep": {"L": [{"N": "1"}, {"SS": ["x"]}]}}}, {"NULL": True}, {}]}}},
    "empty_av": {},
}
KEY = {"pk": {"S": "user#1"}, "sk": {"N": "7"}}
EAN = {"#a": "a", "#b": "b"}
EAV = {":v": {"N": "1"}, ":s": {"SS": ["x"]}, ":b": {"B": b""}}
CONSUMED = {
    "TableName": "t", "CapacityUnits": 1.5, "ReadCapacityUnits": 0.5, "WriteCapacityUnits": 1.0,
    "Table": {"CapacityUnits": 1.5}, "GlobalSecondaryIndexes": {"g": {"ReadCapacityUnits": 0.5}},
    "LocalSecondaryIndexes": {},
}
ICM = {"ItemCollectionKey": {"pk": {"S": "user#1"}}, "SizeEstimateRangeGB": [0.0, 1.0]}
KEY_SCHEMA = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
ATTR_DEFS = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}]
TABLE = {
    "AttributeDefinitions": ATTR_DEFS, "TableName": "t", "KeySchema": KEY_SCHEMA,
    "TableStatus": "ACTIVE", "CreationDateTime": 1700000000.25,
    "ProvisionedThroughput": {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 5,
                              "WriteCapacityUnits": 5, "LastIncreaseDateTime": 1700000001.0},
    "TableSizeBytes": 2**40, "ItemCount": 0, "TableArn": "arn:aws:dynamodb:local:000000000000:table/t",
    "TableId": "4f2b0c4e-0000-4000-8000-000000000000",
    "BillingModeSummary": {"BillingMode": "PROVISIONED"},
    "GlobalSecondaryIndexes": [{
        "IndexName": "g", "KeySchema": KEY_SCHEMA[:1], "IndexStatus": "ACTIVE", "Backfilling": False,
        "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a"]},
        "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
        "IndexSizeBytes": 0, "ItemCount": 0, "IndexArn": "arn:x/index/g",
    }],
    "LocalSecondaryIndexes": [{"IndexName": "l", "KeySchema": KEY_SCHEMA, "Projection": {"ProjectionType": "ALL"}}],
    "DeletionProtectionEnabled": False,
}
LEGACY_CONDITION = {"AttributeValueList": [{"N": "1"}, {"S": ""}], "ComparisonOperator": "BETWEEN"}

REQUESTS: dict[str, dict[str, Any]] = {
    "CreateTable": {
        "AttributeDefinitions": ATTR_DEFS, "TableName": "t", "KeySchema": KEY_SCHEMA,
        "BillingMode": "PROVISIONED", "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 0},
        "GlobalSecondaryIndexes": [{"IndexName": "g", "KeySchema": KEY_SCHEMA[:1],
                                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                                    "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}],
        "LocalSecondaryIndexes": [{"IndexName": "l", "KeySchema": KEY_SCHEMA,
                                   "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": []}}],
        "DeletionProtectionEnabled": True,
    },
    "DescribeTable": {"TableName": "t"},
    "UpdateTable": {"TableName": "t", "AttributeDefinitions": [], "BillingMode": "PAY_PER_REQUEST",
                    "ProvisionedThroughput": {}, "DeletionProtectionEnabled": False},
    "DeleteTable": {"TableName": ""},
    "ListTables": {"ExclusiveStartTableName": "a", "Limit": 0},
    "PutItem": {
        "TableName": "t", "Item": EVERY_TYPE, "ConditionExpression": "attribute_not_exists(#a) AND #b = :v",
        "ExpressionAttributeNames": EAN, "ExpressionAttributeValues": EAV, "ReturnValues": "ALL_OLD",
        "ReturnConsumedCapacity": "TOTAL", "ReturnItemCollectionMetrics": "SIZE",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        "Expected": {"a": {"Exists": False}, "b": {"Value": {"N": "1"}}, "c": LEGACY_CONDITION, "d": {"Value": {}}},
        "ConditionalOperator": "OR",
    },
    "GetItem": {"TableName": "t", "Key": KEY, "AttributesToGet": ["a", "b"], "ConsistentRead": False,
                "ReturnConsumedCapacity": "NONE", "ProjectionExpression": "#a, b[1].c", "ExpressionAttributeNames": EAN},
    "UpdateItem": {
        "TableName": "t", "Key": KEY, "UpdateExpression": "SET #a = :v ADD #b :s REMOVE c[0]",
        "ConditionExpression": "size(#a) > :v", "ExpressionAttributeNames": EAN, "ExpressionAttributeValues": EAV,
        "ReturnValues": "UPDATED_NEW", "ReturnValuesOnConditionCheckFailure": "NONE",
        "AttributeUpdates": {"a": {"Value": {"N": "1"}, "Action": "ADD"}, "b": {"Action": "DELETE"}, "c": {}},
        "Expected": {}, "ConditionalOperator": "AND", "ReturnConsumedCapacity": "INDEXES",
        "ReturnItemCollectionMetrics": "NONE",
    },
    "DeleteItem": {"TableName": "t", "Key": KEY, "ConditionExpression": "attribute_exists(#a)",
                   "ExpressionAttributeNames": EAN, "ExpressionAttributeValues": {}, "ReturnValues": "NONE",
                   "Expected": {"a": {"ComparisonOperator": "NOT_NULL"}}, "ConditionalOperator": "AND",
                   "ReturnConsumedCapacity": "TOTAL", "ReturnItemCollectionMetrics": "SIZE",
                   "ReturnValuesOnConditionCheckFailure": "ALL_OLD"},
    "Query": {
        "TableName": "t", "IndexName": "g", "Select": "SPECIFIC_ATTRIBUTES", "AttributesToGet": [],
        "Limit": 10, "ConsistentRead": True, "KeyConditions": {"pk": {"AttributeValueList": [{"S": "x"}],
                                                                     "ComparisonOperator": "EQ"}},
        "QueryFilter": {"a": LEGACY_CONDITION}, "ConditionalOperator": "AND", "ScanIndexForward": False,
        "ExclusiveStartKey": KEY, "ReturnConsumedCapacity": "TOTAL", "ProjectionExpression": "a",
        "FilterExpression": "#b <> :v", "KeyConditionExpression": "pk = :s AND begins_with(sk, :b)",
        "ExpressionAttributeNames": EAN, "ExpressionAttributeValues": EAV,
    },
    "Scan": {
        "TableName": "t", "IndexName": "g", "AttributesToGet": ["a"], "Limit": 1, "Select": "COUNT",
        "ScanFilter": {"a": LEGACY_CONDITION}, "ConditionalOperator": "OR", "ExclusiveStartKey": {},
        "ReturnConsumedCapacity": "NONE", "TotalSegments": 1000000, "Segment": 0, "ProjectionExpression": "a",
        "FilterExpression": "a IN (:v, :b)", "ExpressionAttributeNames": {}, "ExpressionAttributeValues": EAV,
        "ConsistentRead": False,
    },
    "BatchGetItem": {
        "RequestItems": {
            "t": {"Keys": [KEY, {"pk": {"B": b"\x00"}}], "AttributesToGet": ["a"], "ConsistentRead": True,
                  "ProjectionExpression": "#a", "ExpressionAttributeNames": EAN},
            "u": {"Keys": []},
        },
        "ReturnConsumedCapacity": "TOTAL",
    },
    "BatchWriteItem": {
        "RequestItems": {"t": [{"PutRequest": {"Item": EVERY_TYPE}}, {"DeleteRequest": {"Key": KEY}}, {}],
                         "u": []},
        "ReturnConsumedCapacity": "INDEXES", "ReturnItemCollectionMetrics": "SIZE",
    },
}

RESPONSES: dict[str, dict[str, Any]] = {
    "CreateTable": {"TableDescription": TABLE},
    "DescribeTable": {"Table": TABLE},
    "UpdateTable": {"TableDescription": {**TABLE, "TableStatus": "UPDATING"}},
    "DeleteTable": {"TableDescription": {"TableName": "t", "TableStatus": "DELETING"}},
    "ListTables": {"TableNames": ["a", "b"], "LastEvaluatedTableName": "b"},
    "PutItem": {"Attributes": EVERY_TYPE, "ConsumedCapacity": CONSUMED, "ItemCollectionMetrics": ICM},
    "GetItem": {"Item": EVERY_TYPE, "ConsumedCapacity": {"TableName": "t", "CapacityUnits": 0.5}},
    "UpdateItem": {"Attributes": {}, "ConsumedCapacity": CONSUMED},
    "DeleteItem": {"Attributes": EVERY_TYPE, "ItemCollectionMetrics": ICM},
    "Query": {"Items": [EVERY_TYPE, {}, KEY], "Count": 3, "ScannedCount": 5, "LastEvaluatedKey": KEY,
              "ConsumedCapacity": CONSUMED},
    "Scan": {"Items": [], "Count": 0, "ScannedCount": 0},
    "BatchGetItem": {"Responses": {"t": [EVERY_TYPE], "u": []},
                     "UnprocessedKeys": {"t": {"Keys": [KEY], "ConsistentRead": True}},
                     "ConsumedCapacity": [CONSUMED, {"TableName": "u", "CapacityUnits": 0.0}]},
    "BatchWriteItem": {"UnprocessedItems": {"t": [{"DeleteRequest": {"Key": KEY}}]},
                       "ItemCollectionMetrics": {"t": [ICM]}, "ConsumedCapacity": []},
}


# ---------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("op", wire.OPERATION_NAMES)
def test_request_round_trip(op: str) -> None:
    original = copy.deepcopy(REQUESTS[op])
    msg = wire.dict_to_request(op, REQUESTS[op])
    assert isinstance(msg, wire.OPERATIONS[op][0])
    decoded = type(msg).FromString(msg.SerializeToString())
    assert wire.request_to_dict(decoded) == original
    assert wire.operation_of(decoded) == op
    assert REQUESTS[op] == original  # the input is not mutated


@pytest.mark.parametrize("op", wire.OPERATION_NAMES)
def test_response_round_trip(op: str) -> None:
    msg = wire.dict_to_response(op, RESPONSES[op])
    assert isinstance(msg, wire.OPERATIONS[op][1])
    decoded = type(msg).FromString(msg.SerializeToString())
    assert wire.response_to_dict(decoded) == RESPONSES[op]
    assert wire.operation_of(decoded) == op


def test_samples_cover_every_message_type() -> None:
    """Guards the round-trip tests: a message type added to the proto must appear in a sample."""
    seen: set[str] = set()

    def walk(m: Any) -> None:
        seen.add(m.DESCRIPTOR.full_name)
        for fd, value in m.ListFields():
            if fd.message_type is None:
                continue
            if fd.message_type.GetOptions().map_entry:
                vfd = fd.message_type.fields_by_name["value"]
                if vfd.message_type is not None:
                    for v in value.values():
                        walk(v)
            elif fd.is_repeated:
                for v in value:
                    walk(v)
            else:
                walk(value)

    for op in wire.OPERATION_NAMES:
        walk(wire.dict_to_request(op, REQUESTS[op]))
        walk(wire.dict_to_response(op, RESPONSES[op]))
    expected = {d.full_name for d in _messages()} - {"kuradb.v1.ErrorDetails"}
    assert expected - seen == set()


# ---------------------------------------------------------------------------- presence


def test_missing_and_zero_scalars_differ() -> None:
    assert wire.request_to_dict(wire.dict_to_request("Query", {})) == {}
    zeroes = {"Limit": 0, "TableName": "", "ConsistentRead": False, "ScanIndexForward": False}
    msg = wire.dict_to_request("Query", zeroes)
    assert msg.HasField("limit") and msg.limit == 0
    assert wire.request_to_dict(msg) == zeroes
    assert not pb.QueryRequest().HasField("limit")


def test_missing_and_empty_collections_differ() -> None:
    empties = {"Item": {}, "ExpressionAttributeNames": {}, "ExpressionAttributeValues": {}, "Expected": {}}
    assert wire.request_to_dict(wire.dict_to_request("PutItem", empties)) == empties
    assert wire.request_to_dict(wire.dict_to_request("GetItem", {"AttributesToGet": []})) == {"AttributesToGet": []}
    assert wire.request_to_dict(pb.PutItemRequest(table_name="t")) == {"TableName": "t"}


def test_none_means_absent() -> None:
    assert wire.request_to_dict(wire.dict_to_request("Query", {"Limit": None, "TableName": "t"})) == {"TableName": "t"}


def test_empty_attribute_value_reaches_validator_as_empty_dict() -> None:
    assert wire.proto_to_av(pb.AttributeValue()) == {}
    assert wire.av_to_proto({}).WhichOneof("value") is None
    msg = wire.dict_to_request("PutItem", {"Item": {"a": {}}, "Expected": {"a": {"Value": {}}}})
    assert msg.item.values["a"].WhichOneof("value") is None
    assert msg.expected.values["a"].HasField("value")
    assert wire.request_to_dict(msg) == {"Item": {"a": {}}, "Expected": {"a": {"Value": {}}}}


@pytest.mark.parametrize("av", [
    {"NULL": False}, {"BOOL": False}, {"S": ""}, {"B": b""}, {"N": ""}, {"SS": []}, {"NS": []},
    {"BS": []}, {"M": {}}, {"L": []}, {"L": [{}]}, {"M": {"": {}}},
])
def test_edge_values_survive(av: dict[str, Any]) -> None:
    msg = wire.av_to_proto(av)
    assert wire.proto_to_av(pb.AttributeValue.FromString(msg.SerializeToString())) == av


# ---------------------------------------------------------------------------- bad input


def test_value_with_several_types_is_rejected() -> None:
    with pytest.raises(ValidationException, match="more than one datatypes"):
        wire.av_to_proto({"S": "a", "N": "1"})


def test_unknown_type_and_parameter_are_rejected() -> None:
    with pytest.raises(ValidationException, match="unknown datatype: X"):
        wire.av_to_proto({"X": "a"})
    with pytest.raises(ValidationException, match='Unknown parameter in input: "Limt"'):
        wire.dict_to_request("Query", {"Limt": 1})
    with pytest.raises(UnknownOperationException, match="Unknown operation: Frobnicate"):
        wire.dict_to_request("Frobnicate", {})


def test_unencodable_response_is_a_server_fault() -> None:
    with pytest.raises(InternalServerError, match="cannot encode the GetItem response"):
        wire.dict_to_response("GetItem", {"Item": {"a": {"S": 1}}})
    with pytest.raises(InternalServerError):
        wire.dict_to_response("GetItem", {"Itemz": {}})


@pytest.mark.parametrize("request_dict, fragment", [
    ({"Limit": "3"}, "Limit"),
    ({"Limit": 2**40}, "Limit"),
    ({"TableName": 5}, "TableName"),
    ({"AttributesToGet": "abc"}, "AttributesToGet: the value must be a list"),
    ({"ExclusiveStartKey": {"a": "x"}}, "an AttributeValue must be a map"),
    ({"ExclusiveStartKey": {"a": {"S": 1}}}, "ExclusiveStartKey"),
    ({"ExclusiveStartKey": {"a": {"B": "text"}}}, "ExclusiveStartKey"),
    ({"ExclusiveStartKey": {"a": {"SS": "abc"}}}, "SS must be a list"),
    ({"ExclusiveStartKey": {"a": {"M": []}}}, "M must be a map"),
    ({"KeyConditions": {"a": 5}}, "a Condition must be a map"),
])
def test_wrong_python_types_are_serialization_errors(request_dict: dict[str, Any], fragment: str) -> None:
    with pytest.raises(SerializationException, match=fragment):
        wire.dict_to_request("Query", request_dict)


# ---------------------------------------------------------------------------- hypothesis

_names = st.text(max_size=8)
_scalars = st.one_of(
    st.builds(lambda s: {"S": s}, st.text(max_size=20)),
    st.builds(lambda n: {"N": str(n)}, st.decimals(allow_nan=False, allow_infinity=False, places=3)),
    st.builds(lambda b: {"B": b}, st.binary(max_size=20)),
    st.builds(lambda v: {"SS": v}, st.lists(st.text(max_size=5), max_size=4)),
    st.builds(lambda v: {"NS": [str(x) for x in v]}, st.lists(st.integers(), max_size=4)),
    st.builds(lambda v: {"BS": v}, st.lists(st.binary(max_size=5), max_size=4)),
    st.builds(lambda v: {"BOOL": v}, st.booleans()),
    st.builds(lambda v: {"NULL": v}, st.booleans()),
    st.just({}),
)
attribute_values = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.builds(lambda m: {"M": m}, st.dictionaries(_names, children, max_size=4)),
        st.builds(lambda v: {"L": v}, st.lists(children, max_size=4)),
    ),
    max_leaves=20,
)
items = st.dictionaries(_names, attribute_values, max_size=6)


@settings(PROFILE)
@given(items)
def test_items_round_trip_through_proto(item: dict[str, Any]) -> None:
    msg = wire.item_to_proto(item)
    assert wire.proto_to_item(pb.AttributeMap.FromString(msg.SerializeToString())) == item


@settings(PROFILE)
@given(items)
def test_items_round_trip_through_json(item: dict[str, Any]) -> None:
    text = json.dumps(wire.item_to_json(item))
    assert wire.item_from_json(json.loads(text)) == item


# ---------------------------------------------------------------------------- JSON wire


@pytest.mark.parametrize("op", wire.OPERATION_NAMES)
def test_json_documents_round_trip(op: str) -> None:
    for d, read in ((REQUESTS[op], wire.request_from_json), (RESPONSES[op], wire.response_from_json)):
        text = json.dumps(wire.to_json(d))
        assert read(op, json.loads(text)) == d


def test_json_binary_is_base64() -> None:
    assert wire.av_to_json({"B": b"\x00\x01"}) == {"B": "AAE="}
    assert wire.av_to_json({"BS": [b"", b"\xff"]}) == {"BS": ["", "/w=="]}
    assert wire.av_from_json({"M": {"x": {"B": "AAE="}}}) == {"M": {"x": {"B": b"\x00\x01"}}}


def test_json_ignores_unknown_and_null_members() -> None:
    assert wire.av_from_json({"S": None}) == {}
    assert wire.av_from_json({"Q": "x", "S": "a"}) == {"S": "a"}
    body = {"TableName": "t", "Bogus": 1, "Limit": None, "Item": {"a": None}}
    assert wire.request_from_json("PutItem", body) == {"TableName": "t", "Item": {"a": {}}}


@pytest.mark.parametrize("value, message", [
    ({"B": "abc"}, "'abc' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 3"),
    ({"B": "ab!c"}, "'ab!c' can not be converted to a Blob: Invalid Base64 character: '!'"),
    ({"B": "AB=="}, "'AB==' can not be converted to a Blob: Invalid last non-pad Base64 character dectected"),
    ({"B": 5}, "class java.lang.Short can not be converted to a Blob"),
    ({"S": True}, "class java.lang.Boolean can not be converted to an String"),
    ({"S": 70000}, "class java.lang.Integer can not be converted to an String"),
    ({"N": 1.5}, "class java.lang.Double can not be converted to an String"),
    ({"N": ["1"]}, "Start of list found where not expected"),
    ({"S": {}}, "Start of structure or map found where not expected."),
    ({"SS": "a"}, "Expected list or null"),
    ({"M": "a"}, "Expected map or null"),
    ({"M": []}, "Start of list found where not expected"),
    ({"L": {}}, "Start of structure or map found where not expected."),
    ({"BOOL": "true"}, "'TRUE' can not be converted to an Boolean"),
    ({"NULL": 1}, "class java.lang.Short can not be converted to an Boolean"),
    ("x", "Expected null"),
    ([], "Start of list found where not expected"),
])
def test_json_type_errors_use_dynamodb_wording(value: Any, message: str) -> None:
    with pytest.raises(SerializationException) as info:
        wire.av_from_json(value)
    assert info.value.message == message


def test_json_request_member_type_errors() -> None:
    with pytest.raises(SerializationException, match="^class java.lang.String can not be converted to an Integer$"):
        wire.request_from_json("Query", {"Limit": "1"})
    with pytest.raises(SerializationException, match="^Expected list or null$"):
        wire.request_from_json("Query", {"AttributesToGet": "a"})
    with pytest.raises(SerializationException, match="^Expected null$"):
        wire.request_from_json("Query", "x")
    assert wire.request_from_json("Query", {"Limit": 2.9}) == {"Limit": 2}


def test_json_null_inside_sets() -> None:
    with pytest.raises(ValidationException, match="may not contain an empty string"):
        wire.av_from_json({"SS": [None]})
    with pytest.raises(ValidationException, match="cannot be converted to a numeric value"):
        wire.av_from_json({"NS": [None]})


# ---------------------------------------------------------------------------- errors over gRPC


def test_error_status_round_trip() -> None:
    err = ConditionalCheckFailedException(item={"pk": {"S": "a"}, "b": {"B": b""}})
    code, message, metadata = wire.error_to_status(err)
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    assert message == "The conditional request failed"
    back = wire.error_from_status(code, message, metadata)
    assert isinstance(back, ConditionalCheckFailedException) and back.item == err.item

    code, message, metadata = wire.error_to_status(ResourceNotFoundException("Requested resource not found"))
    assert code == grpc.StatusCode.NOT_FOUND and dict(metadata) == {wire.ERROR_NAME_KEY: "ResourceNotFoundException"}
    assert isinstance(wire.error_from_status(code, message, metadata), ResourceNotFoundException)


def test_foreign_status_without_metadata() -> None:
    assert isinstance(wire.error_from_status(grpc.StatusCode.UNAVAILABLE, "down", None), ServiceUnavailable)
    err = wire.error_from_status(grpc.StatusCode.DEADLINE_EXCEEDED, "slow", ())
    assert isinstance(err, InternalServerError) and "DEADLINE_EXCEEDED" in err.message


class _Servicer(pb_grpc.DynamoDBServicer):
    """Just enough of a server to exercise the generated service and the error convention."""

    def GetItem(self, request: pb.GetItemRequest, context: grpc.ServicerContext) -> pb.GetItemResponse:
        d = wire.request_to_dict(request)
        if d.get("TableName") == "missing":
            code, message, metadata = wire.error_to_status(ConditionalCheckFailedException(item=d["Key"]))
            context.set_trailing_metadata(metadata)
            context.abort(code, message)
        return wire.dict_to_response("GetItem", {"Item": d["Key"]})  # type: ignore[return-value]


def test_in_process_grpc_call() -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    pb_grpc.add_DynamoDBServicer_to_server(_Servicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = pb_grpc.DynamoDBStub(channel)
            req = wire.dict_to_request("GetItem", {"TableName": "t", "Key": EVERY_TYPE})
            assert wire.response_to_dict(stub.GetItem(req, timeout=10)) == {"Item": EVERY_TYPE}
            with pytest.raises(grpc.RpcError) as info:
                stub.GetItem(wire.dict_to_request("GetItem", {"TableName": "missing", "Key": KEY}), timeout=10)
            call = info.value
            err = wire.error_from_status(call.code(), call.details(), call.trailing_metadata())
            assert isinstance(err, ConditionalCheckFailedException) and err.item == KEY
            # Unimplemented operations are not faked: they fail loudly.
            with pytest.raises(grpc.RpcError) as info:
                stub.Scan(pb.ScanRequest(), timeout=10)
            assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED
    finally:
        server.stop(None)
