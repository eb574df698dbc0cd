"""DynamoDB expressions: one parser and evaluator for Condition, Filter, KeyCondition,
Projection and Update expressions, plus the legacy parameters translated to the same AST.

Typical use by a request handler::

    compiled = compile_expressions(condition=..., update=..., names=..., values=...,
                                   key_schema=table.key_schema)
    if not compiled.condition_holds(old_item): raise ConditionalCheckFailedException()
    result = compiled.apply_update(old_item)      # UpdateResult(item, updated_paths)

Modules: ``lexer`` → ``parser`` (validation, DynamoDB messages) → ``ast``; ``evaluate``
(conditions, projections), ``update`` (update application), ``keycond`` (key conditions),
``legacy`` (pre-expression parameters), ``compile`` (the request-level entry point and cache).
"""

from kuradb.expressions.ast import KeyCondition, Path, SortKeyCondition
from kuradb.expressions.compile import Compiled, ExpressionCache, compile_expressions
from kuradb.expressions.evaluate import evaluate, project, resolve
from kuradb.expressions.update import UpdateResult, apply_update

__all__ = [
    "Compiled",
    "ExpressionCache",
    "KeyCondition",
    "Path",
    "SortKeyCondition",
    "UpdateResult",
    "apply_update",
    "compile_expressions",
    "evaluate",
    "project",
    "resolve",
]
