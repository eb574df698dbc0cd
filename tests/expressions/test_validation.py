"""Parse-time validation: every rule, with DynamoDB's exact message (table-driven)."""

from __future__ import annotations

import pytest

from tests.expressions.helpers import SCHEMA_RANGE, compile_one, error_of

C = "Invalid ConditionExpression: "
U = "Invalid UpdateExpression: "
P = "Invalid ProjectionExpression: "
F = "Invalid FilterExpression: "
K = "Invalid KeyConditionExpression: "
RP = "The expression has redundant parentheses;"

CONDITION_ERRORS = [
    # syntax
    ("a", C + 'Syntax error; token: "<EOF>", near: "a"'),
    ("a =", C + 'Syntax error; token: "<EOF>", near: "="'),
    ("= :n1", C + 'Syntax error; token: "=", near: "= :n1"'),
    ("a = :n1 b", C + 'Syntax error; token: "b", near: ":n1 b"'),
    ("a == :n1", C + 'Syntax error; token: "=", near: "== :n1"'),
    ("a ! :n1", C + 'Syntax error; token: "!", near: "a ! :n1"'),
    # a name cannot start with "_" (DynamoDB's lexer, seen against the real service)
    ("_x = :n1", C + 'Syntax error; token: "_", near: "_x"'),
    # ordering a request value that has no order is an error, not a false condition
    ("a < :l", C + "Incorrect operand type for operator or function; operator or function: <, operand type: L"),
    (":ss >= a", C + "Incorrect operand type for operator or function; operator or function: >=, operand type: SS"),
    ("a BETWEEN :l AND :l", C + "Incorrect operand type for operator or function; operator or function: BETWEEN, operand type: L"),
    ("a = :n1 AND", C + 'Syntax error; token: "<EOF>", near: "AND"'),
    ("a = :n1 OR OR b = :n1", C + 'Syntax error; token: "OR", near: "OR OR b"'),
    ("(a = :n1", C + 'Syntax error; token: "<EOF>", near: ":n1"'),
    ("a = :n1)", C + 'Syntax error; token: ")", near: ":n1)"'),
    ("a BETWEEN :n1 :n2", C + 'Syntax error; token: ":n2", near: ":n1 :n2"'),
    ("a IN :n1", C + 'Syntax error; token: ":n1", near: "IN :n1"'),
    ("a IN ()", C + 'Syntax error; token: ")", near: "()"'),
    ("a[x] = :n1", C + 'Syntax error; token: "x", near: "[x]"'),
    ("a[-1] = :n1", C + 'Syntax error; token: "-", near: "[-1"'),
    ("a. = :n1", C + 'Syntax error; token: "=", near: ". = :n1"'),
    ("a.1 = :n1", C + 'Syntax error; token: "1", near: ".1 ="'),
    ("AND = :n1", C + 'Syntax error; token: "AND", near: "AND ="'),
    ("a = :n1 NOT", C + 'Syntax error; token: "NOT", near: ":n1 NOT"'),
    ('"a" = :n1', C + 'Syntax error; token: """, near: ""a"'),
    ("a <=> :n1", C + 'Syntax error; token: ">", near: "<=> :n1"'),
    ("attribute_exists(a", C + 'Syntax error; token: "<EOF>", near: "a"'),
    ("size(a)", C + "The function is not allowed to be used this way in an expression; function: size"),
    ("NOT size(a)", C + "The function is not allowed to be used this way in an expression; function: size"),
    # redundant parentheses
    ("((a = :n1))", C + RP),
    ("((a)) = :n1", C + RP),
    ("(((a = :n1)) AND b = :n1)", C + RP),
    ("(a = :n1) AND ((b = :n1))", C + RP),
    # reserved words
    ("key = :n1", C + "Attribute name is a reserved keyword; reserved keyword: key"),
    ("a.Name = :n1", C + "Attribute name is a reserved keyword; reserved keyword: Name"),
    ("attribute_exists(status)", C + "Attribute name is a reserved keyword; reserved keyword: status"),
    ("a = :n1 AND count > :n1", C + "Attribute name is a reserved keyword; reserved keyword: count"),
    # undefined placeholders
    ("#zz = :n1", C + "An expression attribute name used in the document path is not defined; attribute name: #zz"),
    ("a = :zz", C + "An expression attribute value used in expression is not defined; attribute value: :zz"),
    ("a.#zz = :n1", C + "An expression attribute name used in the document path is not defined; attribute name: #zz"),
    ("# = :n1", C + "An expression attribute name used in the document path is not defined; attribute name: #"),
    ("a = :", C + "An expression attribute value used in expression is not defined; attribute value: :"),
    # precedence of errors: reserved before undefined; parens before everything
    ("key = :zz", C + "Attribute name is a reserved keyword; reserved keyword: key"),
    ("((key = :zz))", C + RP),
    ("foo(key)", C + "Invalid function name; function: foo"),
    # functions
    ("foo(a)", C + "Invalid function name; function: foo"),
    ("if_not_exists(a, :n1) = :n1", C + "The function is not allowed in a condition expression; function: if_not_exists"),
    ("list_append(a, :l) = :l", C + "The function is not allowed in a condition expression; function: list_append"),
    ("attribute_exists(a, b)", C + "Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2"),
    ("attribute_not_exists(a, b)", C + "Incorrect number of operands for operator or function; operator or function: attribute_not_exists, number of operands: 2"),
    ("begins_with(a)", C + "Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1"),
    ("contains(a, b, c)", C + "Incorrect number of operands for operator or function; operator or function: contains, number of operands: 3"),
    ("attribute_type(a)", C + "Incorrect number of operands for operator or function; operator or function: attribute_type, number of operands: 1"),
    ("size(a, b) = :n1", C + "Incorrect number of operands for operator or function; operator or function: size, number of operands: 2"),
    ("attribute_exists(:n1)", C + "Operator or function requires a document path; operator or function: attribute_exists"),
    ("attribute_not_exists(:s)", C + "Operator or function requires a document path; operator or function: attribute_not_exists"),
    ("begins_with(a, :n1)", C + "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"),
    ("begins_with(a, :ss)", C + "Incorrect operand type for operator or function; operator or function: begins_with, operand type: SS"),
    ("begins_with(:m, a)", C + "Incorrect operand type for operator or function; operator or function: begins_with, operand type: M"),
    ("attribute_type(a, :n1)", C + "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N"),
    ("attribute_type(a, b)", C + "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}"),
    ("attribute_type(a, :tX)", C + "Invalid attribute type name found; type: X, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"),
    ("attribute_type(a, :s)", C + "Invalid attribute type name found; type: abc, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"),
    ("size(:n1) = :n1", C + "Incorrect operand type for operator or function; operator or function: size, operand type: N"),
    ("size(:t) = :n1", C + "Incorrect operand type for operator or function; operator or function: size, operand type: BOOL"),
    ("size(:null) = :n1", C + "Incorrect operand type for operator or function; operator or function: size, operand type: NULL"),
    ("attribute_exists(a) = :t", C + "The function is not allowed to be used this way in an expression; function: attribute_exists"),
    ("a = contains(b, :s)", C + "The function is not allowed to be used this way in an expression; function: contains"),
    ("a IN (:n1, begins_with(b, :s))", C + "The function is not allowed to be used this way in an expression; function: begins_with"),
    ("contains(attribute_exists(a), :s)", C + "The function is not allowed to be used this way in an expression; function: attribute_exists"),
    ("a BETWEEN attribute_exists(b) AND :n2", C + "The function is not allowed to be used this way in an expression; function: attribute_exists"),
    # distinct operands
    ("a = a", C + "The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]"),
    ("a.b[1] <> a.b[1]", C + "The first operand must be distinct from the remaining operands for this operator or function; operator: <>, first operand: [a, b, [1]]"),
    ("contains(a, a)", C + "The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [a]"),
    ("begins_with(#a, a)", C + "The first operand must be distinct from the remaining operands for this operator or function; operator: begins_with, first operand: [a]"),
    # BETWEEN literal bounds
    ("a BETWEEN :n10 AND :n1", C + "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:10}, upper bound operand: AttributeValue: {N:1}"),
    ("a BETWEEN :sz AND :s", C + "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {S:z}, upper bound operand: AttributeValue: {S:abc}"),
    ("a BETWEEN :n1 AND :s", C + "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:abc}"),
    ("a BETWEEN :b AND :b2", C + "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {B:AQID}, upper bound operand: AttributeValue: {B:AQ==}"),
    # IN limit
    ("a IN (" + ", ".join([":n1"] * 101) + ")", C + "The IN operator is provided with too many operands; number of operands: 101"),
    # path depth and index range
    ("a" + ".b" * 32 + " = :n1", C + "The document path has too many nesting levels; nesting levels: 33"),
    ("a" + "[0]" * 32 + " = :n1", C + "The document path has too many nesting levels; nesting levels: 33"),
    ("a[99999999999] = :n1", C + "List index is not within the allowable range; index: 99999999999"),
    # operators limit
    (" AND ".join(["a = :n1"] * 151), C + "The expression contains too many operators; operator count: 301"),
    ("NOT " * 301 + "a = :n1", C + "The expression contains too many operators; operator count: 301"),
    # empty / size
    ("", C + "The expression can not be empty;"),
    ("a = :n1 " + " " * 4096, C + "Expression size has exceeded the maximum allowed size; expression size: 4104"),
]


@pytest.mark.parametrize(("expr", "message"), CONDITION_ERRORS)
def test_condition_errors(expr: str, message: str) -> None:
    assert error_of(compile_one, "condition", expr) == message


@pytest.mark.parametrize(("expr", "message"), CONDITION_ERRORS[:40])
def test_filter_uses_its_own_label(expr: str, message: str) -> None:
    assert error_of(compile_one, "filter", expr) == message.replace(C, F, 1)


CONDITION_OK = [
    "a = :n1", "a <> :n1", "a < :n1", "a <= :n1", "a > :n1", "a >= :n1", ":n1 = a", "a = b",
    "a BETWEEN :n1 AND :n10", "a BETWEEN b AND c", "a IN (:n1)", "a IN (:n1, :n2, b)",
    "attribute_exists(a)", "attribute_not_exists(a.b[2])", "attribute_type(a, :tS)",
    "begins_with(a, :s)", "begins_with(a, :b)", "contains(a, :s)", "contains(a, :n1)",
    "size(a) > :n1", "size(a.b) BETWEEN :n1 AND :n2", ":n1 < size(a)", "size(a) IN (:n1, :n2)",
    "NOT a = :n1", "NOT NOT a = :n1", "NOT (a = :n1 OR b = :n1)", "a = :n1 AND b = :n1 OR c = :n1",
    "(a = :n1)", "(a) = :n1", "(a = :n1) AND (b = :n1)", "((a = :n1) AND b = :n1)",
    "#k = :n1", "#a.#n = :s", "#d = :n1", "a.b.c[0][1].d = :n1", "a [ 1 ] . b = :n1",
    "a=:n1 and b=:n1 or not c=:n1", "A_b9 = :n1", "a IN (" + ", ".join([":n1"] * 100) + ")",
    "a" + ".b" * 31 + " = :n1", " AND ".join(["a = :n1"] * 150), "a = :n1 " + " " * 4087,
    "a BETWEEN :n1 AND :n1", "size(a) = size(b)", "contains(a, b)",
]


@pytest.mark.parametrize("expr", CONDITION_OK)
def test_condition_accepted(expr: str) -> None:
    assert compile_one("condition", expr).condition is not None


UPDATE_ERRORS = [
    ("", U + "The expression can not be empty;"),
    ("   ", U + 'Syntax error; token: "<EOF>", near: ""'),
    ("SET", U + 'Syntax error; token: "<EOF>", near: "SET"'),
    ("SET a", U + 'Syntax error; token: "<EOF>", near: "a"'),
    ("SET a =", U + 'Syntax error; token: "<EOF>", near: "="'),
    ("SET a = :n1 +", U + 'Syntax error; token: "<EOF>", near: "+"'),
    ("SET a = :n1,", U + 'Syntax error; token: "<EOF>", near: ","'),
    ("a = :n1", U + 'Syntax error; token: "a", near: "a ="'),
    ("INVALID SYNTAX HERE", U + 'Syntax error; token: "INVALID", near: "INVALID SYNTAX"'),
    ("SET book-price = :n1", U + 'Syntax error; token: "-", near: "book-price"'),
    ("ADD a", U + 'Syntax error; token: "<EOF>", near: "a"'),
    ("ADD a b", U + 'Syntax error; token: "b", near: "a b"'),
    ("DELETE a :ss :ss", U + 'Syntax error; token: ":ss", near: ":ss :ss"'),
    ("SET a = :n1 + :n1 + :n1", U + 'Syntax error; token: "+", near: ":n1 + :n1"'),
    ("SET a = :n1 * :n1", U + 'Syntax error; token: "*", near: ":n1 * :n1"'),
    ("SET a = b c", U + 'Syntax error; token: "c", near: "b c"'),
    ("REMOVE a = :n1", U + 'Syntax error; token: "=", near: "a = :n1"'),
    ("SET a = :n1 REMOVE", U + 'Syntax error; token: "<EOF>", near: "REMOVE"'),
    ("SET SET = :n1", U + 'Syntax error; token: "SET", near: "SET SET ="'),
    # sections
    ("SET a = :n1 SET b = :n1", U + 'The "SET" section can only be used once in an update expression;'),
    ("REMOVE a REMOVE b", U + 'The "REMOVE" section can only be used once in an update expression;'),
    ("ADD x :n1 SET a = :s ADD y :n1", U + 'The "ADD" section can only be used once in an update expression;'),
    ("DELETE a :ss delete b :ss", U + 'The "DELETE" section can only be used once in an update expression;'),
    # reserved, functions, undefined
    ("SET key = :n1", U + "Attribute name is a reserved keyword; reserved keyword: key"),
    ("REMOVE a.size", U + "Attribute name is a reserved keyword; reserved keyword: size"),
    ("SET a = foo(b)", U + "Invalid function name; function: foo"),
    ("SET a = attribute_exists(b)", U + "The function is not allowed in an update expression; function: attribute_exists"),
    ("SET a = size(b)", U + "The function is not allowed in an update expression; function: size"),
    ("SET #zz = :n1", U + "An expression attribute name used in the document path is not defined; attribute name: #zz"),
    ("SET a = :zz", U + "An expression attribute value used in expression is not defined; attribute value: :zz"),
    ("SET #zz = :zz", U + "An expression attribute name used in the document path is not defined; attribute name: #zz"),
    ("SET a = :zz, key = :n1", U + "Attribute name is a reserved keyword; reserved keyword: key"),
    ("SET a = :n1 SET b = :zz", U + 'The "SET" section can only be used once in an update expression;'),
    # overlap / conflict
    ("SET a = :n1, a = :n2", U + "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"),
    ("SET a.b = :n1 REMOVE a", U + "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a]"),
    ("REMOVE a SET a.b = :n1", U + "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"),
    ("SET l[0] = :n1 REMOVE l[0]", U + "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [l, [0]], path two: [l, [0]]"),
    ("SET a.b = :n1 ADD a.b.c :n1", U + "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, b, c]"),
    ("ADD a :n1 DELETE a :ss", U + "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"),
    ("SET a.b = :n1, a[1] = :n2", U + "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [1]]"),
    ("REMOVE a.#c SET a[1] = :n1", U + "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, c], path two: [a, [1]]"),
    ("SET #c[3].#d = :n1, #c.#d[3] = :n1", U + "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [c, [3], [3]], path two: [c, [3], [3]]"),
    ("SET a[1] = :n1, a.b = :n1, a = :n1", U + "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, [1]], path two: [a]"),
    # operand types
    ("ADD a :s", U + "Incorrect operand type for operator or function; operator: ADD, operand type: STRING"),
    ("ADD a :b", U + "Incorrect operand type for operator or function; operator: ADD, operand type: BINARY"),
    ("ADD a :l", U + "Incorrect operand type for operator or function; operator: ADD, operand type: LIST"),
    ("ADD a :m", U + "Incorrect operand type for operator or function; operator: ADD, operand type: MAP"),
    ("ADD a :t", U + "Incorrect operand type for operator or function; operator: ADD, operand type: BOOLEAN"),
    ("ADD a :null", U + "Incorrect operand type for operator or function; operator: ADD, operand type: NULL"),
    ("DELETE a :n1", U + "Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER"),
    ("DELETE a :s", U + "Incorrect operand type for operator or function; operator: DELETE, operand type: STRING"),
    ("DELETE a :l", U + "Incorrect operand type for operator or function; operator: DELETE, operand type: LIST"),
    ("SET a = :s + :n1", U + "Incorrect operand type for operator or function; operator or function: +, operand type: S"),
    ("SET a = b - :l", U + "Incorrect operand type for operator or function; operator or function: -, operand type: L"),
    ("SET a = list_append(:s, b)", U + "Incorrect operand type for operator or function; operator or function: list_append, operand type: S"),
    ("SET a = list_append(b, :n1)", U + "Incorrect operand type for operator or function; operator or function: list_append, operand type: N"),
    ("SET a = list_append(b)", U + "Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1"),
    ("SET a = list_append(list_append(:l, :l), :l)", U + "The function is not allowed to be used this way in an expression; function: list_append"),
    ("SET a = list_append(:l, list_append(b, :l))", U + "The function is not allowed to be used this way in an expression; function: list_append"),
    ("SET _a = :n1", U + 'Syntax error; token: "_", near: "SET _a"'),
    ("SET a = if_not_exists(b)", U + "Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 1"),
    ("SET a = if_not_exists(:n1, b)", U + "Operator or function requires a document path; operator or function: if_not_exists"),
    # limits
    ("SET a" + ".b" * 32 + " = :n1", U + "The document path has too many nesting levels; nesting levels: 33"),
    ("SET " + ", ".join(f"a{i} = :n1" for i in range(301)), U + "The expression contains too many operators; operator count: 301"),
]


@pytest.mark.parametrize(("expr", "message"), UPDATE_ERRORS)
def test_update_errors(expr: str, message: str) -> None:
    assert error_of(compile_one, "update", expr) == message


UPDATE_OK = [
    "SET a = :n1", "set a = :n1", "SET a = b", "SET a = b + :n1", "SET a = :n1 - b", "SET a = (b + :n1)",
    "SET a = (b) + (:n1)", "SET a = if_not_exists(a, :n0) + :n1", "SET a = list_append(a, :l)",
    "SET a = list_append(if_not_exists(a, :empty), :l)", "SET a = list_append(:l, :l2)",
    "SET a.b[2].c = :n1", "SET #k = :n1, #n = :s", "REMOVE a, b.c, d[1]", "ADD a :n1, b :ss",
    "DELETE a :ss, b :ns", "SET a = :n1 REMOVE b ADD c :n1 DELETE d :ss",
    "DELETE d :ss ADD c :n1 REMOVE b SET a = :n1", "SET a[0] = :n1, a[1] = :n2", "SET a.b = :n1, a.c = :n1",
    "REMOVE l[0], l[1], l[5]", "SET " + ", ".join(f"a{i} = :n1" for i in range(150)),
    "SET a = if_not_exists(b, if_not_exists(c, :n1))",
]


@pytest.mark.parametrize("expr", UPDATE_OK)
def test_update_accepted(expr: str) -> None:
    assert compile_one("update", expr).update is not None


PROJECTION_ERRORS = [
    ("", P + "The expression can not be empty;"),
    ("a,", P + 'Syntax error; token: "<EOF>", near: ","'),
    ("a b", P + 'Syntax error; token: "b", near: "a b"'),
    ("a = b", P + 'Syntax error; token: "=", near: "a = b"'),
    ("a, , b", P + 'Syntax error; token: ",", near: ", , b"'),
    ("size(a)", P + 'Syntax error; token: "(", near: "size(a"'),
    ("key", P + "Attribute name is a reserved keyword; reserved keyword: key"),
    ("a, #zz", P + "An expression attribute name used in the document path is not defined; attribute name: #zz"),
    ("a, a", P + "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"),
    ("a.b, a", P + "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a]"),
    ("a[0], a[0].b", P + "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, [0]], path two: [a, [0], b]"),
    ("a.b, a[0]", P + "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [0]]"),
    ("a" + ".b" * 32, P + "The document path has too many nesting levels; nesting levels: 33"),
]


@pytest.mark.parametrize(("expr", "message"), PROJECTION_ERRORS)
def test_projection_errors(expr: str, message: str) -> None:
    assert error_of(compile_one, "projection", expr) == message


KEY_ERRORS = [
    ("pk = :s OR sk = :n1", "Invalid operator used in KeyConditionExpression: OR"),
    ("NOT pk = :s", "Invalid operator used in KeyConditionExpression: NOT"),
    ("pk IN (:s)", "Invalid operator used in KeyConditionExpression: IN"),
    ("pk <> :s", "Invalid operator used in KeyConditionExpression: <>"),
    ("attribute_exists(pk)", "Invalid operator used in KeyConditionExpression: attribute_exists"),
    ("attribute_not_exists(pk)", "Invalid operator used in KeyConditionExpression: attribute_not_exists"),
    ("contains(pk, :s)", "Invalid operator used in KeyConditionExpression: contains"),
    ("attribute_type(pk, :tS)", "Invalid operator used in KeyConditionExpression: attribute_type"),
    ("pk = :s AND size(sk) > :n1", "KeyConditionExpressions cannot contain nested operations"),
    ("pk = :s AND sk.x = :n1", "KeyConditionExpressions cannot have conditions on nested attributes"),
    ("pk = sk", "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"),
    (":s = :s2", "Invalid condition in KeyConditionExpression: No key attribute specified"),
    ("pk = :s AND pk = :s2", "KeyConditionExpressions must only contain one condition per key"),
    (":n1 BETWEEN sk AND :n2", "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand"),
    ("sk = :n1", "Query condition missed key schema element: pk"),
    ("pk = :s AND x = :n1", "Query condition missed key schema element: sk"),
    ("pk = :s AND sk = :n1 AND x = :n1", "Query key condition not supported"),
    ("pk > :s", "Query key condition not supported"),
    ("pk = :n1", "One or more parameter values were invalid: Condition parameter type does not match schema type"),
    ("pk = :s AND sk > :s", "One or more parameter values were invalid: Condition parameter type does not match schema type"),
    ("pk = :s AND sk BETWEEN :n1 AND :n10 AND sk = :n1", "KeyConditionExpressions must only contain one condition per key"),
    ("pk = :s AND begins_with(sk, :s)", "One or more parameter values were invalid: Condition parameter type does not match schema type"),
    ("pk = :s AND begins_with(sk, :n1)", K + "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"),
    ("key = :s", K + "Attribute name is a reserved keyword; reserved keyword: key"),
    ("pk = :s AND sk BETWEEN :n10 AND :n1", K + "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:10}, upper bound operand: AttributeValue: {N:1}"),
]


@pytest.mark.parametrize(("expr", "message"), KEY_ERRORS)
def test_key_condition_errors(expr: str, message: str) -> None:
    assert error_of(compile_one, "key_condition", expr, SCHEMA_RANGE) == message
