"""The one conversion between wire forms and KuraDB's internal request/response dicts.

Internal form: the DynamoDB JSON API shape as plain Python values — keys exactly as DynamoDB
names them ("TableName", "Item", "ConditionExpression", ...), attribute values as one-key
dicts {"S": str} {"N": str} {"B": bytes} {"SS": [str]} {"NS": [str]} {"BS": [bytes]}
{"M": {name: av}} {"L": [av]} {"BOOL": bool} {"NULL": bool}. Binary is raw bytes; base64
exists only on the JSON wire.

Rules and invariants:
- Presence is preserved both ways: a dict holds exactly the parameters the caller sent, so
  the validator can tell a missing parameter from an empty or zero one (the proto keeps
  presence with `optional` scalars and wrapper messages, see dynamodb.proto).
- Nothing is validated here beyond what the target representation forces. An AttributeValue
  with no member converts to {} and {"NULL": False} stays as it is: reporting those with
  DynamoDB's messages is the validator's job, and it can only do so if they reach it.
- The proto <-> dict mapping is derived from the proto descriptors (each field's json_name
  is the DynamoDB member name; wrapper messages are transparent), so the .proto file is the
  single source of truth for the shapes. AttributeValue and item maps, which dominate the
  request path, are converted by hand-written per-type code.
- Conversions are pure and hold no per-instance state; the module-level tables are derived
  once from the immutable descriptors and are safe to share between any number of servers,
  clients and threads in one process.
- Input that the proto cannot carry raises SerializationException (wrong Python types) or
  ValidationException (an attribute value with several types, an unknown parameter name).
- The DynamoDB JSON protocol (B as base64) has its own readers, driven by the same
  descriptors: a JSON value of the wrong type is a SerializationException worded as
  DynamoDB words it, unknown or null members are ignored as DynamoDB ignores them.
- gRPC errors follow the convention documented in dynamodb.proto: a status code class plus
  trailing metadata naming the DynamoDB error (error_to_status / error_from_status).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import grpc
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import DecodeError, Message

from kuradb.errors import (
    ConditionalCheckFailedException,
    ERRORS_BY_NAME,
    InternalServerError,
    KuraError,
    SerializationException,
    ServiceUnavailable,
    UnknownOperationException,
    ValidationException,
)
from kuradb.proto import dynamodb_pb2 as pb

AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]

# ---------------------------------------------------------------------------- operations

OPERATION_NAMES: Final[tuple[str, ...]] = (
    "CreateTable", "DescribeTable", "UpdateTable", "DeleteTable", "ListTables",
    "PutItem", "GetItem", "UpdateItem", "DeleteItem", "Query", "Scan",
    "BatchGetItem", "BatchWriteItem",
)

#: operation name -> (request message class, response message class)
OPERATIONS: Final[dict[str, tuple[type[Message], type[Message]]]] = {
    op: (getattr(pb, f"{op}Request"), getattr(pb, f"{op}Response")) for op in OPERATION_NAMES
}


def _classes(op_name: str) -> tuple[type[Message], type[Message]]:
    try:
        return OPERATIONS[op_name]
    except KeyError:
        raise UnknownOperationException(f"Unknown operation: {op_name}") from None


# ---------------------------------------------------------------------------- attribute values

_MULTIPLE_TYPES: Final = (
    "Supplied AttributeValue has more than one datatypes set, "
    "must contain exactly one of the supported datatypes"
)


def proto_to_av(av: pb.AttributeValue) -> AttributeValue:
    """AttributeValue message -> internal dict; no member set gives {}."""
    kind = av.WhichOneof("value")
    if kind == "s":
        return {"S": av.s}
    if kind == "n":
        return {"N": av.n}
    if kind == "m":
        return {"M": {k: proto_to_av(v) for k, v in av.m.values.items()}}
    if kind == "l":
        return {"L": [proto_to_av(v) for v in av.l.values]}
    if kind == "b":
        return {"B": av.b}
    if kind == "boolean":
        return {"BOOL": av.boolean}
    if kind == "null":
        return {"NULL": av.null}
    if kind == "ss":
        return {"SS": list(av.ss.values)}
    if kind == "ns":
        return {"NS": list(av.ns.values)}
    if kind == "bs":
        return {"BS": list(av.bs.values)}
    return {}


def proto_to_item(m: pb.AttributeMap) -> Item:
    """AttributeMap message (an item, a key, ExpressionAttributeValues) -> internal dict."""
    return {k: proto_to_av(v) for k, v in m.values.items()}


def _check_list(what: str, value: Any) -> Sequence[Any]:
    # protobuf's extend() accepts any iterable; a str or dict would be silently split up.
    # TypeError, so that the enclosing structure names the member (see fill_struct).
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{what} must be a list, not {type(value).__name__}")
    return value


def _check_map(what: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{what} must be a map, not {type(value).__name__}")
    return value


def fill_av(target: pb.AttributeValue, av: Mapping[str, Any]) -> None:
    """Write internal dict ``av`` into the (empty) AttributeValue message ``target``.

    Filling in place avoids building and copying a temporary message per value, which is
    what makes nested items cheap to serialize.
    """
    if type(av) is not dict and not isinstance(av, Mapping):
        raise TypeError(f"an AttributeValue must be a map, not {type(av).__name__}")
    if len(av) != 1:
        if not av:
            return  # an empty AttributeValue stays empty; the validator reports it
        raise ValidationException(_MULTIPLE_TYPES)
    ((tag, v),) = av.items()
    if tag == "S":
        target.s = v
    elif tag == "N":
        target.n = v
    elif tag == "M":
        m = target.m
        m.SetInParent()  # an empty M is a value, not an absence
        values = m.values
        for k, sub in _check_map("M", v).items():
            fill_av(values[k], sub)
    elif tag == "L":
        lst = target.l
        lst.SetInParent()
        add = lst.values.add
        for sub in _check_list("L", v):
            fill_av(add(), sub)
    elif tag == "B":
        target.b = v
    elif tag == "BOOL":
        target.boolean = v
    elif tag == "NULL":
        target.null = v
    elif tag == "SS":
        target.ss.SetInParent()
        target.ss.values.extend(_check_list("SS", v))
    elif tag == "NS":
        target.ns.SetInParent()
        target.ns.values.extend(_check_list("NS", v))
    elif tag == "BS":
        target.bs.SetInParent()
        target.bs.values.extend(_check_list("BS", v))
    else:
        raise ValidationException(f"Supplied AttributeValue has an unknown datatype: {tag}")


def fill_item(target: pb.AttributeMap, item: Mapping[str, Mapping[str, Any]]) -> None:
    """Write an internal item/key/value map into the (empty) AttributeMap message ``target``."""
    target.SetInParent()
    values = target.values
    for k, av in item.items():
        fill_av(values[k], av)


def av_to_proto(av: Mapping[str, Any]) -> pb.AttributeValue:
    """Internal dict -> new AttributeValue message."""
    msg = pb.AttributeValue()
    try:
        fill_av(msg, av)
    except (TypeError, ValueError) as e:
        raise SerializationException(str(e)) from e
    return msg


def item_to_proto(item: Mapping[str, Mapping[str, Any]]) -> pb.AttributeMap:
    """Internal item dict -> new AttributeMap message."""
    msg = pb.AttributeMap()
    try:
        fill_item(msg, item)
    except (TypeError, ValueError) as e:
        raise SerializationException(str(e)) from e
    return msg


# ---------------------------------------------------------------------------- structures
#
# Every message type gets two converters derived from its descriptor: to_dict(msg) and
# fill(msg, value). Structures map json_name <-> field; wrappers (one field named `values`,
# repeated or map) become the bare list or dict; AttributeValue/AttributeMap use the
# hand-written code above.

_ToDict = Callable[[Any], Any]
_Fill = Callable[[Any, Any], None]

_AV_NAME: Final = pb.AttributeValue.DESCRIPTOR.full_name
_ITEM_NAME: Final = pb.AttributeMap.DESCRIPTOR.full_name


def _is_wrapper(desc: Descriptor) -> bool:
    return (
        len(desc.fields) == 1
        and desc.fields[0].name == "values"
        and desc.fields[0].is_repeated
    )


def _is_map(fd: FieldDescriptor) -> bool:
    return fd.message_type is not None and fd.message_type.GetOptions().map_entry


class _Codec:
    """Converters for every message type of one proto file, built once from its descriptors."""

    def __init__(self, messages: Sequence[Descriptor]) -> None:
        self.to_dict: dict[str, _ToDict] = {_AV_NAME: proto_to_av, _ITEM_NAME: proto_to_item}
        self.fill: dict[str, _Fill] = {_AV_NAME: fill_av, _ITEM_NAME: fill_item}
        for desc in messages:
            self._build(desc)

    def _build(self, desc: Descriptor) -> None:
        name = desc.full_name
        if name in self.to_dict or desc.GetOptions().map_entry:
            return
        if _is_wrapper(desc):
            self.to_dict[name], self.fill[name] = self._wrapper(desc)
        else:
            self.to_dict[name], self.fill[name] = self._struct(desc)

    def _element(self, fd: FieldDescriptor) -> tuple[_ToDict | None, _Fill | None]:
        """Converters for one element of ``fd``'s type (None for scalars: stored as is)."""
        if fd.message_type is None:
            return None, None
        name = fd.message_type.full_name
        # Resolved lazily so message types may refer to each other in any order.
        return (lambda m: self.to_dict[name](m)), (lambda m, v: self.fill[name](m, v))

    def _wrapper(self, desc: Descriptor) -> tuple[_ToDict, _Fill]:
        fd = desc.fields[0]
        label = "the value"
        if _is_map(fd):
            conv, fill = self._element(fd.message_type.fields_by_name["value"])
            if conv is None or fill is None:
                def to_dict(m: Any) -> Any:
                    return dict(m.values)

                def fill_scalars(m: Any, v: Any) -> None:
                    m.SetInParent()
                    m.values.update(_check_map(label, v))
                return to_dict, fill_scalars

            def map_to_dict(m: Any) -> Any:
                return {k: conv(x) for k, x in m.values.items()}

            def fill_map(m: Any, v: Any) -> None:
                m.SetInParent()
                values = m.values
                for k, x in _check_map(label, v).items():
                    fill(values[k], x)
            return map_to_dict, fill_map

        conv, fill = self._element(fd)
        if conv is None or fill is None:
            def list_to_dict(m: Any) -> Any:
                return list(m.values)

            def fill_list(m: Any, v: Any) -> None:
                m.SetInParent()
                m.values.extend(_check_list(label, v))
            return list_to_dict, fill_list

        def msgs_to_dict(m: Any) -> Any:
            return [conv(x) for x in m.values]

        def fill_msgs(m: Any, v: Any) -> None:
            m.SetInParent()
            add = m.values.add
            for x in _check_list(label, v):
                fill(add(), x)
        return msgs_to_dict, fill_msgs

    def _struct(self, desc: Descriptor) -> tuple[_ToDict, _Fill]:
        # proto field -> (DynamoDB name, converter or None); DynamoDB name -> (field name, filler)
        out: dict[str, tuple[str, _ToDict | None]] = {}
        into: dict[str, tuple[str, _Fill | None]] = {}
        for fd in desc.fields:
            if not fd.json_name[:1].isupper():
                raise RuntimeError(f"{fd.full_name} has no DynamoDB json_name (see dynamodb.proto rule 1)")
            conv, fill = self._element(fd)
            out[fd.name] = (fd.json_name, conv)
            into[fd.json_name] = (fd.name, fill)
        members = ", ".join(into)

        def struct_to_dict(m: Any) -> dict[str, Any]:
            d = {}
            for fd, value in m.ListFields():
                key, conv = out[fd.name]
                d[key] = value if conv is None else conv(value)
            return d

        def fill_struct(m: Any, v: Any) -> None:
            m.SetInParent()
            for key, value in _check_map(f"a {desc.name}", v).items():
                if value is None:
                    continue  # JSON null means absent, as in DynamoDB
                try:
                    field, fill = into[key]
                except KeyError:
                    raise ValidationException(
                        f'Unknown parameter in input: "{key}", must be one of: {members}'
                    ) from None
                try:
                    if fill is None:
                        setattr(m, field, value)
                    else:
                        sub = getattr(m, field)
                        sub.SetInParent()  # {"Value": {}} is present, if empty
                        fill(sub, value)
                except (TypeError, ValueError) as e:
                    raise SerializationException(f"Invalid value for {key}: {e}") from e
        return struct_to_dict, fill_struct


_CODEC: Final = _Codec(list(pb.DESCRIPTOR.message_types_by_name.values()))


def message_to_dict(msg: Message) -> dict[str, Any]:
    """Any kuradb.v1 structure message -> internal dict with only the present members."""
    return _CODEC.to_dict[msg.DESCRIPTOR.full_name](msg)


def dict_to_message(cls: type[Message], d: Mapping[str, Any]) -> Message:
    """Internal dict -> new message of ``cls``; wrong Python types become SerializationException."""
    msg = cls()
    try:
        _CODEC.fill[cls.DESCRIPTOR.full_name](msg, d)
    except (TypeError, ValueError) as e:
        raise SerializationException(str(e)) from e
    return msg


def operation_of(msg: Message) -> str:
    """Operation name of a request or response message ("PutItemRequest" -> "PutItem")."""
    name = msg.DESCRIPTOR.name
    for suffix in ("Request", "Response"):
        if name.endswith(suffix) and name[: -len(suffix)] in OPERATIONS:
            return name[: -len(suffix)]
    raise ValueError(f"{name} is not a request or response message")


def request_to_dict(msg: Message) -> dict[str, Any]:
    """Server side: request message -> internal request dict."""
    return message_to_dict(msg)


def response_to_dict(msg: Message) -> dict[str, Any]:
    """Client side: response message -> internal response dict."""
    return message_to_dict(msg)


def dict_to_request(op_name: str, d: Mapping[str, Any]) -> Message:
    """Client side: internal request dict -> request message of operation ``op_name``."""
    return dict_to_message(_classes(op_name)[0], d)


def dict_to_response(op_name: str, d: Mapping[str, Any]) -> Message:
    """Server side: internal response dict -> response message of operation ``op_name``.

    The server built ``d`` itself, so a dict the proto cannot carry is a server fault
    (InternalServerError), never the caller's ValidationException.
    """
    try:
        return dict_to_message(_classes(op_name)[1], d)
    except (ValidationException, SerializationException) as e:
        raise InternalServerError(f"cannot encode the {op_name} response: {e.message}") from e


# ---------------------------------------------------------------------------- errors over gRPC

ERROR_NAME_KEY: Final = "x-kuradb-error"
ERROR_DETAILS_KEY: Final = "x-kuradb-error-details-bin"

_STATUS_BY_ERROR: Final[dict[str, grpc.StatusCode]] = {
    "ValidationException": grpc.StatusCode.INVALID_ARGUMENT,
    "SerializationException": grpc.StatusCode.INVALID_ARGUMENT,
    "ConditionalCheckFailedException": grpc.StatusCode.FAILED_PRECONDITION,
    "ResourceInUseException": grpc.StatusCode.FAILED_PRECONDITION,
    "TransactionCanceledException": grpc.StatusCode.FAILED_PRECONDITION,
    "ItemCollectionSizeLimitExceededException": grpc.StatusCode.FAILED_PRECONDITION,
    "ResourceNotFoundException": grpc.StatusCode.NOT_FOUND,
    "ProvisionedThroughputExceededException": grpc.StatusCode.RESOURCE_EXHAUSTED,
    "ThrottlingException": grpc.StatusCode.RESOURCE_EXHAUSTED,
    "LimitExceededException": grpc.StatusCode.RESOURCE_EXHAUSTED,
    "ServiceUnavailable": grpc.StatusCode.UNAVAILABLE,
    "UnrecognizedClientException": grpc.StatusCode.UNAUTHENTICATED,
    "InvalidSignatureException": grpc.StatusCode.UNAUTHENTICATED,
    "AccessDeniedException": grpc.StatusCode.PERMISSION_DENIED,
    "UnknownOperationException": grpc.StatusCode.UNIMPLEMENTED,
}


def error_to_status(err: KuraError) -> tuple[grpc.StatusCode, str, tuple[tuple[str, str | bytes], ...]]:
    """KuraError -> (status code, message, trailing metadata), per the convention in dynamodb.proto."""
    code = _STATUS_BY_ERROR.get(err.name, grpc.StatusCode.INTERNAL)
    metadata: list[tuple[str, str | bytes]] = [(ERROR_NAME_KEY, err.name)]
    item = getattr(err, "item", None)
    if item is not None:
        details = pb.ErrorDetails()
        fill_item(details.item, item)
        metadata.append((ERROR_DETAILS_KEY, details.SerializeToString()))
    return code, err.message, tuple(metadata)


def error_from_status(
    code: grpc.StatusCode, message: str, metadata: Sequence[tuple[str, str | bytes]] | None
) -> KuraError:
    """Client side: rebuild the KuraError from a failed call's status and trailing metadata.

    A status without our metadata did not come from a KuraDB handler (connection refused,
    deadline, proxy): UNAVAILABLE becomes the retryable ServiceUnavailable, anything else
    InternalServerError with the gRPC code in the message.
    """
    md = dict(metadata or ())
    name = md.get(ERROR_NAME_KEY)
    if name is None:
        if code == grpc.StatusCode.UNAVAILABLE:
            return ServiceUnavailable(message)
        return InternalServerError(f"{code.name}: {message}")
    cls = ERRORS_BY_NAME.get(str(name), InternalServerError)
    err = cls(message)
    raw = md.get(ERROR_DETAILS_KEY)
    if isinstance(raw, bytes) and isinstance(err, ConditionalCheckFailedException):
        try:
            details = pb.ErrorDetails.FromString(raw)
        except DecodeError:
            return err
        if details.HasField("item"):
            err.item = proto_to_item(details.item)
    return err


# ---------------------------------------------------------------------------- JSON wire values
#
# The DynamoDB JSON protocol carries B/BS as base64 text and reports JSON values of the wrong
# type as SerializationException with Coral's (Java) wording; messages below follow what
# DynamoDB returns (as recorded by dynalite's tests against the real service).


def _java_number_class(v: int | float) -> str:
    if v % 1 != 0:
        return "java.lang.Double"
    if -32768 <= v <= 32767:
        return "java.lang.Short"
    if -2147483648 <= v <= 2147483647:
        return "java.lang.Integer"
    return "java.lang.Long"


def _wrong_json_type(v: Any, expected: str) -> SerializationException:
    """The error for a JSON value ``v`` where a String/Blob/Boolean/List/Map/Structure was expected."""
    if isinstance(v, list):
        return SerializationException("Start of list found where not expected")
    if isinstance(v, dict):
        return SerializationException("Start of structure or map found where not expected.")
    if expected in ("List", "Map", "Structure"):
        return SerializationException(
            {"List": "Expected list or null", "Map": "Expected map or null", "Structure": "Expected null"}[expected]
        )
    article = "a" if expected == "Blob" else "an"
    if isinstance(v, bool):
        return SerializationException(f"class java.lang.Boolean can not be converted to {article} {expected}")
    if isinstance(v, (int, float)):
        return SerializationException(f"class {_java_number_class(v)} can not be converted to {article} {expected}")
    if isinstance(v, str):  # only a Boolean rejects strings
        return SerializationException(f"'{v.upper()}' can not be converted to an Boolean")
    return SerializationException(f"Unexpected JSON value of type {type(v).__name__}")


def _json_string(v: Any) -> str:
    if isinstance(v, str):
        return v
    raise _wrong_json_type(v, "String")


_BASE64_BAD_CHAR: Final = re.compile(r"[^a-zA-Z0-9+/=]|=[^=]")


def _json_blob(v: Any) -> bytes:
    if not isinstance(v, str):
        raise _wrong_json_type(v, "Blob")
    prefix = f"'{v}' can not be converted to a Blob: "
    if len(v) % 4:
        raise SerializationException(
            f"{prefix}Base64 encoded length is expected a multiple of 4 bytes but found: {len(v)}"
        )
    bad = _BASE64_BAD_CHAR.search(v)
    if bad:
        raise SerializationException(f"{prefix}Invalid Base64 character: '{bad.group(0)[0]}'")
    try:
        raw = base64.b64decode(v, validate=True)
    except binascii.Error:
        raw = None
    if raw is None or base64.b64encode(raw).decode("ascii") != v:
        # Non-canonical trailing bits; the misspelling is DynamoDB's own.
        raise SerializationException(f"{prefix}Invalid last non-pad Base64 character dectected")
    return raw


def _json_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, float) and v % 1 != 0:
        return abs(v) >= 1  # Coral coerces non-integral numbers; integral ones are rejected
    raise _wrong_json_type(v, "Boolean")


def _json_list(v: Any) -> list[Any]:
    if isinstance(v, list):
        return v
    raise _wrong_json_type(v, "List")


def _json_map(v: Any) -> dict[str, Any]:
    if isinstance(v, dict):
        return v
    raise _wrong_json_type(v, "Map")


def _set_element(v: Any, convert: Callable[[Any], Any], message: str) -> Any:
    # The internal form cannot hold null inside a set; DynamoDB reports it as it reports an
    # empty element.
    if v is None:
        raise ValidationException(message)
    return convert(v)


_EMPTY_STRING: Final = "One or more parameter values were invalid: An AttributeValue may not contain an empty string."
_NOT_NUMERIC: Final = "The parameter cannot be converted to a numeric value"
_EMPTY_BINARY_IN_SET: Final = "One or more parameter values were invalid: Binary sets may not contain null or empty values"


def av_from_json(v: Any) -> AttributeValue:
    """DynamoDB JSON attribute value (B as base64) -> internal dict.

    As DynamoDB does, unknown members and null members are ignored (so {"S": null} is an
    empty AttributeValue for the validator to report), and a JSON value of the wrong type
    raises SerializationException.
    """
    if not isinstance(v, dict):
        raise _wrong_json_type(v, "Structure")
    out: AttributeValue = {}
    for tag, x in v.items():
        if x is None:
            continue
        if tag == "S" or tag == "N":
            out[tag] = _json_string(x)
        elif tag == "M":
            out["M"] = {k: {} if sub is None else av_from_json(sub) for k, sub in _json_map(x).items()}
        elif tag == "L":
            out["L"] = [{} if sub is None else av_from_json(sub) for sub in _json_list(x)]
        elif tag == "B":
            out["B"] = _json_blob(x)
        elif tag == "BOOL" or tag == "NULL":
            out[tag] = _json_bool(x)
        elif tag == "SS":
            out["SS"] = [_set_element(e, _json_string, _EMPTY_STRING) for e in _json_list(x)]
        elif tag == "NS":
            out["NS"] = [_set_element(e, _json_string, _NOT_NUMERIC) for e in _json_list(x)]
        elif tag == "BS":
            out["BS"] = [_set_element(e, _json_blob, _EMPTY_BINARY_IN_SET) for e in _json_list(x)]
    return out


def av_to_json(av: Mapping[str, Any]) -> dict[str, Any]:
    """Internal dict -> DynamoDB JSON attribute value (B as base64 text)."""
    out: dict[str, Any] = {}
    for tag, x in av.items():
        if tag == "M":
            out["M"] = {k: av_to_json(sub) for k, sub in x.items()}
        elif tag == "L":
            out["L"] = [av_to_json(sub) for sub in x]
        elif tag == "B":
            out["B"] = base64.b64encode(x).decode("ascii")
        elif tag == "BS":
            out["BS"] = [base64.b64encode(b).decode("ascii") for b in x]
        elif tag in ("SS", "NS"):
            out[tag] = list(x)
        else:
            out[tag] = x
    return out


def item_from_json(v: Any) -> Item:
    """DynamoDB JSON item/key/value map -> internal dict (null members are empty values)."""
    return {k: {} if sub is None else av_from_json(sub) for k, sub in _json_map(v).items()}


def item_to_json(item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Internal item/key/value map -> DynamoDB JSON."""
    return {k: av_to_json(av) for k, av in item.items()}


# ---------------------------------------------------------------------------- JSON wire documents


def _json_number(kind: str) -> Callable[[Any], int | float]:
    def convert(v: Any) -> int | float:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            if isinstance(v, str):
                raise SerializationException(f"class java.lang.String can not be converted to an {kind}")
            raise _wrong_json_type(v, kind)
        if isinstance(v, float) and not math.isfinite(v):
            raise SerializationException(f"{v} can not be converted to an {kind}")
        return v if kind == "Double" else int(v // 1)  # Coral floors integral members
    return convert


_JSON_SCALARS: Final[dict[int, Callable[[Any], Any]]] = {
    FieldDescriptor.TYPE_STRING: _json_string,
    FieldDescriptor.TYPE_BOOL: _json_bool,
    FieldDescriptor.TYPE_BYTES: _json_blob,
    FieldDescriptor.TYPE_INT32: _json_number("Integer"),
    FieldDescriptor.TYPE_INT64: _json_number("Long"),
    FieldDescriptor.TYPE_DOUBLE: _json_number("Double"),
}


class _JsonReader:
    """Type-checks a DynamoDB JSON document against a message's shape and builds the internal
    dict, decoding base64 where the shape says Blob. Follows Coral: unknown members and null
    members are dropped; a JSON value of the wrong type is a SerializationException."""

    def __init__(self) -> None:
        self.readers: dict[str, Callable[[Any], Any]] = {_AV_NAME: av_from_json, _ITEM_NAME: item_from_json}

    def reader(self, desc: Descriptor) -> Callable[[Any], Any]:
        name = desc.full_name
        if name not in self.readers:
            self.readers[name] = lambda v: self.readers[name](v)  # placeholder for recursive shapes
            self.readers[name] = self._wrapper(desc) if _is_wrapper(desc) else self._struct(desc)
        return self.readers[name]

    def _element(self, fd: FieldDescriptor) -> Callable[[Any], Any]:
        return _JSON_SCALARS[fd.type] if fd.message_type is None else self.reader(fd.message_type)

    def _wrapper(self, desc: Descriptor) -> Callable[[Any], Any]:
        fd = desc.fields[0]
        if _is_map(fd):
            value = self._element(fd.message_type.fields_by_name["value"])
            return lambda v: {k: value(x) for k, x in _json_map(v).items() if x is not None}
        element = self._element(fd)
        return lambda v: [element(x) for x in _json_list(v) if x is not None]

    def _struct(self, desc: Descriptor) -> Callable[[Any], Any]:
        members = {fd.json_name: self._element(fd) for fd in desc.fields}

        def read(v: Any) -> dict[str, Any]:
            if not isinstance(v, dict):
                raise _wrong_json_type(v, "Structure")
            return {k: members[k](x) for k, x in v.items() if x is not None and k in members}
        return read


_JSON_READER: Final = _JsonReader()


def request_from_json(op_name: str, body: Any) -> dict[str, Any]:
    """DynamoDB JSON request body (already parsed) -> internal request dict."""
    return _JSON_READER.reader(_classes(op_name)[0].DESCRIPTOR)(body)


def response_from_json(op_name: str, body: Any) -> dict[str, Any]:
    """DynamoDB JSON response body (already parsed) -> internal response dict (for clients)."""
    return _JSON_READER.reader(_classes(op_name)[1].DESCRIPTOR)(body)


def to_json(d: Any) -> Any:
    """Internal request or response dict -> JSON-ready value.

    Raw bytes occur in the internal form only as B and BS values, so encoding every bytes
    value as base64 is exactly the JSON wire form, whatever the operation.
    """
    if isinstance(d, dict):
        return {k: to_json(v) for k, v in d.items()}
    if isinstance(d, list):
        return [to_json(v) for v in d]
    if isinstance(d, bytes):
        return base64.b64encode(d).decode("ascii")
    return d
