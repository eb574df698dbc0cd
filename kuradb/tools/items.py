"""The DynamoDB-shaped table and item commands (``kuradb put-item ...``), as the AWS CLI has them.

Rules:

* One generic command per DynamoDB operation in :data:`kuradb.wire.OPERATION_NAMES`. The command
  name and its options are derived from the operation's request shape in dynamodb.proto: the
  member ``ExpressionAttributeValues`` is ``--expression-attribute-values``, PutItem is
  ``put-item``. Nothing is hand-written per operation, so a member added to the proto becomes an
  option without touching this file.
* Values follow the AWS CLI: string members are taken verbatim, integer members parse as
  integers, boolean members are flag pairs (``--consistent-read`` / ``--no-consistent-read``), and
  structure/list/map members are JSON (DynamoDB JSON: B as base64), or ``file://PATH`` holding it.
  ``--cli-input-json`` supplies a whole request body; explicit options override its members.
* The JSON body is turned into the internal request dict by :func:`kuradb.wire.request_from_json`
  and the response back by :func:`kuradb.wire.to_json` — the one JSON conversion of the project —
  so what this command accepts and prints is exactly the DynamoDB JSON wire format.
* Required members are not enforced here: the server answers with DynamoDB's own
  ValidationException text, which is what a user of DynamoDB expects to read.
* Output: the response as indented JSON on stdout (nothing for an empty response, as the AWS
  CLI). Errors: ``An error occurred (Name) when calling the Op operation: message`` on stderr,
  exit status 255 (AWS CLI v1); argument syntax errors exit 2 (argparse).
* Query, Scan and ListTables return one page; pass the printed LastEvaluatedKey back with
  ``--exclusive-start-key`` to continue.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from google.protobuf.descriptor import FieldDescriptor

from kuradb import wire
from kuradb.errors import KuraError

#: Exit status when the request failed (service error, unreachable endpoint, bad parameter JSON).
EXIT_ERROR: Final = 255
DEFAULT_ENDPOINT: Final = "127.0.0.1:8000"
#: Overrides DEFAULT_ENDPOINT for every command that takes --endpoint.
ENDPOINT_ENV: Final = "KURADB_ENDPOINT"

Kind = Literal["string", "integer", "boolean", "json"]

_SCALAR_KINDS: Final[dict[int, Kind]] = {
    FieldDescriptor.TYPE_STRING: "string",
    FieldDescriptor.TYPE_INT32: "integer",
    FieldDescriptor.TYPE_INT64: "integer",
    FieldDescriptor.TYPE_BOOL: "boolean",
}


def kebab(name: str) -> str:
    """``ExpressionAttributeValues`` -> ``expression-attribute-values`` (AWS CLI naming)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower()


#: ``put-item`` -> ``PutItem`` for every operation KuraDB serves.
COMMAND_TO_OPERATION: Final[dict[str, str]] = {kebab(op): op for op in wire.OPERATION_NAMES}


@dataclass(frozen=True)
class Param:
    """One request member of an operation, as a command-line option."""

    member: str  # the DynamoDB member name, e.g. "ConsistentRead"
    kind: Kind

    @property
    def option(self) -> str:
        return "--" + kebab(self.member)

    @property
    def dest(self) -> str:
        return "p_" + self.member  # cannot collide with the fixed options (endpoint, timeout)


def parameters(operation: str) -> tuple[Param, ...]:
    """The request members of ``operation`` in proto order, with the kind of value each takes."""
    request_cls, _ = wire.OPERATIONS[operation]
    out = []
    for fd in request_cls.DESCRIPTOR.fields:
        kind: Kind = "json" if fd.message_type is not None else _SCALAR_KINDS.get(fd.type, "string")
        out.append(Param(fd.json_name, kind))
    return tuple(out)


class ParameterError(ValueError):
    """An option value that is not what its member needs (e.g. invalid JSON); worded as the AWS
    CLI words it."""


def default_endpoint() -> str:
    return os.environ.get(ENDPOINT_ENV) or DEFAULT_ENDPOINT


def build_parser(command: str) -> argparse.ArgumentParser:
    operation = COMMAND_TO_OPERATION[command]
    p = argparse.ArgumentParser(
        prog=f"kuradb {command}",
        description=f"Call DynamoDB {operation} on a KuraDB endpoint. Structure, list and map "
        "options take DynamoDB JSON (or file://PATH); the response is printed as JSON.",
    )
    p.add_argument("--endpoint", default=default_endpoint(),
                   help=f"router gRPC address (default ${ENDPOINT_ENV} or {DEFAULT_ENDPOINT})")  # fmt: skip
    p.add_argument("--timeout", type=float, default=10.0, help="overall deadline of the call, seconds (default 10)")
    p.add_argument("--cli-input-json", metavar="JSON", help="the whole request body as JSON (or file://PATH)")
    for param in parameters(operation):
        if param.kind == "boolean":
            p.add_argument(param.option, dest=param.dest, action=argparse.BooleanOptionalAction, default=None,
                           help=param.member)  # fmt: skip
        elif param.kind == "integer":
            p.add_argument(param.option, dest=param.dest, type=int, metavar="N", help=param.member)
        elif param.kind == "json":
            p.add_argument(param.option, dest=param.dest, metavar="JSON", help=f"{param.member} (JSON)")
        else:
            p.add_argument(param.option, dest=param.dest, metavar="TEXT", help=param.member)
    return p


def _load_json(option: str, text: str) -> Any:
    """JSON text or ``file://PATH`` -> value; ParameterError as the AWS CLI words it."""
    if text.startswith("file://"):
        try:
            text = Path(text[len("file://"):]).read_text(encoding="utf-8")
        except OSError as e:
            raise ParameterError(f"Error parsing parameter '{option}': Unable to load paramfile {text}: {e}") from e
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ParameterError(f"Error parsing parameter '{option}': Invalid JSON: {e}\nJSON received: {text}") from e


def request_body(operation: str, args: argparse.Namespace) -> dict[str, Any]:
    """The DynamoDB JSON request body the parsed options describe (before wire conversion)."""
    body: dict[str, Any] = {}
    if args.cli_input_json is not None:
        loaded = _load_json("--cli-input-json", args.cli_input_json)
        if not isinstance(loaded, dict):
            raise ParameterError("Error parsing parameter '--cli-input-json': the input must be a JSON object")
        body.update(loaded)
    for param in parameters(operation):
        value = getattr(args, param.dest)
        if value is None:
            continue
        body[param.member] = _load_json(param.option, value) if param.kind == "json" else value
    return body


def parse_request(command: str, argv: Sequence[str]) -> tuple[argparse.Namespace, dict[str, Any]]:
    """argv (after the command name) -> (options, internal request dict).

    Raises ParameterError for unreadable JSON and the wire's SerializationException /
    ValidationException for JSON of the wrong shape, before any network I/O.
    """
    operation = COMMAND_TO_OPERATION[command]
    args = build_parser(command).parse_args(list(argv))
    return args, wire.request_from_json(operation, request_body(operation, args))


def format_response(response: Mapping[str, Any]) -> str:
    """Internal response dict -> the AWS CLI's output (indented DynamoDB JSON; '' when empty)."""
    if not response:
        return ""
    return json.dumps(wire.to_json(dict(response)), indent=4, ensure_ascii=False)


def format_error(operation: str, error: KuraError) -> str:
    return f"An error occurred ({error.name}) when calling the {operation} operation: {error.message}"


def run(command: str, argv: Sequence[str]) -> int:
    """Parse, call, print; returns the exit status."""
    from kuradb.client import KuraClient  # grpc channel machinery only when a call is made
    from kuradb.client.retry import TRANSPORT_CODE

    operation = COMMAND_TO_OPERATION[command]
    try:
        args, request = parse_request(command, argv)
    except ParameterError as e:
        print(e, file=sys.stderr)
        return EXIT_ERROR
    except KuraError as e:
        print(format_error(operation, e), file=sys.stderr)
        return EXIT_ERROR
    try:
        with KuraClient(args.endpoint, timeout=args.timeout) as client:
            response = client.invoke(operation, request)
    except KuraError as e:
        if e.details.get(TRANSPORT_CODE) == "UNAVAILABLE":
            print(f"Could not connect to the endpoint {args.endpoint}: {e.message}", file=sys.stderr)
        else:
            print(format_error(operation, e), file=sys.stderr)
        return EXIT_ERROR
    except TimeoutError as e:
        print(f"Read timeout on endpoint {args.endpoint} calling {operation}: {e}", file=sys.stderr)
        return EXIT_ERROR
    text = format_response(response)
    if text:
        try:
            print(text, flush=True)
        except BrokenPipeError:  # `kuradb scan ... | head`: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
    return 0


def main(argv: list[str]) -> int:
    """``argv[0]`` is the command name (``put-item``), the rest its options."""
    if not argv or argv[0] not in COMMAND_TO_OPERATION:
        known = ", ".join(COMMAND_TO_OPERATION)
        print(f"kuradb: expected one of {known}", file=sys.stderr)
        return 2
    return run(argv[0], argv[1:])
