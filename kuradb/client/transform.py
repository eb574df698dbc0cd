"""Plain Python values <-> attribute values inside whole requests and responses.

The high-level Table API takes and returns plain values (``{"id": 1}``) where the low-level
API has attribute values (``{"id": {"N": "1"}}``). Which members hold attribute values is read
from the request/response message descriptors of :mod:`kuradb.proto.dynamodb_pb2`, exactly as
:mod:`kuradb.wire` reads its shapes, so every member is covered — Item, Key,
ExpressionAttributeValues, ExclusiveStartKey/LastEvaluatedKey, Attributes, Items, and the
legacy Expected/KeyConditions/QueryFilter/ScanFilter/AttributeUpdates values — with no list to
keep in sync (boto3 does the same from its service model).

Rules: members the descriptor does not know pass through untouched (the wire reports them);
members holding no attribute value anywhere below are not copied. Transformers are derived
once per message type from immutable descriptors and hold no other state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from kuradb import wire
from kuradb.client.serializer import TypeDeserializer, TypeSerializer
from kuradb.proto import dynamodb_pb2 as pb

_Fn = Callable[[Any], Any]

_AV: Final = pb.AttributeValue.DESCRIPTOR.full_name
_MAP: Final = pb.AttributeMap.DESCRIPTOR.full_name


class _ShapeWalker:
    """Builds, per message type, a function applying ``leaf`` to every AttributeValue."""

    def __init__(self, leaf: _Fn) -> None:
        self._leaf = leaf
        self._cache: dict[str, _Fn | None] = {
            _AV: leaf,
            _MAP: lambda m: {k: leaf(v) for k, v in m.items()},
        }
        self._building: set[str] = set()

    def for_message(self, desc: Descriptor) -> _Fn | None:
        """The transformer of ``desc``, or None when no attribute value can occur inside."""
        name = desc.full_name
        if name in self._cache:
            return self._cache[name]
        if name in self._building:  # a recursive shape other than AttributeValue: none exist yet
            raise RuntimeError(f"recursive message {name} is not supported by the Table API")
        self._building.add(name)
        fn = self._wrapper(desc) if self._is_wrapper(desc) else self._struct(desc)
        self._building.discard(name)
        self._cache[name] = fn
        return fn

    @staticmethod
    def _is_wrapper(desc: Descriptor) -> bool:
        return len(desc.fields) == 1 and desc.fields[0].name == "values" and desc.fields[0].is_repeated

    def _field(self, fd: FieldDescriptor) -> _Fn | None:
        return None if fd.message_type is None else self.for_message(fd.message_type)

    def _wrapper(self, desc: Descriptor) -> _Fn | None:
        fd = desc.fields[0]
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            value = self._field(fd.message_type.fields_by_name["value"])
            if value is None:
                return None
            return lambda m: {k: value(v) for k, v in m.items()}
        element = self._field(fd)
        if element is None:
            return None
        return lambda xs: [element(x) for x in xs]

    def _struct(self, desc: Descriptor) -> _Fn | None:
        members = {fd.json_name: f for fd in desc.fields if (f := self._field(fd)) is not None}
        if not members:
            return None

        def walk(d: dict[str, Any]) -> dict[str, Any]:
            return {k: (members[k](v) if k in members and v is not None else v) for k, v in d.items()}
        return walk


_SERIALIZE: Final = _ShapeWalker(TypeSerializer().serialize)
_DESERIALIZE: Final = _ShapeWalker(TypeDeserializer().deserialize)


def serialize_request(op: str, params: dict[str, Any]) -> dict[str, Any]:
    """Plain-valued request of ``op`` -> DynamoDB-shaped request."""
    fn = _SERIALIZE.for_message(wire.OPERATIONS[op][0].DESCRIPTOR)
    return params if fn is None else fn(params)


def deserialize_response(op: str, response: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB-shaped response of ``op`` -> plain-valued response."""
    fn = _DESERIALIZE.for_message(wire.OPERATIONS[op][1].DESCRIPTOR)
    return response if fn is None else fn(response)
