"""TEST-ONLY: raw HTTP calls to the endpoint and botocore-signed requests."""

from __future__ import annotations

import http.client
import json
import zlib
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

REGION = "us-east-1"
KEY, SECRET = "AKIDTEST", "secret-test-key"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def crc_ok(self) -> bool:
        return self.headers.get("x-amz-crc32") == str(zlib.crc32(self.body) & 0xFFFFFFFF)


def signed_headers(url: str, target: str | None, body: bytes, key: str = KEY, secret: str = SECRET,
                   content_type: str = "application/x-amz-json-1.0", region: str = REGION) -> dict[str, str]:  # fmt: skip
    headers = {"Content-Type": content_type}
    if target is not None:
        headers["X-Amz-Target"] = target
    req = AWSRequest(method="POST", url=url + "/", data=body, headers=headers)
    SigV4Auth(Credentials(key, secret), "dynamodb", region).add_auth(req)
    return dict(req.headers.items())


def raw(host: str, port: int, method: str = "POST", body: bytes = b"", headers: dict[str, str] | None = None,
        path: str = "/") -> Reply:  # fmt: skip
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()


def call(host: str, port: int, target: str | None, body: bytes, **kw: Any) -> Reply:
    """A POST signed by botocore (valid for any open-mode endpoint and for KEY/SECRET)."""
    return raw(host, port, body=body, headers=signed_headers(f"http://{host}:{port}", target, body, **kw))


def op(name: str) -> str:
    return f"DynamoDB_20120810.{name}"


def client(url: str, key: str = KEY, secret: str = SECRET, **kw: Any) -> Any:
    return boto3.client("dynamodb", endpoint_url=url, region_name=REGION, aws_access_key_id=key,
                        aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}), **kw)  # fmt: skip


def resource(url: str) -> Any:
    return boto3.resource("dynamodb", endpoint_url=url, region_name=REGION, aws_access_key_id=KEY,
                          aws_secret_access_key=SECRET)  # fmt: skip
