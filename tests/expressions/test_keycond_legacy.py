"""Key conditions (expression and KeyConditions) and the legacy parameters."""

from __future__ import annotations

import pytest

from kuradb.expressions import compile_expressions
from tests.expressions.helpers import SCHEMA_HASH, SCHEMA_RANGE, SCHEMA_RANGE_S, compile_one, error_of

S = {"S": "abc"}
N1, N2, N5, N10 = {"N": "1"}, {"N": "2"}, {"N": "5"}, {"N": "10"}

KEYS = [
    ("pk = :s", SCHEMA_HASH, None),
    ("pk = :s", SCHEMA_RANGE, None),
    (":s = pk", SCHEMA_RANGE, None),
    ("#pk = :s", SCHEMA_RANGE, None),
    ("pk = :s AND sk = :n1", SCHEMA_RANGE, ("EQ", (N1,))),
    ("pk = :s AND sk < :n1", SCHEMA_RANGE, ("LT", (N1,))),
    ("pk = :s AND sk <= :n1", SCHEMA_RANGE, ("LE", (N1,))),
    ("pk = :s AND sk > :n1", SCHEMA_RANGE, ("GT", (N1,))),
    ("pk = :s AND sk >= :n1", SCHEMA_RANGE, ("GE", (N1,))),
    ("pk = :s AND :n1 < sk", SCHEMA_RANGE, ("GT", (N1,))),
    ("pk = :s AND :n1 >= #sk", SCHEMA_RANGE, ("LE", (N1,))),
    ("sk BETWEEN :n1 AND :n10 AND pk = :s", SCHEMA_RANGE, ("BETWEEN", (N1, N10))),
    ("pk = :s AND begins_with(sk, :s2)", SCHEMA_RANGE_S, ("BEGINS_WITH", ({"S": "ab"},))),
    ("(pk = :s) AND (sk = :n1)", SCHEMA_RANGE, ("EQ", (N1,))),
]


@pytest.mark.parametrize(("expr", "schema", "sort"), KEYS)
def test_key_condition(expr, schema, sort) -> None:
    kc = compile_one("key_condition", expr, schema).key_condition
    assert kc is not None and kc.hash_name == "pk" and kc.hash_value == S
    if sort is None:
        assert kc.sort is None and kc.range_name is None
    else:
        assert kc.range_name == "sk" and (kc.sort.op, kc.sort.values) == sort


def test_key_condition_with_filter_and_projection_share_the_unused_check() -> None:
    c = compile_expressions(key_condition="pk = :p", filter="#a > :v", projection="#b",
                            names={"#a": "a", "#b": "b"}, values={":p": S, ":v": N1}, key_schema=SCHEMA_RANGE)
    assert c.key_condition is not None and c.filter is not None and c.projection is not None


LEGACY_KEYS = [
    ({"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S]}}, None),
    ({"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S]},
      "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [N1, N5]}}, ("BETWEEN", (N1, N5))),
    ({"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S]},
      "sk": {"ComparisonOperator": "GE", "AttributeValueList": [N2]}}, ("GE", (N2,))),
]


@pytest.mark.parametrize(("conds", "sort"), LEGACY_KEYS)
def test_legacy_key_conditions(conds, sort) -> None:
    kc = compile_expressions(legacy={"KeyConditions": conds}, key_schema=SCHEMA_RANGE).key_condition
    assert kc is not None and kc.hash_value == S
    assert (None if kc.sort is None else (kc.sort.op, kc.sort.values)) == sort


LEGACY_KEY_ERRORS = [
    ({"sk": {"ComparisonOperator": "EQ", "AttributeValueList": [N1]}}, "Query condition missed key schema element: pk"),
    ({"pk": {"ComparisonOperator": "GT", "AttributeValueList": [S]}}, "Query key condition not supported"),
    ({"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S]},
      "sk": {"ComparisonOperator": "NE", "AttributeValueList": [N1]}}, "Query key condition not supported"),
    ({"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [N1]}},
     "One or more parameter values were invalid: Condition parameter type does not match schema type"),
    ({"pk": {"ComparisonOperator": "EQ", "AttributeValueList": []}},
     "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator"),
]


@pytest.mark.parametrize(("conds", "message"), LEGACY_KEY_ERRORS)
def test_legacy_key_condition_errors(conds, message) -> None:
    assert error_of(compile_expressions, legacy={"KeyConditions": conds}, key_schema=SCHEMA_RANGE) == message


ITEM = {"a": {"N": "5"}, "s": {"S": "abc"}, "ss": {"SS": ["x", "y"]}, "l": {"L": [{"S": "abc"}]}}

EXPECTED = [
    ({"a": {"Value": N5}}, True),
    ({"a": {"Value": N1}}, False),
    ({"a": {"Exists": True, "Value": N5}}, True),
    ({"nope": {"Exists": False}}, True),
    ({"a": {"Exists": False}}, False),
    ({"a": {"ComparisonOperator": "EQ", "AttributeValueList": [N5]}}, True),
    ({"a": {"ComparisonOperator": "EQ", "Value": N5}}, True),
    ({"a": {"ComparisonOperator": "NE", "AttributeValueList": [N5]}}, False),
    ({"nope": {"ComparisonOperator": "NE", "AttributeValueList": [N5]}}, True),
    ({"a": {"ComparisonOperator": "LT", "AttributeValueList": [N10]}}, True),
    ({"a": {"ComparisonOperator": "LE", "AttributeValueList": [N5]}}, True),
    ({"a": {"ComparisonOperator": "GT", "AttributeValueList": [N5]}}, False),
    ({"a": {"ComparisonOperator": "GE", "AttributeValueList": [N5]}}, True),
    ({"a": {"ComparisonOperator": "NOT_NULL"}}, True),
    ({"a": {"ComparisonOperator": "NULL"}}, False),
    ({"nope": {"ComparisonOperator": "NULL"}}, True),
    ({"s": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"S": "b"}]}}, True),
    ({"ss": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"S": "x"}]}}, True),
    ({"ss": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "z"}]}}, True),
    ({"nope": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "z"}]}}, False),
    ({"s": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "ab"}]}}, True),
    ({"a": {"ComparisonOperator": "IN", "AttributeValueList": [N1, N5]}}, True),
    ({"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [N1, N10]}}, True),
    ({"a": {"Value": N5}, "s": {"Value": {"S": "zzz"}}}, False),
]


@pytest.mark.parametrize(("expected", "result"), EXPECTED)
def test_expected(expected, result) -> None:
    assert compile_expressions(legacy={"Expected": expected}).condition_holds(ITEM) is result


def test_conditional_operator_or() -> None:
    c = compile_expressions(legacy={"Expected": {"a": {"Value": N5}, "s": {"Value": {"S": "zzz"}}},
                                    "ConditionalOperator": "OR"})
    assert c.condition_holds(ITEM) is True


INV = "One or more parameter values were invalid: "
EXPECTED_ERRORS = [
    ({"a": {}}, INV + "Value must be provided when Exists is null for Attribute: a"),
    ({"a": {"Exists": True}}, INV + "Value must be provided when Exists is true for Attribute: a"),
    ({"a": {"Exists": False, "Value": N1}}, INV + "Value cannot be used when Exists is false for Attribute: a"),
    ({"a": {"AttributeValueList": [N1]}}, INV + "AttributeValueList can only be used with a ComparisonOperator for Attribute: a"),
    ({"a": {"ComparisonOperator": "EQ", "Value": N1, "AttributeValueList": [N1]}},
     INV + "Value and AttributeValueList cannot be used together for Attribute: a"),
    ({"a": {"Value": N1, "AttributeValueList": [N1]}}, INV + "Value and AttributeValueList cannot be used together for Attribute: a"),
    ({"a": {"ComparisonOperator": "EQ", "Exists": True, "Value": N1}}, INV + "Exists and ComparisonOperator cannot be used together for Attribute: a"),
    ({"a": {"ComparisonOperator": "EQ"}}, INV + "Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a"),
    ({"a": {"ComparisonOperator": "BETWEEN", "Value": N1}}, INV + "Invalid number of argument(s) for the BETWEEN ComparisonOperator"),
    ({"a": {"ComparisonOperator": "NULL", "Value": N1}}, INV + "Invalid number of argument(s) for the NULL ComparisonOperator"),
    ({"a": {"ComparisonOperator": "EQ", "AttributeValueList": [N1, N2]}}, INV + "Invalid number of argument(s) for the EQ ComparisonOperator"),
    ({"a": {"ComparisonOperator": "LT", "AttributeValueList": [{"BOOL": True}]}}, INV + "ComparisonOperator LT is not valid for BOOL AttributeValue type"),
    ({"a": {"ComparisonOperator": "GE", "AttributeValueList": [{"SS": ["a"]}]}}, INV + "ComparisonOperator GE is not valid for SS AttributeValue type"),
    ({"a": {"ComparisonOperator": "IN", "AttributeValueList": [{"M": {}}]}}, INV + "ComparisonOperator IN is not valid for M AttributeValue type"),
    ({"a": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [N1]}}, INV + "ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type"),
    ({"a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"L": []}]}}, INV + "ComparisonOperator EQ is not valid for L AttributeValue type"),
    ({"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [N1, S]}}, INV + "AttributeValues inside AttributeValueList must be of same type"),
    ({"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [N10, N1]}},
     "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"),
    ({"a": {"ComparisonOperator": "LIKE", "AttributeValueList": [N1]}},
     "1 validation error detected: Value 'LIKE' at 'comparisonOperator' failed to satisfy constraint: Member must "
     "satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]"),
]


@pytest.mark.parametrize(("expected", "message"), EXPECTED_ERRORS)
def test_expected_errors(expected, message) -> None:
    assert error_of(compile_expressions, legacy={"Expected": expected}) == message


@pytest.mark.parametrize("param", ["QueryFilter", "ScanFilter"])
def test_query_and_scan_filters(param) -> None:
    c = compile_expressions(legacy={param: {"a": {"ComparisonOperator": "GT", "AttributeValueList": [N1]},
                                            "s": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "a"}]}}})
    assert c.filter_matches(ITEM) is True
    assert error_of(compile_expressions, legacy={param: {"a": {"ComparisonOperator": "CONTAINS"}}}) == (
        INV + "Invalid number of argument(s) for the CONTAINS ComparisonOperator")


def test_attributes_to_get() -> None:
    c = compile_expressions(legacy={"AttributesToGet": ["a", "nope", "s"]})
    assert c.project(ITEM) == {"a": N5, "s": ITEM["s"]}
    assert error_of(compile_expressions, legacy={"AttributesToGet": ["a", "a"]}) == (
        INV + "Duplicate value in attribute name: a")


ATTRIBUTE_UPDATES = [
    ({"a": {"Action": "PUT", "Value": N1}}, {**ITEM, "a": N1}),
    ({"a": {"Value": N1}}, {**ITEM, "a": N1}),
    ({"a": {"Action": "DELETE"}}, {k: v for k, v in ITEM.items() if k != "a"}),
    ({"ss": {"Action": "DELETE", "Value": {"SS": ["x"]}}}, {**ITEM, "ss": {"SS": ["y"]}}),
    ({"a": {"Action": "ADD", "Value": N2}}, {**ITEM, "a": {"N": "7"}}),
    ({"c": {"Action": "ADD", "Value": N2}}, {**ITEM, "c": N2}),
    ({"ss": {"Action": "ADD", "Value": {"SS": ["z"]}}}, {**ITEM, "ss": {"SS": ["x", "y", "z"]}}),
    ({"l": {"Action": "ADD", "Value": {"L": [N1]}}}, {**ITEM, "l": {"L": [{"S": "abc"}, N1]}}),
    ({"nl": {"Action": "ADD", "Value": {"L": [N1]}}}, {**ITEM, "nl": {"L": [N1]}}),
]


@pytest.mark.parametrize(("updates", "expected"), ATTRIBUTE_UPDATES)
def test_attribute_updates(updates, expected) -> None:
    assert compile_expressions(legacy={"AttributeUpdates": updates}).apply_update(ITEM).item == expected


ATTRIBUTE_UPDATE_ERRORS = [
    ({"a": {"Action": "PUT"}}, INV + "Only DELETE action is allowed when no attribute value is specified"),
    ({"a": {"Action": "ADD"}}, INV + "Only DELETE action is allowed when no attribute value is specified"),
    ({"a": {"Action": "DELETE", "Value": N1}}, INV + "DELETE action with value is not supported for the type N"),
    ({"a": {"Action": "DELETE", "Value": {"L": []}}}, INV + "DELETE action with value is not supported for the type L"),
    ({"a": {"Action": "ADD", "Value": S}}, INV + "ADD action is not supported for the type S"),
    ({"a": {"Action": "ADD", "Value": {"M": {}}}}, INV + "ADD action is not supported for the type M"),
    ({"pk": {"Action": "PUT", "Value": S}}, "Cannot update attribute pk. This attribute is part of the key"),
    # values are validated like an item's, with the plain message
    ({"a": {"Action": "PUT", "Value": {"SS": []}}}, INV + "An string set  may not be empty"),
    ({"a": {"Action": "DELETE", "Value": {"NS": []}}}, INV + "An number set  may not be empty"),
    ({"a": {"Action": "ADD", "Value": {"N": "NaN"}}}, "The parameter cannot be converted to a numeric value: NaN"),
    ({"a" * 65536: {"Action": "PUT", "Value": N1}}, INV + "Attribute name exceeds the maximum allowed length of 65535 bytes"),
]


TYPE_MISMATCH = [  # existing attribute vs ADD/DELETE value: the legacy API's own wording
    ({"ss": {"Action": "ADD", "Value": N1}}),
    ({"ss": {"Action": "ADD", "Value": {"L": [N1]}}}),
    ({"ss": {"Action": "ADD", "Value": {"NS": ["1"]}}}),
    ({"ss": {"Action": "DELETE", "Value": {"NS": ["1"]}}}),
    ({"a": {"Action": "ADD", "Value": {"L": [N1]}}}),
    ({"l": {"Action": "ADD", "Value": {"SS": ["x"]}}}),
]


@pytest.mark.parametrize("updates", TYPE_MISMATCH)
def test_attribute_updates_type_mismatch(updates) -> None:
    compiled = compile_expressions(legacy={"AttributeUpdates": updates})
    assert error_of(compiled.apply_update, ITEM) == "Type mismatch for attribute to update"


def test_legacy_values_are_normalized() -> None:
    compiled = compile_expressions(legacy={"AttributeUpdates": {"c": {"Action": "PUT", "Value": {"N": "1.50E1"}}}})
    assert compiled.apply_update({}).item == {"c": {"N": "15"}}


@pytest.mark.parametrize(("updates", "message"), ATTRIBUTE_UPDATE_ERRORS)
def test_attribute_update_errors(updates, message) -> None:
    assert error_of(compile_expressions, legacy={"AttributeUpdates": updates}, key_schema=SCHEMA_RANGE) == message


MIXING = [
    (dict(condition="attribute_exists(a)"), {"Expected": {"a": {"Exists": False}}},
     "Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"),
    (dict(update="REMOVE a"), {"AttributeUpdates": {"a": {"Action": "DELETE"}}},
     "Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}"),
    (dict(projection="a"), {"AttributesToGet": ["a"]},
     "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"),
    (dict(update="REMOVE a", condition="attribute_exists(a)"), {"Expected": {"a": {"Exists": False}}},
     "Non-expression parameters: {Expected} Expression parameters: {UpdateExpression, ConditionExpression}"),
    (dict(filter="attribute_exists(a)"), {"ScanFilter": {}, "ConditionalOperator": "AND"},
     "Non-expression parameters: {ScanFilter, ConditionalOperator} Expression parameters: {FilterExpression}"),
    (dict(key_condition="pk = :s"), {"KeyConditions": {}},
     "Non-expression parameters: {KeyConditions} Expression parameters: {KeyConditionExpression}"),
]


@pytest.mark.parametrize(("exprs", "legacy", "tail"), MIXING)
def test_mixing_legacy_and_expressions_is_rejected(exprs, legacy, tail) -> None:
    message = error_of(compile_expressions, **exprs, values={":s": S} if "key_condition" in exprs else None,
                       legacy=legacy, key_schema=SCHEMA_RANGE)
    assert message == "Can not use both expression and non-expression parameters in the same request: " + tail


def test_key_conditions_may_accompany_a_filter_expression() -> None:
    c = compile_expressions(filter="a > :v", values={":v": N1}, key_schema=SCHEMA_HASH,
                            legacy={"KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S]}}})
    assert c.key_condition is not None and c.filter is not None


def test_long_legacy_chains_evaluate_without_deep_recursion() -> None:
    expected = {f"x{i}": {"Exists": False} for i in range(5000)}
    c = compile_expressions(legacy={"Expected": expected})
    assert c.condition_holds(ITEM) is True
    assert c.condition_holds({**ITEM, "x4999": N1}) is False
    scan = {f"x{i}": {"ComparisonOperator": "NOT_NULL"} for i in range(5000)}
    c = compile_expressions(legacy={"ScanFilter": scan, "ConditionalOperator": "OR"})
    assert c.filter_matches({"x4999": N1}) is True
    assert c.filter_matches(ITEM) is False
