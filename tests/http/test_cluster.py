"""boto3 (client and resource), the AWS CLI and PynamoDB, unchanged, against a REAL local cluster:
coordinator + 3 nodes (3 AZs) + routers serving the DynamoDB JSON protocol."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from tests.http.cluster import HttpCluster
from tests.http.helpers import KEY, SECRET, client, resource

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def kura(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpCluster]:
    c = HttpCluster(tmp_path_factory.mktemp("http-cluster"))
    try:
        c.start()
        yield c
    finally:
        c.stop()


@pytest.fixture(scope="module")
def url(kura: HttpCluster) -> str:
    return kura.router()


def wait_active(c: Any, name: str) -> None:
    c.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 150})
    assert c.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"


def new_table(c: Any, range_key: bool = True) -> str:
    name = f"t-{uuid.uuid4().hex[:10]}"
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}]
    schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
    if range_key:
        attrs.append({"AttributeName": "sk", "AttributeType": "N"})
        schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
    c.create_table(TableName=name, AttributeDefinitions=attrs, KeySchema=schema, BillingMode="PAY_PER_REQUEST")
    wait_active(c, name)
    return name


def test_boto3_client_item_operations(url: str) -> None:
    c = client(url)
    name = new_table(c)
    assert name in c.list_tables()["TableNames"]
    r = c.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "b": {"B": b"\x00\x01"}},
                   ReturnConsumedCapacity="TOTAL")  # fmt: skip
    assert r["ConsumedCapacity"]["TableName"] == name and r["ConsumedCapacity"]["CapacityUnits"] > 0
    got = c.get_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"N": "1"}}, ConsistentRead=True)["Item"]
    assert got["b"] == {"B": b"\x00\x01"}
    r = c.update_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"N": "1"}}, UpdateExpression="ADD n :one",
                      ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="UPDATED_NEW")  # fmt: skip
    assert r["Attributes"] == {"n": {"N": "1"}}
    with pytest.raises(ClientError) as e:
        c.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"N": "1"}},
                   ConditionExpression="attribute_not_exists(pk)", ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert e.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert e.value.response["Error"]["Message"] == "The conditional request failed"
    assert e.value.response["Item"]["n"] == {"N": "1"}
    # legacy parameters
    c.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"N": "2"}, "x": {"S": "y"}},
               Expected={"pk": {"Exists": False}})  # fmt: skip
    got = c.get_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"N": "2"}}, AttributesToGet=["x"])["Item"]
    assert got == {"x": {"S": "y"}}
    q = c.query(TableName=name, KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]}})
    assert q["Count"] == 2
    with pytest.raises(ClientError) as e:
        c.get_item(TableName=name, Key={"pk": {"S": "a"}})
    assert e.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as e:
        c.get_item(TableName="no-such-table", Key={"pk": {"S": "a"}})
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    c.delete_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"N": "2"}})
    assert "Item" not in c.get_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"N": "2"}}, ConsistentRead=True)


def test_boto3_paginators_and_batches(url: str) -> None:
    c = client(url)
    name = new_table(c)
    puts = [{"PutRequest": {"Item": {"pk": {"S": "p"}, "sk": {"N": str(i)}}}} for i in range(25)]
    assert c.batch_write_item(RequestItems={name: puts})["UnprocessedItems"] == {}
    pages = list(c.get_paginator("query").paginate(
        TableName=name, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}},
        PaginationConfig={"PageSize": 7}))  # fmt: skip
    assert len(pages) >= 4
    assert [int(i["sk"]["N"]) for p in pages for i in p["Items"]] == list(range(25))
    scanned = [i for p in c.get_paginator("scan").paginate(TableName=name, PaginationConfig={"PageSize": 10})
               for i in p["Items"]]  # fmt: skip
    assert len(scanned) == 25
    keys = [{"pk": {"S": "p"}, "sk": {"N": str(i)}} for i in range(0, 25, 5)]
    got = c.batch_get_item(RequestItems={name: {"Keys": keys}}, ReturnConsumedCapacity="TOTAL")
    assert sorted(int(i["sk"]["N"]) for i in got["Responses"][name]) == [0, 5, 10, 15, 20]
    assert got["ConsumedCapacity"][0]["TableName"] == name


def test_boto3_resource_api(url: str) -> None:
    name = new_table(client(url))
    table = resource(url).Table(name)
    table.put_item(Item={"pk": "r", "sk": 0, "tags": {"a", "b"}, "doc": {"n": Decimal("1.5"), "l": [1, "x", None]}})
    item = table.get_item(Key={"pk": "r", "sk": 0})["Item"]
    assert item["tags"] == {"a", "b"} and item["doc"] == {"n": Decimal("1.5"), "l": [1, "x", None]}
    with table.batch_writer() as bw:
        for i in range(1, 60):
            bw.put_item(Item={"pk": "r", "sk": i, "even": i % 2 == 0})
    r = table.query(KeyConditionExpression=Key("pk").eq("r") & Key("sk").between(10, 19),
                    FilterExpression=Attr("even").eq(True))  # fmt: skip
    assert [int(i["sk"]) for i in r["Items"]] == [10, 12, 14, 16, 18]
    assert r["ScannedCount"] == 10
    r = table.scan(FilterExpression=Attr("sk").gte(55))
    assert sorted(int(i["sk"]) for i in r["Items"]) == [55, 56, 57, 58, 59]
    table.update_item(Key={"pk": "r", "sk": 0}, UpdateExpression="SET doc.n = doc.n + :d",
                      ExpressionAttributeValues={":d": Decimal("2")})  # fmt: skip
    assert table.get_item(Key={"pk": "r", "sk": 0}, ConsistentRead=True)["Item"]["doc"]["n"] == Decimal("3.5")


def aws(url: str, *args: str) -> Any:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "dummy", "AWS_SECRET_ACCESS_KEY": "dummy",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull,
           "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_PAGER": ""}  # fmt: skip
    out = subprocess.run([sys.executable, "-m", "awscli", "dynamodb", *args, "--endpoint-url", url, "--output", "json"],
                         env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout) if out.stdout.strip() else None


def test_aws_cli(url: str) -> None:
    name = f"cli-{uuid.uuid4().hex[:8]}"
    aws(url, "create-table", "--table-name", name, "--billing-mode", "PAY_PER_REQUEST",
        "--attribute-definitions", "AttributeName=id,AttributeType=S", "--key-schema", "AttributeName=id,KeyType=HASH")
    wait_active(client(url), name)
    assert name in aws(url, "list-tables")["TableNames"]
    aws(url, "put-item", "--table-name", name, "--item", '{"id": {"S": "1"}, "n": {"N": "42"}}')
    got = aws(url, "get-item", "--table-name", name, "--key", '{"id": {"S": "1"}}', "--consistent-read")
    assert got["Item"] == {"id": {"S": "1"}, "n": {"N": "42"}}
    assert aws(url, "scan", "--table-name", name)["Count"] == 1
    aws(url, "delete-table", "--table-name", name)


def test_pynamodb_model(url: str) -> None:
    from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
    from pynamodb.models import Model

    class Thing(Model):
        class Meta:
            table_name = f"pyn-{uuid.uuid4().hex[:8]}"
            host = url
            region = "us-east-1"
            aws_access_key_id = "dummy"
            aws_secret_access_key = "dummy"
            billing_mode = "PAY_PER_REQUEST"

        owner = UnicodeAttribute(hash_key=True)
        n = NumberAttribute(range_key=True)
        tags = UnicodeSetAttribute(null=True)

    Thing.create_table(wait=False)
    wait_active(client(url), Thing.Meta.table_name)
    for i in range(5):
        Thing("ann", i, tags={"t"} if i % 2 else None).save()
    assert Thing.get("ann", 3).tags == {"t"}
    assert [t.n for t in Thing.query("ann", Thing.n >= 2)] == [2, 3, 4]
    assert Thing.count("ann") == 5
    thing = Thing.get("ann", 1)
    thing.update(actions=[Thing.tags.add({"u"})])
    assert Thing.get("ann", 1, consistent_read=True).tags == {"t", "u"}
    thing.delete()
    assert Thing.count("ann", consistent_read=True) == 4


def test_router_with_access_keys_verifies_signatures(kura: HttpCluster, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.write_text(f"{KEY}:{SECRET}\n")
    signed_url = kura.router("--access-keys", f"@{keys}")
    assert isinstance(client(signed_url).list_tables()["TableNames"], list)
    with pytest.raises(ClientError) as e:
        client(signed_url, key="AKIDWRONG").list_tables()
    assert e.value.response["Error"]["Code"] == "UnrecognizedClientException"
    with pytest.raises(ClientError) as e:
        client(signed_url, secret="not-the-secret").list_tables()
    assert e.value.response["Error"]["Code"] == "InvalidSignatureException"
