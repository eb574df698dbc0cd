"""The DynamoDB JSON 1.0 wire protocol (what boto3, the AWS CLI and PynamoDB speak) over aiohttp.

Rules and invariants:

* One request path: the handler parses and type-checks the JSON body with kuradb.wire (the same
  shapes as the gRPC API) and hands the internal dict to the SAME transport-independent
  ``execute(operation, request, request_id, deadline)`` the gRPC servicer calls (router/service.py
  ``Router.execute``). Nothing here validates or routes on its own.
* Checks run in the order DynamoDB runs them (recorded by dynalite's tests against the real
  service), so a request with several faults gets DynamoDB's answer:
  body size (> 16 MB: 413, empty body) -> GET health answer -> method and Content-Type (404
  ``<UnknownOperationException/>``) -> JSON syntax (SerializationException) -> X-Amz-Target
  (UnknownOperationException) -> signature (router/sigv4.py) -> empty body
  (SerializationException) -> JSON types (SerializationException) -> the operation itself.
* ``GET`` answers 200 ``healthy: dynamodb.<region>.amazonaws.com `` (trailing space included), as
  DynamoDB and DynamoDB Local do; load balancers and dynalite-era tooling probe it.
* Every answer carries ``x-amzn-RequestId`` (52 characters of [0-9A-Z]) and, when it has a body,
  ``x-amz-crc32`` = CRC-32 of the exact body bytes (botocore verifies it and retries on mismatch).
* Errors are ``{"__type": "<namespace>#<Name>", "message": ...}`` with the namespace DynamoDB
  uses for that name (Coral's service/validate/availability namespaces for framework errors,
  com.amazonaws.dynamodb.v20120810 for the service's own) and the error's HTTP status
  (kuradb/errors.py). SerializationException spells the key ``Message`` as Coral does; a
  ConditionalCheckFailedException with ReturnValuesOnConditionCheckFailure=ALL_OLD carries
  ``Item``. Any exception that is not a KuraError is a server fault: logged, answered 500
  InternalServerError — never a dropped connection.
* Hostile input is bounded before it can hurt: the body size is capped while reading, and JSON
  nesting is measured with a linear, non-recursive scan *before* ``json.loads`` so a deeply nested
  document is a ValidationException, not a RecursionError.
* Request id: botocore's ``amz-sdk-invocation-id`` is the same for every retry of one SDK call,
  so it becomes the router request id (writes retried by the SDK are applied once); without it a
  fresh random id is used.
* No globals: every app gets its executor, verifier, options and metrics from the factory, so
  several endpoints can run in one process.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any, Final, Protocol

from aiohttp import web

from kuradb import wire
from kuradb.errors import (
    ConditionalCheckFailedException,
    InternalServerError,
    KuraError,
    SerializationException,
    UnknownOperationException,
    ValidationException,
)
from kuradb.model.values import MSG_DEPTH
from kuradb.router.metrics import RouterMetrics
from kuradb.router.sigv4 import SignedRequest, SigV4Verifier

log = logging.getLogger("kuradb.router.http")

TARGET_PREFIX: Final = "DynamoDB_20120810."
CONTENT_TYPES: Final = ("application/x-amz-json-1.0", "application/json")
MAX_BODY_BYTES: Final = 16 * 1024 * 1024  # DynamoDB's (and dynalite's) request size limit
#: JSON nesting accepted before parsing. An item may nest 32 levels and each level costs two JSON
#: levels ({"M": {"a": ...}}); the rest is request structure. Deeper documents cannot be valid.
MAX_JSON_DEPTH: Final = 100
MAX_REQUEST_ID_BYTES: Final = 128
#: A document too deep to parse is refused with the item validator's own words (it could only
#: have been an over-nested attribute value), so the two limits read the same to a client.
MSG_NESTING: Final = MSG_DEPTH
INVOCATION_ID_HEADER: Final = "amz-sdk-invocation-id"

_NOT_FOUND_BODY: Final = b"<UnknownOperationException/>\n"
_CORAL_SERVICE: Final = "com.amazon.coral.service"
_NAMESPACES: Final[dict[str, str]] = {
    "SerializationException": _CORAL_SERVICE,
    "UnknownOperationException": _CORAL_SERVICE,
    "MissingAuthenticationTokenException": _CORAL_SERVICE,
    "IncompleteSignatureException": _CORAL_SERVICE,
    "InvalidSignatureException": _CORAL_SERVICE,
    "UnrecognizedClientException": _CORAL_SERVICE,
    "AccessDeniedException": _CORAL_SERVICE,
    "ValidationException": "com.amazon.coral.validate",
    "ThrottlingException": "com.amazon.coral.availability",
}
_DYNAMODB_NAMESPACE: Final = "com.amazonaws.dynamodb.v20120810"
_STRING: Final = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS: Final = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP: Final = {"[": 1, "{": 1, "]": -1, "}": -1}


class RequestExecutor(Protocol):
    """The transport-independent request path (router/service.py ``Router`` implements it)."""

    async def execute(self, operation: str, request: dict[str, Any], request_id: bytes,
                      deadline: float) -> dict[str, Any]: ...  # fmt: skip


@dataclass(frozen=True)
class HttpOptions:
    verifier: SigV4Verifier = field(default_factory=SigV4Verifier)
    request_timeout_s: float = 10.0
    max_body_bytes: int = MAX_BODY_BYTES
    max_json_depth: int = MAX_JSON_DEPTH
    region: str = "us-east-1"  # only named in the GET health answer

    @property
    def health_body(self) -> bytes:
        return f"healthy: dynamodb.{self.region}.amazonaws.com ".encode()


# ------------------------------------------------------------------ pure helpers


def new_request_id() -> str:
    """52 characters of [0-9A-Z], the shape DynamoDB's x-amzn-RequestId has."""
    return base64.b64encode(os.urandom(39)).decode("ascii").upper().replace("+", "0").replace("/", "0")


def crc32(body: bytes) -> str:
    return str(zlib.crc32(body) & 0xFFFFFFFF)


def json_depth_exceeds(text: str, limit: int) -> bool:
    """Whether ``text`` nests arrays/objects deeper than ``limit``, without recursion: strings are
    blanked out, then the running bracket balance is scanned in C (``accumulate``). Malformed
    JSON may give a meaningless depth; the parser rejects it right after."""
    if text.count("[") + text.count("{") <= limit:
        return False
    brackets = _BRACKETS.sub("", _STRING.sub("", text))
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0) > limit


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(body: bytes, max_depth: int) -> Any:
    """The JSON document of ``body``; SerializationException (DynamoDB: no message) if it is not
    JSON, ValidationException if it nests deeper than any valid request can."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise SerializationException("") from None
    if json_depth_exceeds(text, max_depth):
        raise ValidationException(MSG_NESTING)
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise SerializationException("") from None


def error_body(err: KuraError) -> dict[str, Any]:
    """The JSON document DynamoDB answers for ``err``."""
    body: dict[str, Any] = {"__type": f"{_NAMESPACES.get(err.name, _DYNAMODB_NAMESPACE)}#{err.name}"}
    if err.message:
        body["Message" if err.name == "SerializationException" else "message"] = err.message
    if isinstance(err, ConditionalCheckFailedException) and err.item is not None:
        body["Item"] = wire.item_to_json(err.item)
    return body


def encode(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _request_id(request: web.Request) -> bytes:
    raw = request.headers.get(INVOCATION_ID_HEADER, "").encode("utf-8")
    if raw and len(raw) <= MAX_REQUEST_ID_BYTES:
        return raw
    return os.urandom(16)


def _content_type(request: web.Request) -> str:
    return request.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()


# ------------------------------------------------------------------ the endpoint


class DynamoDBHttpEndpoint:
    """The aiohttp handler; one per app (see :func:`create_app`)."""

    def __init__(self, executor: RequestExecutor, options: HttpOptions, metrics: RouterMetrics | None = None,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        self.executor = executor
        self.options = options
        self.metrics = metrics
        self.clock = clock

    async def handle(self, request: web.Request) -> web.StreamResponse:
        rid = new_request_id()
        headers = {"x-amzn-RequestId": rid, "Server": "Server"}  # DynamoDB's Server header
        if request.headers.get("Origin"):
            headers["Access-Control-Allow-Origin"] = "*"
        body = await self._read_body(request)
        if body is None:
            return web.Response(status=413, headers=headers)
        if request.method == "OPTIONS" and "Origin" in request.headers:
            return self._preflight(request, headers)
        if request.method == "GET":
            return self._raw(200, self.options.health_body, "text/plain", headers)
        ctype = _content_type(request)
        if request.method != "POST" or (body and ctype not in CONTENT_TYPES):
            return self._raw(404, _NOT_FOUND_BODY, "text/plain", headers)
        ctype = ctype if ctype in CONTENT_TYPES else CONTENT_TYPES[0]
        operation = "Unknown"
        t0 = time.perf_counter()
        code = "OK"
        try:
            data = parse_json(body, self.options.max_json_depth) if body else None
            operation = self._operation(request)
            self.options.verifier.verify(self._signed(request, body), self.clock())
            if not body:
                raise SerializationException("")
            req = wire.request_from_json(operation, {} if data is None else data)
            deadline = self.clock() + self.options.request_timeout_s
            result = await self.executor.execute(operation, req, _request_id(request), deadline)
            return self._json(200, wire.to_json(result), ctype, headers)
        except KuraError as e:
            code = e.name
            return self._json(e.http_status, error_body(e), ctype, headers)
        except asyncio.CancelledError:
            code = "Cancelled"
            raise
        except Exception:
            code = InternalServerError.name
            log.exception("unexpected error in %s", operation)
            return self._json(500, error_body(InternalServerError("Internal server error")), ctype, headers)
        finally:
            if self.metrics is not None and operation != "Unknown":
                self.metrics.requests.labels(operation, code).inc()
                self.metrics.request_seconds.labels(operation).observe(time.perf_counter() - t0)

    async def _read_body(self, request: web.Request) -> bytes | None:
        """The whole body, or None once it exceeds the size limit (the rest is not read)."""
        limit = self.options.max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            return None
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.content.iter_any():
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _operation(request: web.Request) -> str:
        target = request.headers.get("X-Amz-Target", "")
        if not target.startswith(TARGET_PREFIX):
            raise UnknownOperationException("")
        operation = target[len(TARGET_PREFIX):]
        if operation not in wire.OPERATIONS:
            raise UnknownOperationException("")
        return operation

    @staticmethod
    def _signed(request: web.Request, body: bytes) -> SignedRequest:
        raw_path, _, query = request.raw_path.partition("?")
        return SignedRequest(request.method, raw_path, query, list(request.headers.items()), body)

    @staticmethod
    def _preflight(request: web.Request, headers: dict[str, str]) -> web.Response:
        if "Access-Control-Request-Headers" in request.headers:
            headers["Access-Control-Allow-Headers"] = request.headers["Access-Control-Request-Headers"]
        if "Access-Control-Request-Method" in request.headers:
            headers["Access-Control-Allow-Methods"] = request.headers["Access-Control-Request-Method"]
        headers["Access-Control-Max-Age"] = "172800"
        return web.Response(status=200, headers=headers)

    @staticmethod
    def _raw(status: int, body: bytes, content_type: str, headers: dict[str, str]) -> web.Response:
        resp = web.Response(status=status, body=body, headers={**headers, "x-amz-crc32": crc32(body)})
        resp.content_type = content_type
        return resp

    def _json(self, status: int, document: Any, content_type: str, headers: dict[str, str]) -> web.Response:
        try:
            body = encode(document)
        except (TypeError, ValueError):
            log.exception("cannot encode a response as JSON")
            status, body = 500, encode(error_body(InternalServerError("Internal server error")))
        return self._raw(status, body, content_type, headers)


def create_app(executor: RequestExecutor, options: HttpOptions | None = None, metrics: RouterMetrics | None = None,
               clock: Callable[[], float] = time.time) -> web.Application:  # fmt: skip
    """An aiohttp application serving the DynamoDB JSON protocol on every path and method."""
    endpoint = DynamoDBHttpEndpoint(executor, options or HttpOptions(), metrics, clock)
    # The endpoint enforces its own body limit (DynamoDB's 413); aiohttp's must not fire first.
    app = web.Application(client_max_size=endpoint.options.max_body_bytes + 1)
    app.router.add_route("*", "/{tail:.*}", endpoint.handle)
    return app


@dataclass
class HttpServer:
    """A running endpoint: ``await start(host, port)`` returns the bound ``host:port``."""

    app: web.Application
    runner: web.AppRunner | None = None
    address: str = ""

    async def start(self, listen: str) -> str:
        host, _, port = listen.rpartition(":")
        self.runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self.runner.setup()
        site = web.TCPSite(self.runner, host or "0.0.0.0", int(port), reuse_address=True)
        await site.start()
        bound = self.runner.addresses[0][1]  # the real port when asked for port 0
        self.address = f"{host}:{bound}"
        return self.address

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
