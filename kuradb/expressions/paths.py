"""Document-path overlap and conflict detection (UpdateExpression and ProjectionExpression).

Rules (DynamoDB):

* two paths *overlap* when one is a prefix of the other (including being equal): ``a`` and
  ``a.b``, or ``l[0]`` twice;
* two paths *conflict* when they agree up to some position where one continues with a map key
  and the other with a list index: ``a.b`` and ``a[1]``;
* the message names the earlier path first ("path one") and the later path second.

Overlap is reported in preference to conflict. Detection uses a trie keyed by path element,
so n paths cost O(total path length) instead of the O(n²) pairwise comparison — an
UpdateExpression of 4 KB can name ~1000 paths.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kuradb.expressions.ast import Path, PathElem

OVERLAP = "Two document paths overlap with each other; must remove or rewrite one of these paths"
CONFLICT = "Two document paths conflict with each other; must remove or rewrite one of these paths"


@dataclass(slots=True)
class _Node:
    children: dict[PathElem, "_Node"] = field(default_factory=dict)
    terminal: Path | None = None  # the first path that ends here
    through: Path | None = None  # the first path that passes through or ends here
    has_str: Path | None = None  # first path continuing with a map key from here
    has_int: Path | None = None  # first path continuing with a list index from here


def find_path_clash(paths: list[Path]) -> tuple[str, str] | None:
    """``("overlap"|"conflict", message)`` for the first clash among ``paths``, else None."""
    root = _Node()
    conflict: str | None = None
    for path in paths:
        node = root
        overlap_with: Path | None = None
        for elem in path.elements:
            if node.terminal is not None and overlap_with is None:
                overlap_with = node.terminal
            other = node.has_int if isinstance(elem, str) else node.has_str
            if other is not None and conflict is None:
                conflict = f"{CONFLICT}; path one: {other.render()}, path two: {path.render()}"
            if isinstance(elem, str):
                node.has_str = node.has_str or path
            else:
                node.has_int = node.has_int or path
            nxt = node.children.get(elem)
            if nxt is None:
                nxt = node.children[elem] = _Node()
            node = nxt
            node.through = node.through or path
        if overlap_with is None and node.through is not None and node.through is not path:
            overlap_with = node.through
        if overlap_with is None and node.terminal is not None:
            overlap_with = node.terminal
        if overlap_with is not None:
            return "overlap", f"{OVERLAP}; path one: {overlap_with.render()}, path two: {path.render()}"
        node.terminal = node.terminal or path
    if conflict is not None:
        return "conflict", conflict
    return None
