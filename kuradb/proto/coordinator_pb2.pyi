from kuradb.proto import internal_pb2 as _internal_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class NodeInfo(_message.Message):
    __slots__ = ("node_id", "address", "az", "capacity", "alive", "last_heartbeat", "metrics_address")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    AZ_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    ALIVE_FIELD_NUMBER: _ClassVar[int]
    LAST_HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    METRICS_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    node_id: int
    address: str
    az: str
    capacity: int
    alive: bool
    last_heartbeat: float
    metrics_address: str
    def __init__(self, node_id: _Optional[int] = ..., address: _Optional[str] = ..., az: _Optional[str] = ..., capacity: _Optional[int] = ..., alive: _Optional[bool] = ..., last_heartbeat: _Optional[float] = ..., metrics_address: _Optional[str] = ...) -> None: ...

class PartitionReport(_message.Message):
    __slots__ = ("descriptor", "replica_id", "is_leader", "term", "applied_index", "bytes", "keys", "read_units", "write_units")
    DESCRIPTOR_FIELD_NUMBER: _ClassVar[int]
    REPLICA_ID_FIELD_NUMBER: _ClassVar[int]
    IS_LEADER_FIELD_NUMBER: _ClassVar[int]
    TERM_FIELD_NUMBER: _ClassVar[int]
    APPLIED_INDEX_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    READ_UNITS_FIELD_NUMBER: _ClassVar[int]
    WRITE_UNITS_FIELD_NUMBER: _ClassVar[int]
    descriptor: _internal_pb2.PartitionDescriptor
    replica_id: int
    is_leader: bool
    term: int
    applied_index: int
    bytes: int
    keys: int
    read_units: float
    write_units: float
    def __init__(self, descriptor: _Optional[_Union[_internal_pb2.PartitionDescriptor, _Mapping]] = ..., replica_id: _Optional[int] = ..., is_leader: _Optional[bool] = ..., term: _Optional[int] = ..., applied_index: _Optional[int] = ..., bytes: _Optional[int] = ..., keys: _Optional[int] = ..., read_units: _Optional[float] = ..., write_units: _Optional[float] = ...) -> None: ...

class HeartbeatRequest(_message.Message):
    __slots__ = ("node", "partitions")
    NODE_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    node: NodeInfo
    partitions: _containers.RepeatedCompositeFieldContainer[PartitionReport]
    def __init__(self, node: _Optional[_Union[NodeInfo, _Mapping]] = ..., partitions: _Optional[_Iterable[_Union[PartitionReport, _Mapping]]] = ...) -> None: ...

class HeartbeatResponse(_message.Message):
    __slots__ = ("not_leader",)
    NOT_LEADER_FIELD_NUMBER: _ClassVar[int]
    not_leader: str
    def __init__(self, not_leader: _Optional[str] = ...) -> None: ...

class TableMeta(_message.Message):
    __slots__ = ("table_id", "name", "key_schema", "status", "description")
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KEY_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    table_id: int
    name: str
    key_schema: _internal_pb2.KeySchema
    status: str
    description: bytes
    def __init__(self, table_id: _Optional[int] = ..., name: _Optional[str] = ..., key_schema: _Optional[_Union[_internal_pb2.KeySchema, _Mapping]] = ..., status: _Optional[str] = ..., description: _Optional[bytes] = ...) -> None: ...

class TableRequest(_message.Message):
    __slots__ = ("operation", "payload")
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    operation: str
    payload: bytes
    def __init__(self, operation: _Optional[str] = ..., payload: _Optional[bytes] = ...) -> None: ...

class TableResponse(_message.Message):
    __slots__ = ("result", "dynamo_error", "not_leader")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    DYNAMO_ERROR_FIELD_NUMBER: _ClassVar[int]
    NOT_LEADER_FIELD_NUMBER: _ClassVar[int]
    result: bytes
    dynamo_error: _internal_pb2.DynamoError
    not_leader: str
    def __init__(self, result: _Optional[bytes] = ..., dynamo_error: _Optional[_Union[_internal_pb2.DynamoError, _Mapping]] = ..., not_leader: _Optional[str] = ...) -> None: ...

class WatchRequest(_message.Message):
    __slots__ = ("known_version",)
    KNOWN_VERSION_FIELD_NUMBER: _ClassVar[int]
    known_version: int
    def __init__(self, known_version: _Optional[int] = ...) -> None: ...

class PartitionMap(_message.Message):
    __slots__ = ("map_version", "tables", "partitions", "nodes", "not_leader")
    MAP_VERSION_FIELD_NUMBER: _ClassVar[int]
    TABLES_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    NOT_LEADER_FIELD_NUMBER: _ClassVar[int]
    map_version: int
    tables: _containers.RepeatedCompositeFieldContainer[TableMeta]
    partitions: _containers.RepeatedCompositeFieldContainer[_internal_pb2.PartitionDescriptor]
    nodes: _containers.RepeatedCompositeFieldContainer[NodeInfo]
    not_leader: str
    def __init__(self, map_version: _Optional[int] = ..., tables: _Optional[_Iterable[_Union[TableMeta, _Mapping]]] = ..., partitions: _Optional[_Iterable[_Union[_internal_pb2.PartitionDescriptor, _Mapping]]] = ..., nodes: _Optional[_Iterable[_Union[NodeInfo, _Mapping]]] = ..., not_leader: _Optional[str] = ...) -> None: ...

class StatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class StatusResponse(_message.Message):
    __slots__ = ("map", "reports", "leader_address", "members")
    MAP_FIELD_NUMBER: _ClassVar[int]
    REPORTS_FIELD_NUMBER: _ClassVar[int]
    LEADER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    map: PartitionMap
    reports: _containers.RepeatedCompositeFieldContainer[PartitionReport]
    leader_address: str
    members: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, map: _Optional[_Union[PartitionMap, _Mapping]] = ..., reports: _Optional[_Iterable[_Union[PartitionReport, _Mapping]]] = ..., leader_address: _Optional[str] = ..., members: _Optional[_Iterable[str]] = ...) -> None: ...
