"""The generic table/item commands: option derivation, JSON handling, output and errors.

The last tests run the whole command against an in-process fake DynamoDB gRPC service, so the
real client path (request conversion, error metadata, B as base64 in output) is exercised
without a cluster.
"""

from __future__ import annotations

import json
from concurrent import futures
from pathlib import Path
from typing import Any, Iterator

import grpc
import pytest

from kuradb import cli, wire
from kuradb.errors import ConditionalCheckFailedException, SerializationException, ValidationException
from kuradb.proto import dynamodb_pb2_grpc as dpb_grpc
from kuradb.tools import items


def test_kebab_case_follows_the_aws_cli() -> None:
    assert items.kebab("ExpressionAttributeValues") == "expression-attribute-values"
    assert items.kebab("ReturnValuesOnConditionCheckFailure") == "return-values-on-condition-check-failure"
    assert items.kebab("TableName") == "table-name"
    assert items.COMMAND_TO_OPERATION["batch-write-item"] == "BatchWriteItem"
    assert set(items.COMMAND_TO_OPERATION.values()) == set(wire.OPERATION_NAMES)


def test_every_operation_command_is_routed_by_the_cli() -> None:
    for command in items.COMMAND_TO_OPERATION:
        assert cli.COMMANDS[command][0] == "kuradb.tools.items:main"


def test_every_cli_command_resolves_to_a_function() -> None:
    for name in cli.COMMANDS:
        assert callable(cli.resolve(name)), name


def test_cli_help_and_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "put-item" in out and "up" in out and "node" in out
    assert cli.main(["no-such-command"]) == 2


def test_parameter_kinds_are_derived_from_the_request_shape() -> None:
    kinds = {p.member: p.kind for p in items.parameters("Query")}
    assert kinds["TableName"] == "string"
    assert kinds["Limit"] == "integer"
    assert kinds["ConsistentRead"] == "boolean"
    assert kinds["ScanIndexForward"] == "boolean"
    assert kinds["ExpressionAttributeValues"] == "json"
    assert kinds["ExclusiveStartKey"] == "json"
    options = {p.option for p in items.parameters("PutItem")}
    assert {"--table-name", "--item", "--condition-expression", "--expression-attribute-names"} <= options


def test_put_item_request_from_options() -> None:
    _, req = items.parse_request("put-item", [
        "--table-name", "t", "--item", '{"id": {"S": "1"}, "b": {"B": "AAE="}, "n": {"N": "4.5"}}',
        "--condition-expression", "attribute_not_exists(#i)", "--expression-attribute-names", '{"#i": "id"}',
        "--return-values", "ALL_OLD",
    ])
    assert req == {
        "TableName": "t",
        "Item": {"id": {"S": "1"}, "b": {"B": b"\x00\x01"}, "n": {"N": "4.5"}},
        "ConditionExpression": "attribute_not_exists(#i)",
        "ExpressionAttributeNames": {"#i": "id"},
        "ReturnValues": "ALL_OLD",
    }


def test_booleans_integers_and_absent_options() -> None:
    _, req = items.parse_request("query", ["--table-name", "t", "--no-scan-index-forward", "--consistent-read",
                                           "--limit", "5"])
    assert req == {"TableName": "t", "ScanIndexForward": False, "ConsistentRead": True, "Limit": 5}
    _, req = items.parse_request("list-tables", [])
    assert req == {}


def test_create_table_structures() -> None:
    _, req = items.parse_request("create-table", [
        "--table-name", "t", "--billing-mode", "PROVISIONED",
        "--attribute-definitions", '[{"AttributeName": "id", "AttributeType": "S"}]',
        "--key-schema", '[{"AttributeName": "id", "KeyType": "HASH"}]',
        "--provisioned-throughput", '{"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}',
    ])
    assert req["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert req["ProvisionedThroughput"] == {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}


def test_cli_input_json_and_file_values(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    key.write_text('{"id": {"S": "from-file"}}')
    _, req = items.parse_request("get-item", [
        "--cli-input-json", '{"TableName": "a", "Key": {"id": {"S": "x"}}, "ConsistentRead": true}',
        "--table-name", "b", "--key", f"file://{key}",
    ])
    assert req == {"TableName": "b", "Key": {"id": {"S": "from-file"}}, "ConsistentRead": True}


def test_invalid_json_is_reported_like_the_aws_cli() -> None:
    with pytest.raises(items.ParameterError, match=r"^Error parsing parameter '--item': Invalid JSON: "):
        items.parse_request("put-item", ["--table-name", "t", "--item", "{nope"])
    with pytest.raises(items.ParameterError, match="Unable to load paramfile"):
        items.parse_request("put-item", ["--item", "file:///no/such/file.json"])


def test_json_of_the_wrong_shape_is_the_wire_error() -> None:
    with pytest.raises(SerializationException):
        items.parse_request("put-item", ["--table-name", "t", "--item", '{"id": {"S": 5}}'])
    with pytest.raises(SerializationException):
        items.parse_request("put-item", ["--table-name", "t", "--item", "[1, 2]"])


def test_response_output_uses_base64_for_binary() -> None:
    text = items.format_response({"Item": {"b": {"B": b"\x00\x01"}, "bs": {"BS": [b"\xff"]}, "s": {"S": "é"}}})
    assert json.loads(text) == {"Item": {"b": {"B": "AAE="}, "bs": {"BS": ["/w=="]}, "s": {"S": "é"}}}
    assert items.format_response({}) == ""


def test_error_format() -> None:
    err = ConditionalCheckFailedException()
    assert items.format_error("PutItem", err) == (
        "An error occurred (ConditionalCheckFailedException) when calling the PutItem operation: "
        "The conditional request failed"
    )


# ---------------------------------------------------------------------------- against a fake service


class _FakeDynamo(dpb_grpc.DynamoDBServicer):
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []

    def GetItem(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        self.requests.append(("GetItem", wire.request_to_dict(request)))
        return wire.dict_to_response("GetItem", {"Item": {"id": {"S": "1"}, "b": {"B": b"\x00\x01"}}})

    def PutItem(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        self.requests.append(("PutItem", wire.request_to_dict(request)))
        if "ConditionExpression" in wire.request_to_dict(request):
            code, message, metadata = wire.error_to_status(ConditionalCheckFailedException())
        else:
            code, message, metadata = wire.error_to_status(
                ValidationException("One or more parameter values were invalid: Missing the key id in the item"))
        context.set_trailing_metadata(metadata)
        context.abort(code, message)


@pytest.fixture
def fake() -> Iterator[tuple[_FakeDynamo, str]]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    service = _FakeDynamo()
    dpb_grpc.add_DynamoDBServicer_to_server(service, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield service, f"127.0.0.1:{port}"
    finally:
        server.stop(0)


def test_get_item_prints_the_response(fake: tuple[_FakeDynamo, str], capsys: pytest.CaptureFixture[str]) -> None:
    service, endpoint = fake
    rc = cli.main(["get-item", "--endpoint", endpoint, "--table-name", "t", "--key", '{"id": {"S": "1"}}'])
    assert rc == 0
    assert json.loads(capsys.readouterr().out) == {"Item": {"id": {"S": "1"}, "b": {"B": "AAE="}}}
    assert service.requests == [("GetItem", {"TableName": "t", "Key": {"id": {"S": "1"}}})]


def test_service_error_prints_aws_cli_text_and_exits_255(
    fake: tuple[_FakeDynamo, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, endpoint = fake
    rc = cli.main(["put-item", "--endpoint", endpoint, "--table-name", "t", "--item", '{"x": {"S": "1"}}',
                   "--condition-expression", "attribute_exists(id)"])
    captured = capsys.readouterr()
    assert rc == 255 and captured.out == ""
    assert captured.err.strip() == (
        "An error occurred (ConditionalCheckFailedException) when calling the PutItem operation: "
        "The conditional request failed"
    )
    rc = cli.main(["put-item", "--endpoint", endpoint, "--table-name", "t", "--item", '{"x": {"S": "1"}}'])
    assert rc == 255
    assert "(ValidationException)" in capsys.readouterr().err


def test_local_parameter_errors_exit_255_without_a_call(
    fake: tuple[_FakeDynamo, str], capsys: pytest.CaptureFixture[str]
) -> None:
    service, endpoint = fake
    assert cli.main(["put-item", "--endpoint", endpoint, "--item", "{"]) == 255
    assert "Error parsing parameter '--item'" in capsys.readouterr().err
    assert cli.main(["put-item", "--endpoint", endpoint, "--item", '{"id": {"S": 1}}']) == 255
    assert "(SerializationException)" in capsys.readouterr().err
    assert service.requests == []
