"""Recursive-descent parser for the five expression kinds, with DynamoDB's validation.

Grammar (precedence high to low: comparators, IN, BETWEEN, functions, parentheses, NOT, AND,
OR)::

    condition  := or
    or         := and ("OR" and)*
    and        := not ("AND" not)*
    not        := "NOT"* primary
    primary    := "(" or ")" | comparison
    comparison := operand (cmp operand | "BETWEEN" operand "AND" operand
                           | "IN" "(" operand ("," operand)* ")")?      -- bare only for functions
    operand    := "(" operand ")" | :value | ident "(" operand ("," operand)* ")" | path
    path       := (ident | #name) ("." (ident | #name) | "[" digits "]")*
    update     := (("SET" set ("," set)*) | ("REMOVE" path ("," path)*)
                   | ("ADD" path :value ("," ...)*) | ("DELETE" path :value ("," ...)*))+
    set        := path "=" setvalue ;  setvalue := setop (("+" | "-") setop)? | "(" setvalue ")"
    setop      := "(" setop ")" | :value | if_not_exists(path, setop) | list_append(setop, setop) | path
                  (a list_append directly inside a list_append parses, but is refused)
    projection := path ("," path)*

Validation rules and error precedence follow DynamoDB (as reproduced by dynalite and DynamoDB
Local): a syntax error is reported as soon as it is met; every other problem is *collected* by
category while parsing and the highest-priority category is raised at the end, so e.g. a
reserved word wins over an undefined placeholder, exactly as DynamoDB orders them.

Hard bounds keep hostile input cheap: the caller rejects expressions over 4 KB before lexing,
lexing is linear, NOT chains and AND/OR chains are loops (not recursion), parenthesis nesting is
capped at :data:`MAX_NESTING` levels, and the operator count is checked as it grows. The parser
is pure: it reads only its arguments and records which placeholders it used.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, NoReturn

from kuradb.errors import ValidationException
from kuradb.expressions import ast
from kuradb.expressions.ast import (
    AV,
    Arithmetic,
    Between,
    Compare,
    Condition,
    Function,
    IfNotExists,
    In,
    ListAppend,
    Literal,
    Path,
    PathElem,
    Size,
)
from kuradb.expressions.lexer import EOF, Token, tokenize
from kuradb.expressions.paths import find_path_clash
from kuradb.expressions.reserved import is_reserved
from kuradb.model.values import compare, type_of

MAX_EXPRESSION_BYTES = 4096
MAX_OPERATORS = 300
MAX_IN_OPERANDS = 100
MAX_PATH_LEVELS = 32
MAX_INDEX = 2**31 - 1
# DynamoDB has no documented nesting limit: a legal expression deeper than this needs more than
# MAX_OPERATORS operators or redundant parentheses anyway, except for NOT-only towers. The cap
# keeps recursion far below Python's limit whatever the input.
MAX_NESTING = 100

COMPARATORS = frozenset({"=", "<>", "<", "<=", ">", ">="})
CONDITION_FUNCTIONS = frozenset(
    {"attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains"}
)
FUNCTION_ARITY = {
    "attribute_exists": 1,
    "attribute_not_exists": 1,
    "attribute_type": 2,
    "begins_with": 2,
    "contains": 2,
    "size": 1,
    "if_not_exists": 2,
    "list_append": 2,
}
UPDATE_FUNCTIONS = frozenset({"if_not_exists", "list_append"})
ATTRIBUTE_TYPES = frozenset({"S", "N", "B", "NULL", "SS", "BOOL", "L", "BS", "NS", "M"})
TYPE_WORDS = {"S": "STRING", "N": "NUMBER", "B": "BINARY", "NULL": "NULL", "BOOL": "BOOLEAN",
              "L": "LIST", "M": "MAP"}
SET_TYPES = frozenset({"SS", "NS", "BS"})

CONDITION_KEYWORDS = frozenset({"AND", "OR", "NOT", "BETWEEN", "IN"})
UPDATE_KEYWORDS = frozenset({"SET", "REMOVE", "ADD", "DELETE"})

# Error categories in DynamoDB's order of precedence (first present wins).
_CONDITION_ORDER = ("parens", "unknown_function", "misused_function", "reserved", "undefined",
                    "operand", "distinct", "function")
_UPDATE_ORDER = ("reserved", "unknown_function", "section", "undefined_name", "undefined_value",
                 "overlap", "conflict", "operand", "function")
_PROJECTION_ORDER = ("reserved", "undefined", "overlap", "conflict")


def render_literal(av: AV) -> str:
    """``AttributeValue: {N:10}`` as DynamoDB echoes a literal in BETWEEN messages."""
    t = type_of(av)
    v: Any = av[t]
    if t == "B":
        v = base64.b64encode(v).decode()
    return f"AttributeValue: {{{t}:{v}}}"


class _Bad:
    """Stand-in for an operand whose error was already collected; never evaluated."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class Parser:
    """One parse of one expression string. Use the module functions, not this class."""

    def __init__(
        self,
        src: str,
        label: str,
        names: Mapping[str, str] | None,
        values: Mapping[str, AV] | None,
        order: tuple[str, ...],
        keywords: frozenset[str],
    ) -> None:
        self.src = src
        self.label = label
        self.names = names or {}
        self.values = values or {}
        self.toks, self.match = tokenize(src)
        self.i = 0
        self.order = order
        self.keywords = keywords
        self.errors: dict[str, str] = {}
        self.used_names: set[str] = set()
        self.used_values: set[str] = set()
        self.operators = 0
        self.depth = 0
        self.targets: list[Path] = []  # update/projection paths in written order

    # ----------------------------------------------------------------------------- plumbing

    def fail(self, message: str) -> ValidationException:
        return ValidationException(f"Invalid {self.label}: {message}")

    def note(self, category: str, message: str) -> None:
        if category == "undefined_name" or category == "undefined_value":
            if "undefined" in self.order:
                category = "undefined"
        self.errors.setdefault(category, message)

    def raise_collected(self) -> None:
        for category in self.order:
            if category in self.errors:
                raise self.fail(self.errors[category])
        if self.errors:  # a category outside this kind's order: still never accept the input
            raise self.fail(next(iter(self.errors.values())))

    def peek(self, k: int = 0) -> Token:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def advance(self) -> Token:
        t = self.toks[self.i]
        if t.kind != EOF:
            self.i += 1
        return t

    def at_punct(self, text: str, k: int = 0) -> bool:
        t = self.peek(k)
        return t.kind == "punct" and t.text == text

    def at_keyword(self, word: str) -> bool:
        t = self.peek()
        return t.kind == "ident" and t.upper == word

    def is_identifier(self, t: Token) -> bool:
        return t.kind == "ident" and t.upper not in self.keywords

    def syntax_error(self, index: int | None = None) -> NoReturn:
        i = self.i if index is None else index
        bad = self.toks[i]
        start = self.toks[i - 1].start if i > 0 else bad.start
        end = bad.end
        if bad.kind != EOF and i + 1 < len(self.toks) and self.toks[i + 1].kind != EOF:
            end = self.toks[i + 1].end
        near = self.src[start:end]
        raise self.fail(f'Syntax error; token: "{bad.display()}", near: "{near}"')

    def expect_punct(self, text: str) -> None:
        if not self.at_punct(text):
            self.syntax_error()
        self.advance()

    def count_operator(self) -> None:
        self.operators += 1
        if self.operators > MAX_OPERATORS:
            raise self.fail(
                f"The expression contains too many operators; operator count: {self.operators}"
            )

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.fail(f"The expression is nested too deeply; nesting levels: {self.depth}")

    def leave(self) -> None:
        self.depth -= 1

    def expect_end(self) -> None:
        if self.peek().kind != EOF:
            self.syntax_error()

    # ----------------------------------------------------------------------------- leaves

    def path(self) -> Path:
        elements: list[PathElem] = [self.path_name()]
        while True:
            if self.at_punct("."):
                self.advance()
                elements.append(self.path_name())
            elif self.at_punct("["):
                self.advance()
                t = self.peek()
                if t.kind != "int":
                    self.syntax_error()
                self.advance()
                self.expect_punct("]")
                index = int(t.text) if len(t.text) <= 12 else MAX_INDEX + 1
                if index > MAX_INDEX:
                    raise self.fail(f"List index is not within the allowable range; index: {t.text}")
                elements.append(index)
            else:
                break
        if len(elements) > MAX_PATH_LEVELS:
            raise self.fail(
                f"The document path has too many nesting levels; nesting levels: {len(elements)}"
            )
        return Path(tuple(elements))

    def path_name(self) -> str:
        t = self.peek()
        if t.kind == "name":
            self.advance()
            if t.text not in self.names:
                self.note(
                    "undefined_name",
                    "An expression attribute name used in the document path is not defined; "
                    f"attribute name: {t.text}",
                )
                return t.text
            self.used_names.add(t.text)
            return self.names[t.text]
        if self.is_identifier(t):
            self.advance()
            if is_reserved(t.text):
                self.note("reserved", f"Attribute name is a reserved keyword; reserved keyword: {t.text}")
            return t.text
        self.syntax_error()

    def literal(self) -> Literal:
        t = self.advance()
        if t.text not in self.values:
            self.note(
                "undefined_value",
                "An expression attribute value used in expression is not defined; "
                f"attribute value: {t.text}",
            )
            return Literal(t.text, {"NULL": True})
        self.used_values.add(t.text)
        return Literal(t.text, self.values[t.text])

    def call_args(self, arg: Any) -> list[Any]:
        self.advance()  # name
        self.advance()  # "("
        self.enter()
        args = [arg()]
        while self.at_punct(","):
            self.advance()
            args.append(arg())
        self.expect_punct(")")
        self.leave()
        self.count_operator()
        return args

    # ----------------------------------------------------------------------------- conditions

    def condition(self) -> Condition:
        node, _ = self.or_()
        self.expect_end()
        return node

    def or_(self) -> tuple[Any, bool]:
        left, grouped = self.and_()
        while self.at_keyword("OR"):
            self.advance()
            self.count_operator()
            right, _ = self.and_()
            left, grouped = ast.Or(left, right), False
        return left, grouped

    def and_(self) -> tuple[Any, bool]:
        left, grouped = self.not_()
        while self.at_keyword("AND"):
            self.advance()
            self.count_operator()
            right, _ = self.not_()
            left, grouped = ast.And(left, right), False
        return left, grouped

    def not_(self) -> tuple[Any, bool]:
        nots = 0
        while self.at_keyword("NOT"):
            self.advance()
            self.count_operator()
            nots += 1
        node, grouped = self.primary()
        if isinstance(node, Size):
            self.misused("size")
        for _ in range(nots):
            node, grouped = ast.Not(node), False
        return node, grouped

    def primary(self) -> tuple[Any, bool]:
        if self.at_punct("("):
            close = self.match[self.i]
            if close is None or not self._starts_comparison_tail(self.toks[close + 1]):
                self.advance()
                self.enter()
                inner, grouped = self.or_()
                if grouped:
                    self.note("parens", "The expression has redundant parentheses;")
                self.expect_punct(")")
                self.leave()
                return inner, True
        return self.comparison(), False

    def _starts_comparison_tail(self, t: Token) -> bool:
        if t.kind == "punct":
            return t.text in COMPARATORS
        return t.kind == "ident" and t.upper in ("BETWEEN", "IN")

    def comparison(self) -> Any:
        left = self.operand()
        t = self.peek()
        if t.kind == "punct" and t.text in COMPARATORS:
            self.advance()
            right = self.operand()
            self.count_operator()
            self.check_misused([left, right])
            self.check_distinct(t.text, [left, right])
            if t.text not in ("=", "<>"):
                self.check_orderable(t.text, [left, right])
            return Compare(t.text, left, right)  # type: ignore[arg-type]
        if self.at_keyword("BETWEEN"):
            self.advance()
            low = self.operand()
            if not self.at_keyword("AND"):
                self.syntax_error()
            self.advance()
            high = self.operand()
            self.count_operator()
            self.check_misused([left, low, high])
            self.check_orderable("BETWEEN", [left, low, high])
            self.check_between(low, high)
            return Between(left, low, high)
        if self.at_keyword("IN"):
            self.advance()
            self.expect_punct("(")
            choices = [self.operand()]
            while self.at_punct(","):
                self.advance()
                choices.append(self.operand())
            self.expect_punct(")")
            self.count_operator()
            if len(choices) > MAX_IN_OPERANDS:
                self.note(
                    "function",
                    "The IN operator is provided with too many operands; "
                    f"number of operands: {len(choices)}",
                )
            self.check_misused([left, *choices])
            return In(left, tuple(choices))
        if isinstance(left, (Function, _Bad, Size)):
            return left  # a bare size() is reported as misused by the caller
        self.syntax_error()

    def operand(self) -> Any:
        t = self.peek()
        if t.kind == "punct" and t.text == "(":
            close = self.match[self.i]
            if close is not None and self.at_punct("(", 1) and self.match[self.i + 1] == close - 1:
                self.note("parens", "The expression has redundant parentheses;")
            self.advance()
            self.enter()
            inner = self.operand()
            self.expect_punct(")")
            self.leave()
            return inner
        if t.kind == "value":
            return self.literal()
        if self.is_identifier(t) and self.at_punct("(", 1):
            return self.condition_function()
        if t.kind == "name" or self.is_identifier(t):
            return self.path()
        self.syntax_error()

    def condition_function(self) -> Any:
        name = self.peek().text
        args = self.call_args(self.operand)
        if name not in FUNCTION_ARITY:
            self.note("unknown_function", f"Invalid function name; function: {name}")
            return _Bad(name)
        if name in UPDATE_FUNCTIONS:
            self.note("unknown_function", f"The function is not allowed in a condition expression; function: {name}")
            return _Bad(name)
        self.check_misused(args)
        if len(args) != FUNCTION_ARITY[name]:
            self.note(
                "operand",
                "Incorrect number of operands for operator or function; "
                f"operator or function: {name}, number of operands: {len(args)}",
            )
            return _Bad(name)
        self.check_distinct(name, args)
        if name in ("attribute_exists", "attribute_not_exists"):
            if not isinstance(args[0], Path):
                self.note("function", f"Operator or function requires a document path; operator or function: {name}")
        elif name == "begins_with":
            for a in args:
                if isinstance(a, Literal) and type_of(a.value) not in ("S", "B"):
                    self.incorrect_operand(name, type_of(a.value))
                    break
        elif name == "attribute_type":
            t = args[1]
            if not isinstance(t, Literal) or type_of(t.value) != "S":
                shown = type_of(t.value) if isinstance(t, Literal) else "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}"
                self.incorrect_operand(name, shown)
            elif t.value["S"] not in ATTRIBUTE_TYPES:
                self.note(
                    "function",
                    f"Invalid attribute type name found; type: {t.value['S']}, "
                    "valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}",
                )
        elif name == "size":
            a = args[0]
            if isinstance(a, Literal) and type_of(a.value) in ("N", "BOOL", "NULL"):
                self.incorrect_operand(name, type_of(a.value))
            return Size(a)
        return Function(name, tuple(args))  # type: ignore[arg-type]

    def incorrect_operand(self, name: str, shown: str) -> None:
        self.note(
            "function",
            f"Incorrect operand type for operator or function; operator or function: {name}, "
            f"operand type: {shown}",
        )

    def misused(self, name: str) -> None:
        self.note(
            "misused_function",
            f"The function is not allowed to be used this way in an expression; function: {name}",
        )

    def check_misused(self, args: list[Any]) -> None:
        for a in args:
            if isinstance(a, Function):
                self.misused(a.name)
                return

    def check_distinct(self, name: str, args: list[Any]) -> None:
        if len(args) == 2 and isinstance(args[0], Path) and args[0] == args[1]:
            self.note(
                "distinct",
                "The first operand must be distinct from the remaining operands for this operator "
                f"or function; operator: {name}, first operand: {args[0].render()}",
            )

    def check_orderable(self, name: str, operands: list[Any]) -> None:
        """An ordering operator given a request value of a type without an order (not S, N, B)
        is an error, not a false condition; an item attribute of such a type just compares
        false at evaluation (DynamoDB)."""
        for a in operands:
            if isinstance(a, Literal) and a.placeholder in self.used_values and type_of(a.value) not in ("S", "N", "B"):
                self.incorrect_operand(name, type_of(a.value))
                return

    def check_between(self, low: Any, high: Any) -> None:
        if not (isinstance(low, Literal) and isinstance(high, Literal)):
            return
        if low.placeholder not in self.used_values or high.placeholder not in self.used_values:
            return  # an undefined placeholder is reported instead
        tl, th = type_of(low.value), type_of(high.value)
        bounds = f"lower bound operand: {render_literal(low.value)}, upper bound operand: {render_literal(high.value)}"
        if tl != th:
            self.note("function", f"The BETWEEN operator requires same data type for lower and upper bounds; {bounds}")
        elif (compare(low.value, high.value) or 0) > 0:
            self.note(
                "function",
                f"The BETWEEN operator requires upper bound to be greater than or equal to lower bound; {bounds}",
            )

    # ----------------------------------------------------------------------------- updates

    def update(self) -> ast.Update:
        if self.peek().kind == EOF:
            self.syntax_error()
        clauses: dict[str, list[Any]] = {}
        while self.peek().kind != EOF:
            t = self.peek()
            word = t.upper if t.kind == "ident" else ""
            if word not in UPDATE_KEYWORDS:
                self.syntax_error()
            self.advance()
            if word in clauses:
                self.note("section", f'The "{word}" section can only be used once in an update expression;')
            actions = clauses.setdefault(word, [])
            while True:
                actions.append(self.update_action(word))
                self.count_operator()
                if not self.at_punct(","):
                    break
                self.advance()
        update = ast.Update(
            set=tuple(clauses.get("SET", ())),
            remove=tuple(clauses.get("REMOVE", ())),
            add=tuple(clauses.get("ADD", ())),
            delete=tuple(clauses.get("DELETE", ())),
        )
        clash = find_path_clash(self.targets)
        if clash is not None:
            self.note(*clash)
        return update

    def update_action(self, word: str) -> Any:
        path = self.path()
        self.targets.append(path)
        if word == "SET":
            self.expect_punct("=")
            return ast.SetAction(path, self.set_value())
        if word == "REMOVE":
            return ast.RemoveAction(path)
        if self.peek().kind != "value":
            self.syntax_error()
        value = self.literal()
        if value.placeholder in self.used_values:
            t = type_of(value.value)
            allowed = SET_TYPES | {"N"} if word == "ADD" else SET_TYPES
            if t not in allowed:
                self.note(
                    "operand",
                    f"Incorrect operand type for operator or function; operator: {word}, "
                    f"operand type: {TYPE_WORDS.get(t, t)}",
                )
        return ast.AddAction(path, value) if word == "ADD" else ast.DeleteAction(path, value)

    def set_value(self) -> Any:
        if self.at_punct("("):
            close = self.match[self.i]
            after = self.toks[close + 1] if close is not None else None
            if after is None or not (after.kind == "punct" and after.text in ("+", "-")):
                self.advance()
                self.enter()
                inner = self.set_value()
                self.expect_punct(")")
                self.leave()
                return inner
        left = self.set_operand()
        t = self.peek()
        if t.kind == "punct" and t.text in ("+", "-"):
            self.advance()
            right = self.set_operand()
            self.count_operator()
            for operand in (left, right):
                if isinstance(operand, Literal) and type_of(operand.value) != "N":
                    self.incorrect_operand(t.text, type_of(operand.value))
                    break
            return Arithmetic(t.text, left, right)  # type: ignore[arg-type]
        return left

    def set_operand(self) -> Any:
        t = self.peek()
        if t.kind == "punct" and t.text == "(":
            self.advance()
            self.enter()
            inner = self.set_operand()
            self.expect_punct(")")
            self.leave()
            return inner
        if t.kind == "value":
            return self.literal()
        if self.is_identifier(t) and self.at_punct("(", 1):
            return self.update_function()
        if t.kind == "name" or self.is_identifier(t):
            return self.path()
        self.syntax_error()

    def update_function(self) -> Any:
        name = self.peek().text
        args = self.call_args(self.set_operand)
        bad = Literal(name, {"NULL": True})
        if name not in FUNCTION_ARITY:
            self.note("unknown_function", f"Invalid function name; function: {name}")
            return bad
        if name not in UPDATE_FUNCTIONS:
            self.note("unknown_function", f"The function is not allowed in an update expression; function: {name}")
            return bad
        if len(args) != 2:
            self.note(
                "function",
                "Incorrect number of operands for operator or function; "
                f"operator or function: {name}, number of operands: {len(args)}",
            )
            return bad
        if name == "if_not_exists":
            if not isinstance(args[0], Path):
                self.note("function", f"Operator or function requires a document path; operator or function: {name}")
                return bad
            return IfNotExists(args[0], args[1])
        if any(isinstance(a, ListAppend) for a in args):
            # DynamoDB refuses list_append(list_append(..), ..) although it parses it.
            self.note("function", f"The function is not allowed to be used this way in an expression; function: {name}")
            return bad
        for a in args:
            if isinstance(a, Literal) and type_of(a.value) != "L":
                self.incorrect_operand(name, type_of(a.value))
                break
        return ListAppend(args[0], args[1])

    # ----------------------------------------------------------------------------- projections

    def projection(self) -> ast.Projection:
        paths = [self.path()]
        while self.at_punct(","):
            self.advance()
            paths.append(self.path())
        self.expect_end()
        clash = find_path_clash(paths)
        if clash is not None:
            self.note(*clash)
        return ast.Projection(tuple(paths))


# ---------------------------------------------------------------------------------------------


def check_expression_text(label: str, src: str) -> None:
    """Empty and size checks that precede parsing (and bound its cost)."""
    if src == "":
        raise ValidationException(f"Invalid {label}: The expression can not be empty;")
    size = len(src.encode("utf-8", "surrogatepass"))
    if size > MAX_EXPRESSION_BYTES:
        raise ValidationException(
            f"Invalid {label}: Expression size has exceeded the maximum allowed size; expression size: {size}"
        )


def _run(label: str, src: str, names: Mapping[str, str] | None, values: Mapping[str, AV] | None,
         kind: str) -> tuple[Any, Parser]:
    check_expression_text(label, src)
    if kind == "update":
        p = Parser(src, label, names, values, _UPDATE_ORDER, UPDATE_KEYWORDS)
        node: Any = p.update()
    elif kind == "projection":
        p = Parser(src, label, names, values, _PROJECTION_ORDER, frozenset())
        node = p.projection()
    else:
        p = Parser(src, label, names, values, _CONDITION_ORDER, CONDITION_KEYWORDS)
        node = p.condition()
    p.raise_collected()
    return node, p


def parse_condition(src: str, names: Mapping[str, str] | None = None,
                    values: Mapping[str, AV] | None = None,
                    label: str = "ConditionExpression") -> tuple[Condition, set[str], set[str]]:
    """Parse a Condition/Filter/KeyCondition expression: (AST, used names, used values)."""
    node, p = _run(label, src, names, values, "condition")
    return node, p.used_names, p.used_values


def parse_update(src: str, names: Mapping[str, str] | None = None,
                 values: Mapping[str, AV] | None = None) -> tuple[ast.Update, set[str], set[str]]:
    node, p = _run("UpdateExpression", src, names, values, "update")
    return node, p.used_names, p.used_values


def parse_projection(src: str, names: Mapping[str, str] | None = None) -> tuple[ast.Projection, set[str]]:
    node, p = _run("ProjectionExpression", src, names, None, "projection")
    return node, p.used_names
