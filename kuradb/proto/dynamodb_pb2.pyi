from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AttributeValue(_message.Message):
    __slots__ = ("s", "n", "b", "ss", "ns", "bs", "m", "l", "boolean", "null")
    S_FIELD_NUMBER: _ClassVar[int]
    N_FIELD_NUMBER: _ClassVar[int]
    B_FIELD_NUMBER: _ClassVar[int]
    SS_FIELD_NUMBER: _ClassVar[int]
    NS_FIELD_NUMBER: _ClassVar[int]
    BS_FIELD_NUMBER: _ClassVar[int]
    M_FIELD_NUMBER: _ClassVar[int]
    L_FIELD_NUMBER: _ClassVar[int]
    BOOLEAN_FIELD_NUMBER: _ClassVar[int]
    NULL_FIELD_NUMBER: _ClassVar[int]
    s: str
    n: str
    b: bytes
    ss: StringList
    ns: StringList
    bs: BinaryList
    m: AttributeMap
    l: AttributeList
    boolean: bool
    null: bool
    def __init__(self, s: _Optional[str] = ..., n: _Optional[str] = ..., b: _Optional[bytes] = ..., ss: _Optional[_Union[StringList, _Mapping]] = ..., ns: _Optional[_Union[StringList, _Mapping]] = ..., bs: _Optional[_Union[BinaryList, _Mapping]] = ..., m: _Optional[_Union[AttributeMap, _Mapping]] = ..., l: _Optional[_Union[AttributeList, _Mapping]] = ..., boolean: _Optional[bool] = ..., null: _Optional[bool] = ...) -> None: ...

class StringList(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, values: _Optional[_Iterable[str]] = ...) -> None: ...

class BinaryList(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, values: _Optional[_Iterable[bytes]] = ...) -> None: ...

class DoubleList(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, values: _Optional[_Iterable[float]] = ...) -> None: ...

class StringMap(_message.Message):
    __slots__ = ("values",)
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.ScalarMap[str, str]
    def __init__(self, values: _Optional[_Mapping[str, str]] = ...) -> None: ...

class AttributeMap(_message.Message):
    __slots__ = ("values",)
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: AttributeValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[AttributeValue, _Mapping]] = ...) -> None: ...
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.MessageMap[str, AttributeValue]
    def __init__(self, values: _Optional[_Mapping[str, AttributeValue]] = ...) -> None: ...

class AttributeList(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[AttributeValue]
    def __init__(self, values: _Optional[_Iterable[_Union[AttributeValue, _Mapping]]] = ...) -> None: ...

class AttributeMapList(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[AttributeMap]
    def __init__(self, values: _Optional[_Iterable[_Union[AttributeMap, _Mapping]]] = ...) -> None: ...

class AttributeMapListMap(_message.Message):
    __slots__ = ("values",)
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: AttributeMapList
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[AttributeMapList, _Mapping]] = ...) -> None: ...
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.MessageMap[str, AttributeMapList]
    def __init__(self, values: _Optional[_Mapping[str, AttributeMapList]] = ...) -> None: ...

class ExpectedAttributeValueMap(_message.Message):
    __slots__ = ("values",)
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ExpectedAttributeValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ExpectedAttributeValue, _Mapping]] = ...) -> None: ...
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.MessageMap[str, ExpectedAttributeValue]
    def __init__(self, values: _Optional[_Mapping[str, ExpectedAttributeValue]] = ...) -> None: ...

class ConditionMap(_message.Message):
    __slots__ = ("values",)
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: Condition
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Condition, _Mapping]] = ...) -> None: ...
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.MessageMap[str, Condition]
    def __init__(self, values: _Optional[_Mapping[str, Condition]] = ...) -> None: ...

class AttributeValueUpdateMap(_message.Message):
    __slots__ = ("values",)
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: AttributeValueUpdate
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[AttributeValueUpdate, _Mapping]] = ...) -> None: ...
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.MessageMap[str, AttributeValueUpdate]
    def __init__(self, values: _Optional[_Mapping[str, AttributeValueUpdate]] = ...) -> None: ...

class AttributeDefinitionList(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[AttributeDefinition]
    def __init__(self, values: _Optional[_Iterable[_Union[AttributeDefinition, _Mapping]]] = ...) -> None: ...

class KeySchemaElementList(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[KeySchemaElement]
    def __init__(self, values: _Optional[_Iterable[_Union[KeySchemaElement, _Mapping]]] = ...) -> None: ...

class KeysAndAttributesMap(_message.Message):
    __slots__ = ("values",)
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: KeysAndAttributes
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[KeysAndAttributes, _Mapping]] = ...) -> None: ...
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.MessageMap[str, KeysAndAttributes]
    def __init__(self, values: _Optional[_Mapping[str, KeysAndAttributes]] = ...) -> None: ...

class WriteRequestList(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[WriteRequest]
    def __init__(self, values: _Optional[_Iterable[_Union[WriteRequest, _Mapping]]] = ...) -> None: ...

class WriteRequestListMap(_message.Message):
    __slots__ = ("values",)
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: WriteRequestList
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[WriteRequestList, _Mapping]] = ...) -> None: ...
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.MessageMap[str, WriteRequestList]
    def __init__(self, values: _Optional[_Mapping[str, WriteRequestList]] = ...) -> None: ...

class ConsumedCapacityList(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[ConsumedCapacity]
    def __init__(self, values: _Optional[_Iterable[_Union[ConsumedCapacity, _Mapping]]] = ...) -> None: ...

class CapacityMap(_message.Message):
    __slots__ = ("values",)
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: Capacity
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Capacity, _Mapping]] = ...) -> None: ...
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.MessageMap[str, Capacity]
    def __init__(self, values: _Optional[_Mapping[str, Capacity]] = ...) -> None: ...

class ItemCollectionMetricsList(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[ItemCollectionMetrics]
    def __init__(self, values: _Optional[_Iterable[_Union[ItemCollectionMetrics, _Mapping]]] = ...) -> None: ...

class ItemCollectionMetricsListMap(_message.Message):
    __slots__ = ("values",)
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ItemCollectionMetricsList
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ItemCollectionMetricsList, _Mapping]] = ...) -> None: ...
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.MessageMap[str, ItemCollectionMetricsList]
    def __init__(self, values: _Optional[_Mapping[str, ItemCollectionMetricsList]] = ...) -> None: ...

class GlobalSecondaryIndexList(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[GlobalSecondaryIndex]
    def __init__(self, values: _Optional[_Iterable[_Union[GlobalSecondaryIndex, _Mapping]]] = ...) -> None: ...

class LocalSecondaryIndexList(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[LocalSecondaryIndex]
    def __init__(self, values: _Optional[_Iterable[_Union[LocalSecondaryIndex, _Mapping]]] = ...) -> None: ...

class GlobalSecondaryIndexDescriptionList(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[GlobalSecondaryIndexDescription]
    def __init__(self, values: _Optional[_Iterable[_Union[GlobalSecondaryIndexDescription, _Mapping]]] = ...) -> None: ...

class LocalSecondaryIndexDescriptionList(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[LocalSecondaryIndexDescription]
    def __init__(self, values: _Optional[_Iterable[_Union[LocalSecondaryIndexDescription, _Mapping]]] = ...) -> None: ...

class AttributeDefinition(_message.Message):
    __slots__ = ("attribute_name", "attribute_type")
    ATTRIBUTE_NAME_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTE_TYPE_FIELD_NUMBER: _ClassVar[int]
    attribute_name: str
    attribute_type: str
    def __init__(self, attribute_name: _Optional[str] = ..., attribute_type: _Optional[str] = ...) -> None: ...

class KeySchemaElement(_message.Message):
    __slots__ = ("attribute_name", "key_type")
    ATTRIBUTE_NAME_FIELD_NUMBER: _ClassVar[int]
    KEY_TYPE_FIELD_NUMBER: _ClassVar[int]
    attribute_name: str
    key_type: str
    def __init__(self, attribute_name: _Optional[str] = ..., key_type: _Optional[str] = ...) -> None: ...

class ProvisionedThroughput(_message.Message):
    __slots__ = ("read_capacity_units", "write_capacity_units")
    READ_CAPACITY_UNITS_FIELD_NUMBER: _ClassVar[int]
    WRITE_CAPACITY_UNITS_FIELD_NUMBER: _ClassVar[int]
    read_capacity_units: int
    write_capacity_units: int
    def __init__(self, read_capacity_units: _Optional[int] = ..., write_capacity_units: _Optional[int] = ...) -> None: ...

class ProvisionedThroughputDescription(_message.Message):
    __slots__ = ("last_increase_date_time", "last_decrease_date_time", "number_of_decreases_today", "read_capacity_units", "write_capacity_units")
    LAST_INCREASE_DATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_DECREASE_DATE_TIME_FIELD_NUMBER: _ClassVar[int]
    NUMBER_OF_DECREASES_TODAY_FIELD_NUMBER: _ClassVar[int]
    READ_CAPACITY_UNITS_FIELD_NUMBER: _ClassVar[int]
    WRITE_CAPACITY_UNITS_FIELD_NUMBER: _ClassVar[int]
    last_increase_date_time: float
    last_decrease_date_time: float
    number_of_decreases_today: int
    read_capacity_units: int
    write_capacity_units: int
    def __init__(self, last_increase_date_time: _Optional[float] = ..., last_decrease_date_time: _Optional[float] = ..., number_of_decreases_today: _Optional[int] = ..., read_capacity_units: _Optional[int] = ..., write_capacity_units: _Optional[int] = ...) -> None: ...

class BillingModeSummary(_message.Message):
    __slots__ = ("billing_mode", "last_update_to_pay_per_request_date_time")
    BILLING_MODE_FIELD_NUMBER: _ClassVar[int]
    LAST_UPDATE_TO_PAY_PER_REQUEST_DATE_TIME_FIELD_NUMBER: _ClassVar[int]
    billing_mode: str
    last_update_to_pay_per_request_date_time: float
    def __init__(self, billing_mode: _Optional[str] = ..., last_update_to_pay_per_request_date_time: _Optional[float] = ...) -> None: ...

class Projection(_message.Message):
    __slots__ = ("projection_type", "non_key_attributes")
    PROJECTION_TYPE_FIELD_NUMBER: _ClassVar[int]
    NON_KEY_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    projection_type: str
    non_key_attributes: StringList
    def __init__(self, projection_type: _Optional[str] = ..., non_key_attributes: _Optional[_Union[StringList, _Mapping]] = ...) -> None: ...

class GlobalSecondaryIndex(_message.Message):
    __slots__ = ("index_name", "key_schema", "projection", "provisioned_throughput")
    INDEX_NAME_FIELD_NUMBER: _ClassVar[int]
    KEY_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    PROJECTION_FIELD_NUMBER: _ClassVar[int]
    PROVISIONED_THROUGHPUT_FIELD_NUMBER: _ClassVar[int]
    index_name: str
    key_schema: KeySchemaElementList
    projection: Projection
    provisioned_throughput: ProvisionedThroughput
    def __init__(self, index_name: _Optional[str] = ..., key_schema: _Optional[_Union[KeySchemaElementList, _Mapping]] = ..., projection: _Optional[_Union[Projection, _Mapping]] = ..., provisioned_throughput: _Optional[_Union[ProvisionedThroughput, _Mapping]] = ...) -> None: ...

class LocalSecondaryIndex(_message.Message):
    __slots__ = ("index_name", "key_schema", "projection")
    INDEX_NAME_FIELD_NUMBER: _ClassVar[int]
    KEY_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    PROJECTION_FIELD_NUMBER: _ClassVar[int]
    index_name: str
    key_schema: KeySchemaElementList
    projection: Projection
    def __init__(self, index_name: _Optional[str] = ..., key_schema: _Optional[_Union[KeySchemaElementList, _Mapping]] = ..., projection: _Optional[_Union[Projection, _Mapping]] = ...) -> None: ...

class GlobalSecondaryIndexDescription(_message.Message):
    __slots__ = ("index_name", "key_schema", "projection", "index_status", "backfilling", "provisioned_throughput", "index_size_bytes", "item_count", "index_arn")
    INDEX_NAME_FIELD_NUMBER: _ClassVar[int]
    KEY_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    PROJECTION_FIELD_NUMBER: _ClassVar[int]
    INDEX_STATUS_FIELD_NUMBER: _ClassVar[int]
    BACKFILLING_FIELD_NUMBER: _ClassVar[int]
    PROVISIONED_THROUGHPUT_FIELD_NUMBER: _ClassVar[int]
    INDEX_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    ITEM_COUNT_FIELD_NUMBER: _ClassVar[int]
    INDEX_ARN_FIELD_NUMBER: _ClassVar[int]
    index_name: str
    key_schema: KeySchemaElementList
    projection: Projection
    index_status: str
    backfilling: bool
    provisioned_throughput: ProvisionedThroughputDescription
    index_size_bytes: int
    item_count: int
    index_arn: str
    def __init__(self, index_name: _Optional[str] = ..., key_schema: _Optional[_Union[KeySchemaElementList, _Mapping]] = ..., projection: _Optional[_Union[Projection, _Mapping]] = ..., index_status: _Optional[str] = ..., backfilling: _Optional[bool] = ..., provisioned_throughput: _Optional[_Union[ProvisionedThroughputDescription, _Mapping]] = ..., index_size_bytes: _Optional[int] = ..., item_count: _Optional[int] = ..., index_arn: _Optional[str] = ...) -> None: ...

class LocalSecondaryIndexDescription(_message.Message):
    __slots__ = ("index_name", "key_schema", "projection", "index_size_bytes", "item_count", "index_arn")
    INDEX_NAME_FIELD_NUMBER: _ClassVar[int]
    KEY_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    PROJECTION_FIELD_NUMBER: _ClassVar[int]
    INDEX_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    ITEM_COUNT_FIELD_NUMBER: _ClassVar[int]
    INDEX_ARN_FIELD_NUMBER: _ClassVar[int]
    index_name: str
    key_schema: KeySchemaElementList
    projection: Projection
    index_size_bytes: int
    item_count: int
    index_arn: str
    def __init__(self, index_name: _Optional[str] = ..., key_schema: _Optional[_Union[KeySchemaElementList, _Mapping]] = ..., projection: _Optional[_Union[Projection, _Mapping]] = ..., index_size_bytes: _Optional[int] = ..., item_count: _Optional[int] = ..., index_arn: _Optional[str] = ...) -> None: ...

class TableDescription(_message.Message):
    __slots__ = ("attribute_definitions", "table_name", "key_schema", "table_status", "creation_date_time", "provisioned_throughput", "table_size_bytes", "item_count", "table_arn", "table_id", "billing_mode_summary", "local_secondary_indexes", "global_secondary_indexes", "deletion_protection_enabled")
    ATTRIBUTE_DEFINITIONS_FIELD_NUMBER: _ClassVar[int]
    TABLE_NAME_FIELD_NUMBER: _ClassVar[int]
    KEY_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    TABLE_STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATION_DATE_TIME_FIELD_NUMBER: _ClassVar[int]
    PROVISIONED_THROUGHPUT_FIELD_NUMBER: _ClassVar[int]
    TABLE_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    ITEM_COUNT_FIELD_NUMBER: _ClassVar[int]
    TABLE_ARN_FIELD_NUMBER: _ClassVar[int]
    TABLE_ID_FIELD_NUMBER: _ClassVar[int]
    BILLING_MODE_SUMMARY_FIELD_NUMBER: _ClassVar[int]
    LOCAL_SECONDARY_INDEXES_FIELD_NUMBER: _ClassVar[int]
    GLOBAL_SECONDARY_INDEXES_FIELD_NUMBER: _ClassVar[int]
    DELETION_PROTECTION_ENABLED_FIELD_NUMBER: _ClassVar[int]
    attribute_definitions: AttributeDefinitionList
    table_name: str
    key_schema: KeySchemaElementList
    table_status: str
    creation_date_time: float
    provisioned_throughput: ProvisionedThroughputDescription
    table_size_bytes: int
    item_count: int
    table_arn: str
    table_id: str
    billing_mode_summary: BillingModeSummary
    local_secondary_indexes: LocalSecondaryIndexDescriptionList
    global_secondary_indexes: GlobalSecondaryIndexDescriptionList
    deletion_protection_enabled: bool
    def __init__(self, attribute_definitions: _Optional[_Union[AttributeDefinitionList, _Mapping]] = ..., table_name: _Optional[str] = ..., key_schema: _Optional[_Union[KeySchemaElementList, _Mapping]] = ..., table_status: _Optional[str] = ..., creation_date_time: _Optional[float] = ..., provisioned_throughput: _Optional[_Union[ProvisionedThroughputDescription, _Mapping]] = ..., table_size_bytes: _Optional[int] = ..., item_count: _Optional[int] = ..., table_arn: _Optional[str] = ..., table_id: _Optional[str] = ..., billing_mode_summary: _Optional[_Union[BillingModeSummary, _Mapping]] = ..., local_secondary_indexes: _Optional[_Union[LocalSecondaryIndexDescriptionList, _Mapping]] = ..., global_secondary_indexes: _Optional[_Union[GlobalSecondaryIndexDescriptionList, _Mapping]] = ..., deletion_protection_enabled: _Optional[bool] = ...) -> None: ...

class Capacity(_message.Message):
    __slots__ = ("read_capacity_units", "write_capacity_units", "capacity_units")
    READ_CAPACITY_UNITS_FIELD_NUMBER: _ClassVar[int]
    WRITE_CAPACITY_UNITS_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_UNITS_FIELD_NUMBER: _ClassVar[int]
    read_capacity_units: float
    write_capacity_units: float
    capacity_units: float
    def __init__(self, read_capacity_units: _Optional[float] = ..., write_capacity_units: _Optional[float] = ..., capacity_units: _Optional[float] = ...) -> None: ...

class ConsumedCapacity(_message.Message):
    __slots__ = ("table_name", "capacity_units", "read_capacity_units", "write_capacity_units", "table", "local_secondary_indexes", "global_secondary_indexes")
    TABLE_NAME_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_UNITS_FIELD_NUMBER: _ClassVar[int]
    READ_CAPACITY_UNITS_FIELD_NUMBER: _ClassVar[int]
    WRITE_CAPACITY_UNITS_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    LOCAL_SECONDARY_INDEXES_FIELD_NUMBER: _ClassVar[int]
    GLOBAL_SECONDARY_INDEXES_FIELD_NUMBER: _ClassVar[int]
    table_name: str
    capacity_units: float
    read_capacity_units: float
    write_capacity_units: float
    table: Capacity
    local_secondary_indexes: CapacityMap
    global_secondary_indexes: CapacityMap
    def __init__(self, table_name: _Optional[str] = ..., capacity_units: _Optional[float] = ..., read_capacity_units: _Optional[float] = ..., write_capacity_units: _Optional[float] = ..., table: _Optional[_Union[Capacity, _Mapping]] = ..., local_secondary_indexes: _Optional[_Union[CapacityMap, _Mapping]] = ..., global_secondary_indexes: _Optional[_Union[CapacityMap, _Mapping]] = ...) -> None: ...

class ItemCollectionMetrics(_message.Message):
    __slots__ = ("item_collection_key", "size_estimate_range_gb")
    ITEM_COLLECTION_KEY_FIELD_NUMBER: _ClassVar[int]
    SIZE_ESTIMATE_RANGE_GB_FIELD_NUMBER: _ClassVar[int]
    item_collection_key: AttributeMap
    size_estimate_range_gb: DoubleList
    def __init__(self, item_collection_key: _Optional[_Union[AttributeMap, _Mapping]] = ..., size_estimate_range_gb: _Optional[_Union[DoubleList, _Mapping]] = ...) -> None: ...

class ExpectedAttributeValue(_message.Message):
    __slots__ = ("value", "exists", "comparison_operator", "attribute_value_list")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    EXISTS_FIELD_NUMBER: _ClassVar[int]
    COMPARISON_OPERATOR_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTE_VALUE_LIST_FIELD_NUMBER: _ClassVar[int]
    value: AttributeValue
    exists: bool
    comparison_operator: str
    attribute_value_list: AttributeList
    def __init__(self, value: _Optional[_Union[AttributeValue, _Mapping]] = ..., exists: _Optional[bool] = ..., comparison_operator: _Optional[str] = ..., attribute_value_list: _Optional[_Union[AttributeList, _Mapping]] = ...) -> None: ...

class Condition(_message.Message):
    __slots__ = ("attribute_value_list", "comparison_operator")
    ATTRIBUTE_VALUE_LIST_FIELD_NUMBER: _ClassVar[int]
    COMPARISON_OPERATOR_FIELD_NUMBER: _ClassVar[int]
    attribute_value_list: AttributeList
    comparison_operator: str
    def __init__(self, attribute_value_list: _Optional[_Union[AttributeList, _Mapping]] = ..., comparison_operator: _Optional[str] = ...) -> None: ...

class AttributeValueUpdate(_message.Message):
    __slots__ = ("value", "action")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    value: AttributeValue
    action: str
    def __init__(self, value: _Optional[_Union[AttributeValue, _Mapping]] = ..., action: _Optional[str] = ...) -> None: ...

class KeysAndAttributes(_message.Message):
    __slots__ = ("keys", "attributes_to_get", "consistent_read", "projection_expression", "expression_attribute_names")
    KEYS_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_TO_GET_FIELD_NUMBER: _ClassVar[int]
    CONSISTENT_READ_FIELD_NUMBER: _ClassVar[int]
    PROJECTION_EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    EXPRESSION_ATTRIBUTE_NAMES_FIELD_NUMBER: _ClassVar[int]
    keys: AttributeMapList
    attributes_to_get: StringList
    consistent_read: bool
    projection_expression: str
    expression_attribute_names: StringMap
    def __init__(self, keys: _Optional[_Union[AttributeMapList, _Mapping]] = ..., attributes_to_get: _Optional[_Union[StringList, _Mapping]] = ..., consistent_read: _Optional[bool] = ..., projection_expression: _Optional[str] = ..., expression_attribute_names: _Optional[_Union[StringMap, _Mapping]] = ...) -> None: ...

class PutRequest(_message.Message):
    __slots__ = ("item",)
    ITEM_FIELD_NUMBER: _ClassVar[int]
    item: AttributeMap
    def __init__(self, item: _Optional[_Union[AttributeMap, _Mapping]] = ...) -> None: ...

class DeleteRequest(_message.Message):
    __slots__ = ("key",)
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: AttributeMap
    def __init__(self, key: _Optional[_Union[AttributeMap, _Mapping]] = ...) -> None: ...

class WriteRequest(_message.Message):
    __slots__ = ("put_request", "delete_request")
    PUT_REQUEST_FIELD_NUMBER: _ClassVar[int]
    DELETE_REQUEST_FIELD_NUMBER: _ClassVar[int]
    put_request: PutRequest
    delete_request: DeleteRequest
    def __init__(self, put_request: _Optional[_Union[PutRequest, _Mapping]] = ..., delete_request: _Optional[_Union[DeleteRequest, _Mapping]] = ...) -> None: ...

class ErrorDetails(_message.Message):
    __slots__ = ("item",)
    ITEM_FIELD_NUMBER: _ClassVar[int]
    item: AttributeMap
    def __init__(self, item: _Optional[_Union[AttributeMap, _Mapping]] = ...) -> None: ...

class CreateTableRequest(_message.Message):
    __slots__ = ("attribute_definitions", "table_name", "key_schema", "local_secondary_indexes", "global_secondary_indexes", "billing_mode", "provisioned_throughput", "deletion_protection_enabled")
    ATTRIBUTE_DEFINITIONS_FIELD_NUMBER: _ClassVar[int]
    TABLE_NAME_FIELD_NUMBER: _ClassVar[int]
    KEY_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    LOCAL_SECONDARY_INDEXES_FIELD_NUMBER: _ClassVar[int]
    GLOBAL_SECONDARY_INDEXES_FIELD_NUMBER: _ClassVar[int]
    BILLING_MODE_FIELD_NUMBER: _ClassVar[int]
    PROVISIONED_THROUGHPUT_FIELD_NUMBER: _ClassVar[int]
    DELETION_PROTECTION_ENABLED_FIELD_NUMBER: _ClassVar[int]
    attribute_definitions: AttributeDefinitionList
    table_name: str
    key_schema: KeySchemaElementList
    local_secondary_indexes: LocalSecondaryIndexList
    global_secondary_indexes: GlobalSecondaryIndexList
    billing_mode: str
    provisioned_throughput: ProvisionedThroughput
    deletion_protection_enabled: bool
    def __init__(self, attribute_definitions: _Optional[_Union[AttributeDefinitionList, _Mapping]] = ..., table_name: _Optional[str] = ..., key_schema: _Optional[_Union[KeySchemaElementList, _Mapping]] = ..., local_secondary_indexes: _Optional[_Union[LocalSecondaryIndexList, _Mapping]] = ..., global_secondary_indexes: _Optional[_Union[GlobalSecondaryIndexList, _Mapping]] = ..., billing_mode: _Optional[str] = ..., provisioned_throughput: _Optional[_Union[ProvisionedThroughput, _Mapping]] = ..., deletion_protection_enabled: _Optional[bool] = ...) -> None: ...

class CreateTableResponse(_message.Message):
    __slots__ = ("table_description",)
    TABLE_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    table_description: TableDescription
    def __init__(self, table_description: _Optional[_Union[TableDescription, _Mapping]] = ...) -> None: ...

class DescribeTableRequest(_message.Message):
    __slots__ = ("table_name",)
    TABLE_NAME_FIELD_NUMBER: _ClassVar[int]
    table_name: str
    def __init__(self, table_name: _Optional[str] = ...) -> None: ...

class DescribeTableResponse(_message.Message):
    __slots__ = ("table",)
    TABLE_FIELD_NUMBER: _ClassVar[int]
    table: TableDescription
    def __init__(self, table: _Optional[_Union[TableDescription, _Mapping]] = ...) -> None: ...

class UpdateTableRequest(_message.Message):
    __slots__ = ("attribute_definitions", "table_name", "billing_mode", "provisioned_throughput", "deletion_protection_enabled")
    ATTRIBUTE_DEFINITIONS_FIELD_NUMBER: _ClassVar[int]
    TABLE_NAME_FIELD_NUMBER: _ClassVar[int]
    BILLING_MODE_FIELD_NUMBER: _ClassVar[int]
    PROVISIONED_THROUGHPUT_FIELD_NUMBER: _ClassVar[int]
    DELETION_PROTECTION_ENABLED_FIELD_NUMBER: _ClassVar[int]
    attribute_definitions: AttributeDefinitionList
    table_name: str
    billing_mode: str
    provisioned_throughput: ProvisionedThroughput
    deletion_protection_enabled: bool
    def __init__(self, attribute_definitions: _Optional[_Union[AttributeDefinitionList, _Mapping]] = ..., table_name: _Optional[str] = ..., billing_mode: _Optional[str] = ..., provisioned_throughput: _Optional[_Union[ProvisionedThroughput, _Mapping]] = ..., deletion_protection_enabled: _Optional[bool] = ...) -> None: ...

class UpdateTableResponse(_message.Message):
    __slots__ = ("table_description",)
    TABLE_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    table_description: TableDescription
    def __init__(self, table_description: _Optional[_Union[TableDescription, _Mapping]] = ...) -> None: ...

class DeleteTableRequest(_message.Message):
    __slots__ = ("table_name",)
    TABLE_NAME_FIELD_NUMBER: _ClassVar[int]
    table_name: str
    def __init__(self, table_name: _Optional[str] = ...) -> None: ...

class DeleteTableResponse(_message.Message):
    __slots__ = ("table_description",)
    TABLE_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    table_description: TableDescription
    def __init__(self, table_description: _Optional[_Union[TableDescription, _Mapping]] = ...) -> None: ...

class ListTablesRequest(_message.Message):
    __slots__ = ("exclusive_start_table_name", "limit")
    EXCLUSIVE_START_TABLE_NAME_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    exclusive_start_table_name: str
    limit: int
    def __init__(self, exclusive_start_table_name: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ListTablesResponse(_message.Message):
    __slots__ = ("table_names", "last_evaluated_table_name")
    TABLE_NAMES_FIELD_NUMBER: _ClassVar[int]
    LAST_EVALUATED_TABLE_NAME_FIELD_NUMBER: _ClassVar[int]
    table_names: StringList
    last_evaluated_table_name: str
    def __init__(self, table_names: _Optional[_Union[StringList, _Mapping]] = ..., last_evaluated_table_name: _Optional[str] = ...) -> None: ...

class PutItemRequest(_message.Message):
    __slots__ = ("table_name", "item", "expected", "return_values", "return_consumed_capacity", "return_item_collection_metrics", "conditional_operator", "condition_expression", "expression_attribute_names", "expression_attribute_values", "return_values_on_condition_check_failure")
    TABLE_NAME_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    RETURN_VALUES_FIELD_NUMBER: _ClassVar[int]
    RETURN_CONSUMED_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    RETURN_ITEM_COLLECTION_METRICS_FIELD_NUMBER: _ClassVar[int]
    CONDITIONAL_OPERATOR_FIELD_NUMBER: _ClassVar[int]
    CONDITION_EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    EXPRESSION_ATTRIBUTE_NAMES_FIELD_NUMBER: _ClassVar[int]
    EXPRESSION_ATTRIBUTE_VALUES_FIELD_NUMBER: _ClassVar[int]
    RETURN_VALUES_ON_CONDITION_CHECK_FAILURE_FIELD_NUMBER: _ClassVar[int]
    table_name: str
    item: AttributeMap
    expected: ExpectedAttributeValueMap
    return_values: str
    return_consumed_capacity: str
    return_item_collection_metrics: str
    conditional_operator: str
    condition_expression: str
    expression_attribute_names: StringMap
    expression_attribute_values: AttributeMap
    return_values_on_condition_check_failure: str
    def __init__(self, table_name: _Optional[str] = ..., item: _Optional[_Union[AttributeMap, _Mapping]] = ..., expected: _Optional[_Union[ExpectedAttributeValueMap, _Mapping]] = ..., return_values: _Optional[str] = ..., return_consumed_capacity: _Optional[str] = ..., return_item_collection_metrics: _Optional[str] = ..., conditional_operator: _Optional[str] = ..., condition_expression: _Optional[str] = ..., expression_attribute_names: _Optional[_Union[StringMap, _Mapping]] = ..., expression_attribute_values: _Optional[_Union[AttributeMap, _Mapping]] = ..., return_values_on_condition_check_failure: _Optional[str] = ...) -> None: ...

class PutItemResponse(_message.Message):
    __slots__ = ("attributes", "consumed_capacity", "item_collection_metrics")
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    CONSUMED_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    ITEM_COLLECTION_METRICS_FIELD_NUMBER: _ClassVar[int]
    attributes: AttributeMap
    consumed_capacity: ConsumedCapacity
    item_collection_metrics: ItemCollectionMetrics
    def __init__(self, attributes: _Optional[_Union[AttributeMap, _Mapping]] = ..., consumed_capacity: _Optional[_Union[ConsumedCapacity, _Mapping]] = ..., item_collection_metrics: _Optional[_Union[ItemCollectionMetrics, _Mapping]] = ...) -> None: ...

class GetItemRequest(_message.Message):
    __slots__ = ("table_name", "key", "attributes_to_get", "consistent_read", "return_consumed_capacity", "projection_expression", "expression_attribute_names")
    TABLE_NAME_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_TO_GET_FIELD_NUMBER: _ClassVar[int]
    CONSISTENT_READ_FIELD_NUMBER: _ClassVar[int]
    RETURN_CONSUMED_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    PROJECTION_EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    EXPRESSION_ATTRIBUTE_NAMES_FIELD_NUMBER: _ClassVar[int]
    table_name: str
    key: AttributeMap
    attributes_to_get: StringList
    consistent_read: bool
    return_consumed_capacity: str
    projection_expression: str
    expression_attribute_names: StringMap
    def __init__(self, table_name: _Optional[str] = ..., key: _Optional[_Union[AttributeMap, _Mapping]] = ..., attributes_to_get: _Optional[_Union[StringList, _Mapping]] = ..., consistent_read: _Optional[bool] = ..., return_consumed_capacity: _Optional[str] = ..., projection_expression: _Optional[str] = ..., expression_attribute_names: _Optional[_Union[StringMap, _Mapping]] = ...) -> None: ...

class GetItemResponse(_message.Message):
    __slots__ = ("item", "consumed_capacity")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    CONSUMED_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    item: AttributeMap
    consumed_capacity: ConsumedCapacity
    def __init__(self, item: _Optional[_Union[AttributeMap, _Mapping]] = ..., consumed_capacity: _Optional[_Union[ConsumedCapacity, _Mapping]] = ...) -> None: ...

class UpdateItemRequest(_message.Message):
    __slots__ = ("table_name", "key", "attribute_updates", "expected", "conditional_operator", "return_values", "return_consumed_capacity", "return_item_collection_metrics", "update_expression", "condition_expression", "expression_attribute_names", "expression_attribute_values", "return_values_on_condition_check_failure")
    TABLE_NAME_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTE_UPDATES_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    CONDITIONAL_OPERATOR_FIELD_NUMBER: _ClassVar[int]
    RETURN_VALUES_FIELD_NUMBER: _ClassVar[int]
    RETURN_CONSUMED_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    RETURN_ITEM_COLLECTION_METRICS_FIELD_NUMBER: _ClassVar[int]
    UPDATE_EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    CONDITION_EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    EXPRESSION_ATTRIBUTE_NAMES_FIELD_NUMBER: _ClassVar[int]
    EXPRESSION_ATTRIBUTE_VALUES_FIELD_NUMBER: _ClassVar[int]
    RETURN_VALUES_ON_CONDITION_CHECK_FAILURE_FIELD_NUMBER: _ClassVar[int]
    table_name: str
    key: AttributeMap
    attribute_updates: AttributeValueUpdateMap
    expected: ExpectedAttributeValueMap
    conditional_operator: str
    return_values: str
    return_consumed_capacity: str
    return_item_collection_metrics: str
    update_expression: str
    condition_expression: str
    expression_attribute_names: StringMap
    expression_attribute_values: AttributeMap
    return_values_on_condition_check_failure: str
    def __init__(self, table_name: _Optional[str] = ..., key: _Optional[_Union[AttributeMap, _Mapping]] = ..., attribute_updates: _Optional[_Union[AttributeValueUpdateMap, _Mapping]] = ..., expected: _Optional[_Union[ExpectedAttributeValueMap, _Mapping]] = ..., conditional_operator: _Optional[str] = ..., return_values: _Optional[str] = ..., return_consumed_capacity: _Optional[str] = ..., return_item_collection_metrics: _Optional[str] = ..., update_expression: _Optional[str] = ..., condition_expression: _Optional[str] = ..., expression_attribute_names: _Optional[_Union[StringMap, _Mapping]] = ..., expression_attribute_values: _Optional[_Union[AttributeMap, _Mapping]] = ..., return_values_on_condition_check_failure: _Optional[str] = ...) -> None: ...

class UpdateItemResponse(_message.Message):
    __slots__ = ("attributes", "consumed_capacity", "item_collection_metrics")
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    CONSUMED_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    ITEM_COLLECTION_METRICS_FIELD_NUMBER: _ClassVar[int]
    attributes: AttributeMap
    consumed_capacity: ConsumedCapacity
    item_collection_metrics: ItemCollectionMetrics
    def __init__(self, attributes: _Optional[_Union[AttributeMap, _Mapping]] = ..., consumed_capacity: _Optional[_Union[ConsumedCapacity, _Mapping]] = ..., item_collection_metrics: _Optional[_Union[ItemCollectionMetrics, _Mapping]] = ...) -> None: ...

class DeleteItemRequest(_message.Message):
    __slots__ = ("table_name", "key", "expected", "conditional_operator", "return_values", "return_consumed_capacity", "return_item_collection_metrics", "condition_expression", "expression_attribute_names", "expression_attribute_values", "return_values_on_condition_check_failure")
    TABLE_NAME_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    CONDITIONAL_OPERATOR_FIELD_NUMBER: _ClassVar[int]
    RETURN_VALUES_FIELD_NUMBER: _ClassVar[int]
    RETURN_CONSUMED_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    RETURN_ITEM_COLLECTION_METRICS_FIELD_NUMBER: _ClassVar[int]
    CONDITION_EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    EXPRESSION_ATTRIBUTE_NAMES_FIELD_NUMBER: _ClassVar[int]
    EXPRESSION_ATTRIBUTE_VALUES_FIELD_NUMBER: _ClassVar[int]
    RETURN_VALUES_ON_CONDITION_CHECK_FAILURE_FIELD_NUMBER: _ClassVar[int]
    table_name: str
    key: AttributeMap
    expected: ExpectedAttributeValueMap
    conditional_operator: str
    return_values: str
    return_consumed_capacity: str
    return_item_collection_metrics: str
    condition_expression: str
    expression_attribute_names: StringMap
    expression_attribute_values: AttributeMap
    return_values_on_condition_check_failure: str
    def __init__(self, table_name: _Optional[str] = ..., key: _Optional[_Union[AttributeMap, _Mapping]] = ..., expected: _Optional[_Union[ExpectedAttributeValueMap, _Mapping]] = ..., conditional_operator: _Optional[str] = ..., return_values: _Optional[str] = ..., return_consumed_capacity: _Optional[str] = ..., return_item_collection_metrics: _Optional[str] = ..., condition_expression: _Optional[str] = ..., expression_attribute_names: _Optional[_Union[StringMap, _Mapping]] = ..., expression_attribute_values: _Optional[_Union[AttributeMap, _Mapping]] = ..., return_values_on_condition_check_failure: _Optional[str] = ...) -> None: ...

class DeleteItemResponse(_message.Message):
    __slots__ = ("attributes", "consumed_capacity", "item_collection_metrics")
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    CONSUMED_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    ITEM_COLLECTION_METRICS_FIELD_NUMBER: _ClassVar[int]
    attributes: AttributeMap
    consumed_capacity: ConsumedCapacity
    item_collection_metrics: ItemCollectionMetrics
    def __init__(self, attributes: _Optional[_Union[AttributeMap, _Mapping]] = ..., consumed_capacity: _Optional[_Union[ConsumedCapacity, _Mapping]] = ..., item_collection_metrics: _Optional[_Union[ItemCollectionMetrics, _Mapping]] = ...) -> None: ...

class QueryRequest(_message.Message):
    __slots__ = ("table_name", "index_name", "select", "attributes_to_get", "limit", "consistent_read", "key_conditions", "query_filter", "conditional_operator", "scan_index_forward", "exclusive_start_key", "return_consumed_capacity", "projection_expression", "filter_expression", "key_condition_expression", "expression_attribute_names", "expression_attribute_values")
    TABLE_NAME_FIELD_NUMBER: _ClassVar[int]
    INDEX_NAME_FIELD_NUMBER: _ClassVar[int]
    SELECT_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_TO_GET_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    CONSISTENT_READ_FIELD_NUMBER: _ClassVar[int]
    KEY_CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    QUERY_FILTER_FIELD_NUMBER: _ClassVar[int]
    CONDITIONAL_OPERATOR_FIELD_NUMBER: _ClassVar[int]
    SCAN_INDEX_FORWARD_FIELD_NUMBER: _ClassVar[int]
    EXCLUSIVE_START_KEY_FIELD_NUMBER: _ClassVar[int]
    RETURN_CONSUMED_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    PROJECTION_EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    FILTER_EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    KEY_CONDITION_EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    EXPRESSION_ATTRIBUTE_NAMES_FIELD_NUMBER: _ClassVar[int]
    EXPRESSION_ATTRIBUTE_VALUES_FIELD_NUMBER: _ClassVar[int]
    table_name: str
    index_name: str
    select: str
    attributes_to_get: StringList
    limit: int
    consistent_read: bool
    key_conditions: ConditionMap
    query_filter: ConditionMap
    conditional_operator: str
    scan_index_forward: bool
    exclusive_start_key: AttributeMap
    return_consumed_capacity: str
    projection_expression: str
    filter_expression: str
    key_condition_expression: str
    expression_attribute_names: StringMap
    expression_attribute_values: AttributeMap
    def __init__(self, table_name: _Optional[str] = ..., index_name: _Optional[str] = ..., select: _Optional[str] = ..., attributes_to_get: _Optional[_Union[StringList, _Mapping]] = ..., limit: _Optional[int] = ..., consistent_read: _Optional[bool] = ..., key_conditions: _Optional[_Union[ConditionMap, _Mapping]] = ..., query_filter: _Optional[_Union[ConditionMap, _Mapping]] = ..., conditional_operator: _Optional[str] = ..., scan_index_forward: _Optional[bool] = ..., exclusive_start_key: _Optional[_Union[AttributeMap, _Mapping]] = ..., return_consumed_capacity: _Optional[str] = ..., projection_expression: _Optional[str] = ..., filter_expression: _Optional[str] = ..., key_condition_expression: _Optional[str] = ..., expression_attribute_names: _Optional[_Union[StringMap, _Mapping]] = ..., expression_attribute_values: _Optional[_Union[AttributeMap, _Mapping]] = ...) -> None: ...

class QueryResponse(_message.Message):
    __slots__ = ("items", "count", "scanned_count", "last_evaluated_key", "consumed_capacity")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    SCANNED_COUNT_FIELD_NUMBER: _ClassVar[int]
    LAST_EVALUATED_KEY_FIELD_NUMBER: _ClassVar[int]
    CONSUMED_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    items: AttributeMapList
    count: int
    scanned_count: int
    last_evaluated_key: AttributeMap
    consumed_capacity: ConsumedCapacity
    def __init__(self, items: _Optional[_Union[AttributeMapList, _Mapping]] = ..., count: _Optional[int] = ..., scanned_count: _Optional[int] = ..., last_evaluated_key: _Optional[_Union[AttributeMap, _Mapping]] = ..., consumed_capacity: _Optional[_Union[ConsumedCapacity, _Mapping]] = ...) -> None: ...

class ScanRequest(_message.Message):
    __slots__ = ("table_name", "index_name", "attributes_to_get", "limit", "select", "scan_filter", "conditional_operator", "exclusive_start_key", "return_consumed_capacity", "total_segments", "segment", "projection_expression", "filter_expression", "expression_attribute_names", "expression_attribute_values", "consistent_read")
    TABLE_NAME_FIELD_NUMBER: _ClassVar[int]
    INDEX_NAME_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_TO_GET_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    SELECT_FIELD_NUMBER: _ClassVar[int]
    SCAN_FILTER_FIELD_NUMBER: _ClassVar[int]
    CONDITIONAL_OPERATOR_FIELD_NUMBER: _ClassVar[int]
    EXCLUSIVE_START_KEY_FIELD_NUMBER: _ClassVar[int]
    RETURN_CONSUMED_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    PROJECTION_EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    FILTER_EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    EXPRESSION_ATTRIBUTE_NAMES_FIELD_NUMBER: _ClassVar[int]
    EXPRESSION_ATTRIBUTE_VALUES_FIELD_NUMBER: _ClassVar[int]
    CONSISTENT_READ_FIELD_NUMBER: _ClassVar[int]
    table_name: str
    index_name: str
    attributes_to_get: StringList
    limit: int
    select: str
    scan_filter: ConditionMap
    conditional_operator: str
    exclusive_start_key: AttributeMap
    return_consumed_capacity: str
    total_segments: int
    segment: int
    projection_expression: str
    filter_expression: str
    expression_attribute_names: StringMap
    expression_attribute_values: AttributeMap
    consistent_read: bool
    def __init__(self, table_name: _Optional[str] = ..., index_name: _Optional[str] = ..., attributes_to_get: _Optional[_Union[StringList, _Mapping]] = ..., limit: _Optional[int] = ..., select: _Optional[str] = ..., scan_filter: _Optional[_Union[ConditionMap, _Mapping]] = ..., conditional_operator: _Optional[str] = ..., exclusive_start_key: _Optional[_Union[AttributeMap, _Mapping]] = ..., return_consumed_capacity: _Optional[str] = ..., total_segments: _Optional[int] = ..., segment: _Optional[int] = ..., projection_expression: _Optional[str] = ..., filter_expression: _Optional[str] = ..., expression_attribute_names: _Optional[_Union[StringMap, _Mapping]] = ..., expression_attribute_values: _Optional[_Union[AttributeMap, _Mapping]] = ..., consistent_read: _Optional[bool] = ...) -> None: ...

class ScanResponse(_message.Message):
    __slots__ = ("items", "count", "scanned_count", "last_evaluated_key", "consumed_capacity")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    SCANNED_COUNT_FIELD_NUMBER: _ClassVar[int]
    LAST_EVALUATED_KEY_FIELD_NUMBER: _ClassVar[int]
    CONSUMED_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    items: AttributeMapList
    count: int
    scanned_count: int
    last_evaluated_key: AttributeMap
    consumed_capacity: ConsumedCapacity
    def __init__(self, items: _Optional[_Union[AttributeMapList, _Mapping]] = ..., count: _Optional[int] = ..., scanned_count: _Optional[int] = ..., last_evaluated_key: _Optional[_Union[AttributeMap, _Mapping]] = ..., consumed_capacity: _Optional[_Union[ConsumedCapacity, _Mapping]] = ...) -> None: ...

class BatchGetItemRequest(_message.Message):
    __slots__ = ("request_items", "return_consumed_capacity")
    REQUEST_ITEMS_FIELD_NUMBER: _ClassVar[int]
    RETURN_CONSUMED_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    request_items: KeysAndAttributesMap
    return_consumed_capacity: str
    def __init__(self, request_items: _Optional[_Union[KeysAndAttributesMap, _Mapping]] = ..., return_consumed_capacity: _Optional[str] = ...) -> None: ...

class BatchGetItemResponse(_message.Message):
    __slots__ = ("responses", "unprocessed_keys", "consumed_capacity")
    RESPONSES_FIELD_NUMBER: _ClassVar[int]
    UNPROCESSED_KEYS_FIELD_NUMBER: _ClassVar[int]
    CONSUMED_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    responses: AttributeMapListMap
    unprocessed_keys: KeysAndAttributesMap
    consumed_capacity: ConsumedCapacityList
    def __init__(self, responses: _Optional[_Union[AttributeMapListMap, _Mapping]] = ..., unprocessed_keys: _Optional[_Union[KeysAndAttributesMap, _Mapping]] = ..., consumed_capacity: _Optional[_Union[ConsumedCapacityList, _Mapping]] = ...) -> None: ...

class BatchWriteItemRequest(_message.Message):
    __slots__ = ("request_items", "return_consumed_capacity", "return_item_collection_metrics")
    REQUEST_ITEMS_FIELD_NUMBER: _ClassVar[int]
    RETURN_CONSUMED_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    RETURN_ITEM_COLLECTION_METRICS_FIELD_NUMBER: _ClassVar[int]
    request_items: WriteRequestListMap
    return_consumed_capacity: str
    return_item_collection_metrics: str
    def __init__(self, request_items: _Optional[_Union[WriteRequestListMap, _Mapping]] = ..., return_consumed_capacity: _Optional[str] = ..., return_item_collection_metrics: _Optional[str] = ...) -> None: ...

class BatchWriteItemResponse(_message.Message):
    __slots__ = ("unprocessed_items", "item_collection_metrics", "consumed_capacity")
    UNPROCESSED_ITEMS_FIELD_NUMBER: _ClassVar[int]
    ITEM_COLLECTION_METRICS_FIELD_NUMBER: _ClassVar[int]
    CONSUMED_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    unprocessed_items: WriteRequestListMap
    item_collection_metrics: ItemCollectionMetricsListMap
    consumed_capacity: ConsumedCapacityList
    def __init__(self, unprocessed_items: _Optional[_Union[WriteRequestListMap, _Mapping]] = ..., item_collection_metrics: _Optional[_Union[ItemCollectionMetricsListMap, _Mapping]] = ..., consumed_capacity: _Optional[_Union[ConsumedCapacityList, _Mapping]] = ...) -> None: ...
