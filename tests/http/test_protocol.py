"""The JSON 1.0 protocol surface: health answer, headers, error shapes and the order of checks."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from kuradb.router.http import HttpOptions, error_body, json_depth_exceeds
from kuradb.router.sigv4 import SigV4Verifier
from kuradb.errors import ConditionalCheckFailedException, InternalServerError, ValidationException
from tests.http.conftest import Endpoint
from tests.http.helpers import KEY, SECRET, call, client, op, raw, resource


def test_get_answers_healthy_like_dynamodb(endpoint: Endpoint) -> None:
    r = raw(endpoint.host, endpoint.port, "GET")
    assert r.status == 200
    assert r.body == b"healthy: dynamodb.us-east-1.amazonaws.com "
    assert r.crc_ok()
    assert len(r.headers["x-amzn-requestid"]) == 52


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_404_unknown_operation(endpoint: Endpoint, method: str) -> None:
    r = raw(endpoint.host, endpoint.port, method)
    assert r.status == 404 and r.body == b"<UnknownOperationException/>\n" and r.crc_ok()


def test_wrong_content_type_is_404(endpoint: Endpoint) -> None:
    r = raw(endpoint.host, endpoint.port, body=b"{}", headers={"Content-Type": "text/plain"})
    assert r.status == 404


def test_unknown_operation(endpoint: Endpoint) -> None:
    for target in (op("TransactWriteItems"), op("DescribeTimeToLive"), "DynamoDB_20120810", "Foo.PutItem", None):
        r = call(endpoint.host, endpoint.port, target, b"{}")
        assert r.status == 400, target
        assert r.json == {"__type": "com.amazon.coral.service#UnknownOperationException"}
        assert r.crc_ok()


def test_boto3_sees_unknown_operation_for_missing_features(endpoint: Endpoint) -> None:
    with pytest.raises(ClientError) as e:
        client(endpoint.url).describe_time_to_live(TableName="users")
    assert e.value.response["Error"]["Code"] == "UnknownOperationException"


def test_bad_json_is_serialization_exception(endpoint: Endpoint) -> None:
    for body in (b"{", b"nope", b"\xff\xfe", b'{"a": NaN}', b'{"TableName": "users",}'):
        r = call(endpoint.host, endpoint.port, op("GetItem"), body)
        assert r.status == 400, body
        assert r.json == {"__type": "com.amazon.coral.service#SerializationException"}


def test_bad_json_is_reported_before_an_unknown_target(endpoint: Endpoint) -> None:
    r = call(endpoint.host, endpoint.port, op("Nope"), b"{")
    assert r.json["__type"].endswith("#SerializationException")


def test_empty_body_is_serialization_exception_after_auth(endpoint: Endpoint) -> None:
    r = call(endpoint.host, endpoint.port, op("ListTables"), b"")
    assert r.status == 400 and r.json == {"__type": "com.amazon.coral.service#SerializationException"}
    r = raw(endpoint.host, endpoint.port, headers={"X-Amz-Target": op("ListTables")})
    assert r.json["__type"] == "com.amazon.coral.service#MissingAuthenticationTokenException"


def test_null_body_means_no_parameters(endpoint: Endpoint) -> None:
    r = call(endpoint.host, endpoint.port, op("ListTables"), b"null")
    assert r.status == 200 and r.json == {"TableNames": ["events", "users"]}


def test_wrong_json_types_use_corals_wording(endpoint: Endpoint) -> None:
    r = call(endpoint.host, endpoint.port, op("GetItem"), b'{"TableName": 5, "Key": {}}')
    assert r.status == 400
    assert r.json == {"__type": "com.amazon.coral.service#SerializationException",
                      "Message": "class java.lang.Short can not be converted to an String"}  # fmt: skip
    r = call(endpoint.host, endpoint.port, op("GetItem"), b"[1]")
    assert r.json["Message"] == "Start of list found where not expected"


def test_unknown_members_are_ignored_as_dynamodb_does(endpoint: Endpoint) -> None:
    r = call(endpoint.host, endpoint.port, op("ListTables"), b'{"Bogus": 1, "Limit": null}')
    assert r.status == 200


def test_validation_error_shape(endpoint: Endpoint) -> None:
    r = call(endpoint.host, endpoint.port, op("GetItem"), json.dumps({"TableName": "users", "Key": {}}).encode())
    assert r.status == 400
    assert r.json["__type"] == "com.amazon.coral.validate#ValidationException"
    assert r.json["message"] == "The provided key element does not match the schema"
    assert r.crc_ok()


def test_resource_not_found_shape(endpoint: Endpoint) -> None:
    r = call(endpoint.host, endpoint.port, op("DescribeTable"), b'{"TableName": "missing"}')
    assert r.status == 400
    assert r.json == {"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
                      "message": "Requested resource not found"}  # fmt: skip


def test_error_bodies() -> None:
    item = {"id": {"B": b"\x00"}}
    assert error_body(ConditionalCheckFailedException(item=item)) == {
        "__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
        "message": "The conditional request failed", "Item": {"id": {"B": "AA=="}}}  # fmt: skip
    assert error_body(InternalServerError("Internal server error"))["__type"].endswith("v20120810#InternalServerError")
    assert error_body(ValidationException("x")) == {"__type": "com.amazon.coral.validate#ValidationException",
                                                    "message": "x"}  # fmt: skip


def test_too_large_body_is_413(serve) -> None:  # type: ignore[no-untyped-def]
    ep = serve(HttpOptions(max_body_bytes=1000))
    body = json.dumps({"TableName": "users", "Item": {"id": {"S": "x" * 2000}}}).encode()
    r = call(ep.host, ep.port, op("PutItem"), body)
    assert r.status == 413 and r.body == b""


def test_default_body_limit_is_16_mb() -> None:
    assert HttpOptions().max_body_bytes == 16 * 1024 * 1024


def test_deep_nesting_is_a_validation_error_not_a_crash(endpoint: Endpoint) -> None:
    deep = '{"id": {"S": "a"}, "d": ' + '{"L": [' * 5000 + '{"S": "x"}' + "]}" * 5000 + "}"
    body = ('{"TableName": "users", "Item": ' + deep + "}").encode()
    r = call(endpoint.host, endpoint.port, op("PutItem"), body)
    assert r.status == 400
    assert r.json == {"__type": "com.amazon.coral.validate#ValidationException",
                      "message": "Nesting Levels have exceeded supported limits: "
                                 "Attributes in the item have nested levels beyond supported limit"}  # fmt: skip
    r = call(endpoint.host, endpoint.port, op("PutItem"), b"[" * 100_000)
    assert r.status == 400


def test_json_depth_scan_ignores_brackets_in_strings() -> None:
    assert not json_depth_exceeds('{"a": "' + "[" * 500 + '"}', 10)
    assert not json_depth_exceeds('{"a": "\\"' + "{" * 500 + '"}', 10)
    assert json_depth_exceeds("[" * 11 + "]" * 11, 10)
    assert not json_depth_exceeds("[" * 10 + "]" * 10, 10)


def test_crc32_and_request_id_on_success(endpoint: Endpoint) -> None:
    r = call(endpoint.host, endpoint.port, op("ListTables"), b"{}")
    assert r.status == 200 and r.crc_ok()
    assert r.headers["content-type"] == "application/x-amz-json-1.0"
    ids = {call(endpoint.host, endpoint.port, op("ListTables"), b"{}").headers["x-amzn-requestid"] for _ in range(5)}
    assert len(ids) == 5


def test_sdk_invocation_id_is_the_router_request_id(endpoint: Endpoint) -> None:
    c = client(endpoint.url)
    c.put_item(TableName="users", Item={"id": {"S": "inv"}})
    name, _, rid = endpoint.executor.calls[-1]
    assert name == "PutItem" and len(rid) == 36  # botocore's amz-sdk-invocation-id, a UUID


def test_cors_preflight(endpoint: Endpoint) -> None:
    r = raw(endpoint.host, endpoint.port, "OPTIONS", headers={
        "Origin": "http://console", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-amz-target"})  # fmt: skip
    assert r.status == 200
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["access-control-allow-headers"] == "x-amz-target"


def test_boto3_client_and_resource_round_trip(endpoint: Endpoint) -> None:
    c = client(endpoint.url)
    assert "users" in c.list_tables()["TableNames"]
    c.put_item(TableName="users", Item={"id": {"S": "a"}, "b": {"B": b"\x00\xff"}, "n": {"N": "1.5"}})
    got = c.get_item(TableName="users", Key={"id": {"S": "a"}})["Item"]
    assert got == {"id": {"S": "a"}, "b": {"B": b"\x00\xff"}, "n": {"N": "1.5"}}
    table = resource(endpoint.url).Table("users")
    table.put_item(Item={"id": "r", "tags": {"x", "y"}})
    assert table.get_item(Key={"id": "r"})["Item"]["tags"] == {"x", "y"}
    with pytest.raises(ClientError) as e:
        c.get_item(TableName="users", Key={"nope": {"S": "a"}})
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_signature_checked_when_keys_configured(serve) -> None:  # type: ignore[no-untyped-def]
    ep = serve(HttpOptions(SigV4Verifier({KEY: SECRET})))
    assert client(ep.url).list_tables()["TableNames"]
    with pytest.raises(ClientError) as e:
        client(ep.url, key="AKIDUNKNOWN").list_tables()
    assert e.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert e.value.response["Error"]["Message"] == "The security token included in the request is invalid."
    with pytest.raises(ClientError) as e:
        client(ep.url, secret="wrong").list_tables()
    assert e.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert e.value.response["Error"]["Message"].startswith(
        "The request signature we calculated does not match the signature you provided.")
    r = raw(ep.host, ep.port, body=b"{}", headers={"X-Amz-Target": op("ListTables"),
                                                   "Content-Type": "application/x-amz-json-1.0"})  # fmt: skip
    assert r.status == 400
    assert r.json == {"__type": "com.amazon.coral.service#MissingAuthenticationTokenException",
                      "message": "Request is missing Authentication Token"}  # fmt: skip


def test_expired_signature_rejected(serve) -> None:  # type: ignore[no-untyped-def]
    ep = serve(HttpOptions(SigV4Verifier({KEY: SECRET})), clock=lambda: time.time() + 3600)
    with pytest.raises(ClientError) as e:
        client(ep.url).list_tables()
    assert e.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert e.value.response["Error"]["Message"].startswith("Signature expired: ")
