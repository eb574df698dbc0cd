"""Request-level rules of compile_expressions: placeholder maps, unused entries across all
expressions, the order expressions are checked in, and the cache."""

from __future__ import annotations

import pytest

from kuradb.expressions import ExpressionCache, compile_expressions
from tests.expressions.helpers import SCHEMA_RANGE, error_of

N1 = {"N": "1"}

CASES = [
    (dict(condition="a = :v", values={":v": N1}, names={}), "ExpressionAttributeNames must not be empty"),
    (dict(condition="a = b", values={}), "ExpressionAttributeValues must not be empty"),
    (dict(condition="#a = b", names={"a": "a"}), 'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"'),
    (dict(condition="#a = b", names={"#a-b": "a"}), 'ExpressionAttributeNames contains invalid key: Syntax error; key: "#a-b"'),
    (dict(condition="#a = b", names={"#": "a"}), 'ExpressionAttributeNames contains invalid key: Syntax error; key: "#"'),
    (dict(condition="a = :v", values={"v": N1}), 'ExpressionAttributeValues contains invalid key: Syntax error; key: "v"'),
    (dict(condition="a = :v", values={":v!": N1}), 'ExpressionAttributeValues contains invalid key: Syntax error; key: ":v!"'),
    (dict(names={"#a": "a"}), "ExpressionAttributeNames can only be specified when using expressions"),
    (dict(values={":v": N1}), "ExpressionAttributeValues can only be specified when using expressions"),
    (dict(projection="a", values={":v": N1}), "ExpressionAttributeValues can only be specified when using expressions"),
    (dict(condition="a = :v", values={":v": N1, ":w": N1}),
     "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}"),
    (dict(condition="a = :v", values={":x": N1, ":v": N1, ":w": N1}),
     "Value provided in ExpressionAttributeValues unused in expressions: keys: {:x, :w}"),
    (dict(condition="#a = :v", names={"#a": "a", "#b": "b"}, values={":v": N1}),
     "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}"),
    (dict(condition="a = :v", names={"#b": "b"}, values={":v": N1, ":w": N1}),
     "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}"),
    # the update is checked before the condition
    (dict(update="SET key = :v", condition="key = :v", values={":v": N1}),
     "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: key"),
    (dict(condition="a =", filter="b =", projection="c ="), 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "="'),
    (dict(filter="b =", projection="c ="), 'Invalid FilterExpression: Syntax error; token: "<EOF>", near: "="'),
    (dict(update="SET a = :zz", values={":v": N1}),
     "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :zz"),
    (dict(condition="a = :v", values={":v": N1}, names={"#" + "n" * 255: "x"}),
     'ExpressionAttributeNames contains invalid key: The expression attribute map contains a key that is too long; key: "#' + "n" * 255 + '"'),
    # a Query filter may not read key attributes (hash key reported first)
    (dict(key_condition="pk = :p", filter="sk > :n AND a = :n", values={":p": {"S": "a"}, ":n": N1}, key_schema=SCHEMA_RANGE),
     "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk"),
    (dict(key_condition="pk = :p", filter="size(m.sk) > :n OR begins_with(pk, :p)", values={":p": {"S": "a"}, ":n": N1},
          key_schema=SCHEMA_RANGE),
     "Filter Expression can only contain non-primary key attributes: Primary key attribute: pk"),
    (dict(key_schema=SCHEMA_RANGE, legacy={
        "KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]}},
        "QueryFilter": {"a": {"ComparisonOperator": "EQ", "AttributeValueList": [N1]},
                        "sk": {"ComparisonOperator": "EQ", "AttributeValueList": [N1]}}}),
     "QueryFilter can only contain non-primary key attributes: Primary key attribute: sk"),
    # a name reached through a placeholder or AttributesToGet obeys the attribute-name limit
    (dict(projection="#n", names={"#n": "a" * 65536}),
     "One or more parameter values were invalid: Attribute name exceeds the maximum allowed length of 65535 bytes"),
    (dict(legacy={"AttributesToGet": ["a" * 65536]}),
     "One or more parameter values were invalid: Attribute name exceeds the maximum allowed length of 65535 bytes"),
    # values are validated like item values, the reason wrapped with the offending key
    (dict(update="SET a = :v", values={":v": {"N": "NaN"}}),
     "ExpressionAttributeValues contains invalid value: The parameter cannot be converted to a numeric value: NaN for key :v"),
    (dict(update="SET a = :v", values={":v": {"N": "1e126"}}),
     "ExpressionAttributeValues contains invalid value: Number overflow. Attempting to store a number with magnitude "
     "larger than supported range for key :v"),
    (dict(condition="a < :v", values={":v": {"N": "1e-131"}}),
     "ExpressionAttributeValues contains invalid value: Number underflow. Attempting to store a number with magnitude "
     "smaller than supported range for key :v"),
    (dict(update="SET a = :v", values={":v": {"N": "3.14159265358979323846264338327950288419"}}),
     "ExpressionAttributeValues contains invalid value: Attempting to store more than 38 significant digits in a Number "
     "for key :v"),
    (dict(update="ADD a :v", values={":v": {"SS": []}}),
     "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: "
     "An string set  may not be empty for key :v"),
    (dict(filter="a = :v", values={":v": {"NULL": False}}),
     "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: "
     "Null attribute value types must have the value of true for key :v"),
    (dict(condition="a = :v", values={":v": {}}),
     "ExpressionAttributeValues contains invalid value: Supplied AttributeValue is empty, must contain exactly one of "
     "the supported datatypes for key :v"),
]


def test_scan_filter_and_nested_key_names_are_fine() -> None:
    """Only a Query (a key condition) forbids key attributes in its filter, and only at the top."""
    compile_expressions(filter="pk = :p", values={":p": {"S": "a"}}, key_schema=SCHEMA_RANGE)
    compile_expressions(key_condition="pk = :p", filter="m.pk = :p", values={":p": {"S": "a"}}, key_schema=SCHEMA_RANGE)


def test_values_reach_expressions_normalized() -> None:
    """A number value is stored in canonical form, however the request spelled it."""
    c = compile_expressions(update="SET a = :v", values={":v": {"N": "01.50E1"}})
    assert c.apply_update(None).item["a"] == {"N": "15"}


@pytest.mark.parametrize(("kwargs", "message"), CASES)
def test_request_level_errors(kwargs, message) -> None:
    assert error_of(compile_expressions, **kwargs) == message


def test_names_and_values_are_shared_across_expressions() -> None:
    c = compile_expressions(
        update="SET #a = :v", condition="#b = :w", projection="#c",
        names={"#a": "a", "#b": "b", "#c": "c"}, values={":v": N1, ":w": N1}, key_schema=SCHEMA_RANGE,
    )
    assert c.update is not None and c.condition is not None and c.projection is not None


def test_compile_is_pure_and_reusable() -> None:
    kwargs = dict(condition="a > :v", values={":v": N1})
    first, second = compile_expressions(**kwargs), compile_expressions(**kwargs)
    assert first.condition == second.condition


def test_cache_returns_the_same_compiled_object_and_evicts() -> None:
    cache = ExpressionCache(maxsize=2)
    a1 = cache.compile(condition="a > :v", values={":v": N1})
    a2 = cache.compile(condition="a > :v", values={":v": N1})
    assert a1 is a2 and cache.hits == 1
    b = cache.compile(condition="a > :v", values={":v": {"N": "2"}})
    assert b is not a1
    cache.compile(condition="a < :v", values={":v": N1})
    assert cache.compile(condition="a > :v", values={":v": N1}) is not a1  # evicted
    with pytest.raises(Exception):
        cache.compile(condition="a >")


def test_cache_distinguishes_types_and_schemas() -> None:
    cache = ExpressionCache()
    s = cache.compile(condition="a = :v", values={":v": {"S": "1"}})
    n = cache.compile(condition="a = :v", values={":v": {"N": "1"}})
    assert s is not n
    k1 = cache.compile(key_condition="pk = :v", values={":v": {"S": "x"}}, key_schema=SCHEMA_RANGE)
    assert k1.key_condition is not None


def test_key_condition_needs_a_schema() -> None:
    with pytest.raises(ValueError):
        compile_expressions(key_condition="pk = :v", values={":v": N1})


def test_unknown_legacy_parameter_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        compile_expressions(legacy={"Nope": 1})
