from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Consistency(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STRONG: _ClassVar[Consistency]
    EVENTUAL: _ClassVar[Consistency]
STRONG: Consistency
EVENTUAL: Consistency

class Epoch(_message.Message):
    __slots__ = ("version", "conf_ver")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CONF_VER_FIELD_NUMBER: _ClassVar[int]
    version: int
    conf_ver: int
    def __init__(self, version: _Optional[int] = ..., conf_ver: _Optional[int] = ...) -> None: ...

class Replica(_message.Message):
    __slots__ = ("replica_id", "node_id", "az", "role", "address")
    class Role(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        VOTER: _ClassVar[Replica.Role]
        LEARNER: _ClassVar[Replica.Role]
    VOTER: Replica.Role
    LEARNER: Replica.Role
    REPLICA_ID_FIELD_NUMBER: _ClassVar[int]
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    AZ_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    replica_id: int
    node_id: int
    az: str
    role: Replica.Role
    address: str
    def __init__(self, replica_id: _Optional[int] = ..., node_id: _Optional[int] = ..., az: _Optional[str] = ..., role: _Optional[_Union[Replica.Role, str]] = ..., address: _Optional[str] = ...) -> None: ...

class KeySchema(_message.Message):
    __slots__ = ("hash_name", "hash_type", "range_name", "range_type")
    HASH_NAME_FIELD_NUMBER: _ClassVar[int]
    HASH_TYPE_FIELD_NUMBER: _ClassVar[int]
    RANGE_NAME_FIELD_NUMBER: _ClassVar[int]
    RANGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    hash_name: str
    hash_type: str
    range_name: str
    range_type: str
    def __init__(self, hash_name: _Optional[str] = ..., hash_type: _Optional[str] = ..., range_name: _Optional[str] = ..., range_type: _Optional[str] = ...) -> None: ...

class PartitionDescriptor(_message.Message):
    __slots__ = ("id", "table_id", "table_name", "start_h", "end_h", "end_is_max", "epoch", "replicas", "leader_hint", "key_schema")
    ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    TABLE_NAME_FIELD_NUMBER: _ClassVar[int]
    START_H_FIELD_NUMBER: _ClassVar[int]
    END_H_FIELD_NUMBER: _ClassVar[int]
    END_IS_MAX_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    REPLICAS_FIELD_NUMBER: _ClassVar[int]
    LEADER_HINT_FIELD_NUMBER: _ClassVar[int]
    KEY_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    id: int
    table_id: int
    table_name: str
    start_h: int
    end_h: int
    end_is_max: bool
    epoch: Epoch
    replicas: _containers.RepeatedCompositeFieldContainer[Replica]
    leader_hint: int
    key_schema: KeySchema
    def __init__(self, id: _Optional[int] = ..., table_id: _Optional[int] = ..., table_name: _Optional[str] = ..., start_h: _Optional[int] = ..., end_h: _Optional[int] = ..., end_is_max: _Optional[bool] = ..., epoch: _Optional[_Union[Epoch, _Mapping]] = ..., replicas: _Optional[_Iterable[_Union[Replica, _Mapping]]] = ..., leader_hint: _Optional[int] = ..., key_schema: _Optional[_Union[KeySchema, _Mapping]] = ...) -> None: ...

class PartitionError(_message.Message):
    __slots__ = ("code", "leader_node_id", "leader_address", "current", "backoff_ms", "message")
    class Code(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        CODE_UNSPECIFIED: _ClassVar[PartitionError.Code]
        NOT_LEADER: _ClassVar[PartitionError.Code]
        EPOCH_NOT_MATCH: _ClassVar[PartitionError.Code]
        PARTITION_NOT_FOUND: _ClassVar[PartitionError.Code]
        KEY_NOT_IN_PARTITION: _ClassVar[PartitionError.Code]
        SERVER_BUSY: _ClassVar[PartitionError.Code]
        UNDETERMINED: _ClassVar[PartitionError.Code]
    CODE_UNSPECIFIED: PartitionError.Code
    NOT_LEADER: PartitionError.Code
    EPOCH_NOT_MATCH: PartitionError.Code
    PARTITION_NOT_FOUND: PartitionError.Code
    KEY_NOT_IN_PARTITION: PartitionError.Code
    SERVER_BUSY: PartitionError.Code
    UNDETERMINED: PartitionError.Code
    CODE_FIELD_NUMBER: _ClassVar[int]
    LEADER_NODE_ID_FIELD_NUMBER: _ClassVar[int]
    LEADER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    BACKOFF_MS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: PartitionError.Code
    leader_node_id: int
    leader_address: str
    current: _containers.RepeatedCompositeFieldContainer[PartitionDescriptor]
    backoff_ms: int
    message: str
    def __init__(self, code: _Optional[_Union[PartitionError.Code, str]] = ..., leader_node_id: _Optional[int] = ..., leader_address: _Optional[str] = ..., current: _Optional[_Iterable[_Union[PartitionDescriptor, _Mapping]]] = ..., backoff_ms: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class GroupMessage(_message.Message):
    __slots__ = ("partition_id", "message")
    PARTITION_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    partition_id: int
    message: bytes
    def __init__(self, partition_id: _Optional[int] = ..., message: _Optional[bytes] = ...) -> None: ...

class RaftBatch(_message.Message):
    __slots__ = ("from_node", "to_node", "messages", "from_address")
    FROM_NODE_FIELD_NUMBER: _ClassVar[int]
    TO_NODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    FROM_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    from_node: int
    to_node: int
    messages: _containers.RepeatedCompositeFieldContainer[GroupMessage]
    from_address: str
    def __init__(self, from_node: _Optional[int] = ..., to_node: _Optional[int] = ..., messages: _Optional[_Iterable[_Union[GroupMessage, _Mapping]]] = ..., from_address: _Optional[str] = ...) -> None: ...

class RaftAck(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SnapshotHeader(_message.Message):
    __slots__ = ("from_node", "to_node", "partition_id", "message", "descriptor")
    FROM_NODE_FIELD_NUMBER: _ClassVar[int]
    TO_NODE_FIELD_NUMBER: _ClassVar[int]
    PARTITION_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTOR_FIELD_NUMBER: _ClassVar[int]
    from_node: int
    to_node: int
    partition_id: int
    message: bytes
    descriptor: PartitionDescriptor
    def __init__(self, from_node: _Optional[int] = ..., to_node: _Optional[int] = ..., partition_id: _Optional[int] = ..., message: _Optional[bytes] = ..., descriptor: _Optional[_Union[PartitionDescriptor, _Mapping]] = ...) -> None: ...

class SnapshotChunk(_message.Message):
    __slots__ = ("header", "data", "last")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    header: SnapshotHeader
    data: bytes
    last: bool
    def __init__(self, header: _Optional[_Union[SnapshotHeader, _Mapping]] = ..., data: _Optional[bytes] = ..., last: _Optional[bool] = ...) -> None: ...

class SnapshotAck(_message.Message):
    __slots__ = ("accepted", "message")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    accepted: bool
    message: str
    def __init__(self, accepted: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class RequestHeader(_message.Message):
    __slots__ = ("partition_id", "epoch", "request_id", "consistency", "deadline_unix")
    PARTITION_ID_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CONSISTENCY_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_UNIX_FIELD_NUMBER: _ClassVar[int]
    partition_id: int
    epoch: Epoch
    request_id: bytes
    consistency: Consistency
    deadline_unix: float
    def __init__(self, partition_id: _Optional[int] = ..., epoch: _Optional[_Union[Epoch, _Mapping]] = ..., request_id: _Optional[bytes] = ..., consistency: _Optional[_Union[Consistency, str]] = ..., deadline_unix: _Optional[float] = ...) -> None: ...

class DataRequest(_message.Message):
    __slots__ = ("header", "operation", "payload")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    header: RequestHeader
    operation: str
    payload: bytes
    def __init__(self, header: _Optional[_Union[RequestHeader, _Mapping]] = ..., operation: _Optional[str] = ..., payload: _Optional[bytes] = ...) -> None: ...

class DynamoError(_message.Message):
    __slots__ = ("name", "message", "item")
    NAME_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    name: str
    message: str
    item: bytes
    def __init__(self, name: _Optional[str] = ..., message: _Optional[str] = ..., item: _Optional[bytes] = ...) -> None: ...

class DataResponse(_message.Message):
    __slots__ = ("error", "result", "dynamo_error")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    DYNAMO_ERROR_FIELD_NUMBER: _ClassVar[int]
    error: PartitionError
    result: bytes
    dynamo_error: DynamoError
    def __init__(self, error: _Optional[_Union[PartitionError, _Mapping]] = ..., result: _Optional[bytes] = ..., dynamo_error: _Optional[_Union[DynamoError, _Mapping]] = ...) -> None: ...

class CreateReplicaRequest(_message.Message):
    __slots__ = ("descriptor", "replica_id", "initial_member")
    DESCRIPTOR_FIELD_NUMBER: _ClassVar[int]
    REPLICA_ID_FIELD_NUMBER: _ClassVar[int]
    INITIAL_MEMBER_FIELD_NUMBER: _ClassVar[int]
    descriptor: PartitionDescriptor
    replica_id: int
    initial_member: bool
    def __init__(self, descriptor: _Optional[_Union[PartitionDescriptor, _Mapping]] = ..., replica_id: _Optional[int] = ..., initial_member: _Optional[bool] = ...) -> None: ...

class AddLearnerRequest(_message.Message):
    __slots__ = ("partition_id", "replica", "expected_epoch")
    PARTITION_ID_FIELD_NUMBER: _ClassVar[int]
    REPLICA_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_EPOCH_FIELD_NUMBER: _ClassVar[int]
    partition_id: int
    replica: Replica
    expected_epoch: Epoch
    def __init__(self, partition_id: _Optional[int] = ..., replica: _Optional[_Union[Replica, _Mapping]] = ..., expected_epoch: _Optional[_Union[Epoch, _Mapping]] = ...) -> None: ...

class PromoteLearnerRequest(_message.Message):
    __slots__ = ("partition_id", "replica_id", "expected_epoch")
    PARTITION_ID_FIELD_NUMBER: _ClassVar[int]
    REPLICA_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_EPOCH_FIELD_NUMBER: _ClassVar[int]
    partition_id: int
    replica_id: int
    expected_epoch: Epoch
    def __init__(self, partition_id: _Optional[int] = ..., replica_id: _Optional[int] = ..., expected_epoch: _Optional[_Union[Epoch, _Mapping]] = ...) -> None: ...

class RemoveMemberRequest(_message.Message):
    __slots__ = ("partition_id", "replica_id", "expected_epoch")
    PARTITION_ID_FIELD_NUMBER: _ClassVar[int]
    REPLICA_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_EPOCH_FIELD_NUMBER: _ClassVar[int]
    partition_id: int
    replica_id: int
    expected_epoch: Epoch
    def __init__(self, partition_id: _Optional[int] = ..., replica_id: _Optional[int] = ..., expected_epoch: _Optional[_Union[Epoch, _Mapping]] = ...) -> None: ...

class TransferLeaderRequest(_message.Message):
    __slots__ = ("partition_id", "to_replica_id")
    PARTITION_ID_FIELD_NUMBER: _ClassVar[int]
    TO_REPLICA_ID_FIELD_NUMBER: _ClassVar[int]
    partition_id: int
    to_replica_id: int
    def __init__(self, partition_id: _Optional[int] = ..., to_replica_id: _Optional[int] = ...) -> None: ...

class SplitPartitionRequest(_message.Message):
    __slots__ = ("partition_id", "split_h", "new_partition_id", "new_replica_ids", "expected_epoch")
    PARTITION_ID_FIELD_NUMBER: _ClassVar[int]
    SPLIT_H_FIELD_NUMBER: _ClassVar[int]
    NEW_PARTITION_ID_FIELD_NUMBER: _ClassVar[int]
    NEW_REPLICA_IDS_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_EPOCH_FIELD_NUMBER: _ClassVar[int]
    partition_id: int
    split_h: int
    new_partition_id: int
    new_replica_ids: _containers.RepeatedScalarFieldContainer[int]
    expected_epoch: Epoch
    def __init__(self, partition_id: _Optional[int] = ..., split_h: _Optional[int] = ..., new_partition_id: _Optional[int] = ..., new_replica_ids: _Optional[_Iterable[int]] = ..., expected_epoch: _Optional[_Union[Epoch, _Mapping]] = ...) -> None: ...

class DeleteReplicaRequest(_message.Message):
    __slots__ = ("partition_id",)
    PARTITION_ID_FIELD_NUMBER: _ClassVar[int]
    partition_id: int
    def __init__(self, partition_id: _Optional[int] = ...) -> None: ...

class AdminResponse(_message.Message):
    __slots__ = ("error",)
    ERROR_FIELD_NUMBER: _ClassVar[int]
    error: PartitionError
    def __init__(self, error: _Optional[_Union[PartitionError, _Mapping]] = ...) -> None: ...

class StatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PartitionStats(_message.Message):
    __slots__ = ("partition_id", "replica_id", "size_bytes", "key_count", "applied_index", "is_leader", "leader_replica_id", "epoch", "term")
    PARTITION_ID_FIELD_NUMBER: _ClassVar[int]
    REPLICA_ID_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    KEY_COUNT_FIELD_NUMBER: _ClassVar[int]
    APPLIED_INDEX_FIELD_NUMBER: _ClassVar[int]
    IS_LEADER_FIELD_NUMBER: _ClassVar[int]
    LEADER_REPLICA_ID_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    TERM_FIELD_NUMBER: _ClassVar[int]
    partition_id: int
    replica_id: int
    size_bytes: int
    key_count: int
    applied_index: int
    is_leader: bool
    leader_replica_id: int
    epoch: Epoch
    term: int
    def __init__(self, partition_id: _Optional[int] = ..., replica_id: _Optional[int] = ..., size_bytes: _Optional[int] = ..., key_count: _Optional[int] = ..., applied_index: _Optional[int] = ..., is_leader: _Optional[bool] = ..., leader_replica_id: _Optional[int] = ..., epoch: _Optional[_Union[Epoch, _Mapping]] = ..., term: _Optional[int] = ...) -> None: ...

class StatsResponse(_message.Message):
    __slots__ = ("node_id", "partitions")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    node_id: int
    partitions: _containers.RepeatedCompositeFieldContainer[PartitionStats]
    def __init__(self, node_id: _Optional[int] = ..., partitions: _Optional[_Iterable[_Union[PartitionStats, _Mapping]]] = ...) -> None: ...
