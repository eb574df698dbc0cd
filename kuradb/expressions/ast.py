"""Typed AST shared by every expression kind and by the legacy-parameter translation.

Invariants (established by the parser or by :mod:`kuradb.expressions.legacy`, relied on by the
evaluators):

* Placeholders are already resolved: a :class:`Path` holds real attribute names (``#n`` replaced
  by ``ExpressionAttributeNames['#n']``) and a :class:`Literal` holds the attribute value it
  stands for. The placeholder text is kept only for error messages.
* A path element is ``str`` (map key / top-level attribute name) or ``int`` (list index). An
  ``ExpressionAttributeNames`` value such as ``"[3]"`` stays a ``str``: it names an attribute,
  never a list slot.
* Nodes are immutable dataclasses; a compiled expression can be shared between threads and
  cached across requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal as Lit, TypeAlias

AV: TypeAlias = dict[str, Any]
Item: TypeAlias = dict[str, AV]
PathElem: TypeAlias = str | int


@dataclass(frozen=True, slots=True)
class Path:
    """A document path such as ``a.b[3].c`` (resolved)."""

    elements: tuple[PathElem, ...]

    def render(self) -> str:
        """DynamoDB's rendering in error messages: ``[a, b, [3], c]``."""
        return "[" + ", ".join(f"[{e}]" if isinstance(e, int) else e for e in self.elements) + "]"

    def dotted(self) -> str:
        """Human rendering ``a.b[3]`` used when naming an attribute in messages."""
        out = ""
        for e in self.elements:
            out += f"[{e}]" if isinstance(e, int) else (f".{e}" if out else e)
        return out


@dataclass(frozen=True, slots=True)
class Literal:
    """An ``ExpressionAttributeValues`` reference (or a legacy AttributeValueList entry)."""

    placeholder: str
    value: AV


@dataclass(frozen=True, slots=True)
class Size:
    """``size(operand)``: only valid as an operand of a comparison, BETWEEN or IN."""

    operand: "Operand"


Operand: TypeAlias = Path | Literal | Size

Comparator: TypeAlias = Lit["=", "<>", "<", "<=", ">", ">="]


@dataclass(frozen=True, slots=True)
class Compare:
    op: Comparator
    left: Operand
    right: Operand


@dataclass(frozen=True, slots=True)
class Between:
    operand: Operand
    low: Operand
    high: Operand


@dataclass(frozen=True, slots=True)
class In:
    operand: Operand
    choices: tuple[Operand, ...]


ConditionFunctionName: TypeAlias = Lit[
    "attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains"
]


@dataclass(frozen=True, slots=True)
class Function:
    """A boolean function: attribute_exists, attribute_not_exists, attribute_type,
    begins_with, contains."""

    name: ConditionFunctionName
    args: tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class And:
    left: "Condition"
    right: "Condition"


@dataclass(frozen=True, slots=True)
class Or:
    left: "Condition"
    right: "Condition"


@dataclass(frozen=True, slots=True)
class Not:
    operand: "Condition"


Condition: TypeAlias = Compare | Between | In | Function | And | Or | Not


def condition_paths(cond: Condition) -> list[Path]:
    """Every document path a condition reads, in written order (operands of sizes included)."""
    out: list[Path] = []
    stack: list[Any] = [cond]
    while stack:  # explicit stack: conditions may nest deeply
        node = stack.pop()
        if isinstance(node, Path):
            out.append(node)
        elif isinstance(node, Size):
            stack.append(node.operand)
        elif isinstance(node, (And, Or)):
            stack.extend((node.right, node.left))
        elif isinstance(node, Not):
            stack.append(node.operand)
        elif isinstance(node, Compare):
            stack.extend((node.right, node.left))
        elif isinstance(node, Between):
            stack.extend((node.high, node.low, node.operand))
        elif isinstance(node, In):
            stack.extend((*reversed(node.choices), node.operand))
        elif isinstance(node, Function):
            stack.extend(reversed(node.args))
    return out


# ---------------------------------------------------------------------------------------------
# UpdateExpression


@dataclass(frozen=True, slots=True)
class IfNotExists:
    path: Path
    default: "SetOperand"


@dataclass(frozen=True, slots=True)
class ListAppend:
    first: "SetOperand"
    second: "SetOperand"


SetOperand: TypeAlias = Path | Literal | IfNotExists | ListAppend


@dataclass(frozen=True, slots=True)
class Arithmetic:
    op: Lit["+", "-"]
    left: SetOperand
    right: SetOperand


SetValue: TypeAlias = SetOperand | Arithmetic


@dataclass(frozen=True, slots=True)
class SetAction:
    path: Path
    value: SetValue


@dataclass(frozen=True, slots=True)
class RemoveAction:
    path: Path


@dataclass(frozen=True, slots=True)
class AddAction:
    path: Path
    value: Literal


@dataclass(frozen=True, slots=True)
class DeleteAction:
    path: Path
    value: Literal


@dataclass(frozen=True, slots=True)
class Update:
    """A whole UpdateExpression; actions keep their written order inside each clause.

    ``legacy`` marks an update translated from AttributeUpdates: DynamoDB words its operand type
    errors differently ("Type mismatch for attribute to update").
    """

    set: tuple[SetAction, ...] = ()
    remove: tuple[RemoveAction, ...] = ()
    add: tuple[AddAction, ...] = ()
    delete: tuple[DeleteAction, ...] = ()
    legacy: bool = False

    def paths(self) -> list[Path]:
        """Every target path, in clause order (SET, REMOVE, ADD, DELETE)."""
        return [a.path for group in (self.set, self.remove, self.add, self.delete) for a in group]


@dataclass(frozen=True, slots=True)
class Projection:
    paths: tuple[Path, ...]


# ---------------------------------------------------------------------------------------------
# KeyConditionExpression result (data only; the store turns it into byte bounds)

SortOp: TypeAlias = Lit["EQ", "LT", "LE", "GT", "GE", "BETWEEN", "BEGINS_WITH"]


@dataclass(frozen=True, slots=True)
class SortKeyCondition:
    op: SortOp
    values: tuple[AV, ...]  # one value, or (low, high) for BETWEEN


@dataclass(frozen=True, slots=True)
class KeyCondition:
    """``hash_name = hash_value`` and optionally one condition on the sort key."""

    hash_name: str
    hash_value: AV
    range_name: str | None = None
    sort: SortKeyCondition | None = None
