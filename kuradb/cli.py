"""The ``kuradb`` command. Each subcommand lives with the component it runs; this file only routes.

Rules:

* ``COMMANDS`` maps a subcommand name to ``"module:function"`` and a one-line help. Adding a
  command is one line here; the function takes the remaining argv and returns the exit status.
* Modules are imported only when their command runs, so ``kuradb --help`` and light commands
  (``get-item``) never pay for importing the node's LevelDB bindings or the Raft core.
* The DynamoDB-shaped table/item commands (``put-item``, ``query``, ...) are derived from the
  operation list in :mod:`kuradb.tools.items`; they are listed here by name so routing stays a
  single table lookup.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Final

_ITEMS: Final = "kuradb.tools.items:main"

#: name -> ("module:function", help). The function receives argv after the name.
COMMANDS: Final[dict[str, tuple[str, str]]] = {
    "up": ("kuradb.tools.up:main", "start a local cluster (coordinator, nodes in 3 AZs, router)"),
    "status": ("kuradb.tools.status:main", "show nodes, tables and partitions of a cluster"),
    "bench": ("kuradb.tools.bench:main", "YCSB-style benchmark (workload a|b) against an endpoint"),
    "create-table": (_ITEMS, "CreateTable (DynamoDB JSON options, as the AWS CLI)"),
    "describe-table": (_ITEMS, "DescribeTable"),
    "update-table": (_ITEMS, "UpdateTable"),
    "delete-table": (_ITEMS, "DeleteTable"),
    "list-tables": (_ITEMS, "ListTables"),
    "put-item": (_ITEMS, "PutItem"),
    "get-item": (_ITEMS, "GetItem"),
    "update-item": (_ITEMS, "UpdateItem"),
    "delete-item": (_ITEMS, "DeleteItem"),
    "query": (_ITEMS, "Query"),
    "scan": (_ITEMS, "Scan"),
    "batch-get-item": (_ITEMS, "BatchGetItem"),
    "batch-write-item": (_ITEMS, "BatchWriteItem"),
    "node": ("kuradb.node.server:main", "a storage node: kuradb node --node-id N --az AZ --listen HOST:PORT --data-dir DIR"),
    "router": ("kuradb.router.server:main", "a router: kuradb router --listen HOST:PORT --coordinator ADDR[,ADDR...] [--az AZ]"),
    "coordinator": (
        "kuradb.coordinator.server:main",
        "a coordinator member: kuradb coordinator --id N --listen HOST:PORT --data-dir DIR [--peers ...]",
    ),
    "sim": ("kuradb.raft.sim.__main__:main", "the deterministic Raft simulator (python -m kuradb.raft.sim)"),
}

#: Commands whose function needs to know which name it was called by (one entry point, many ops).
_PASS_NAME: Final = frozenset(name for name, (target, _) in COMMANDS.items() if target == _ITEMS)


def resolve(name: str) -> Callable[[list[str]], int]:
    """The function behind ``name``; imports its module now."""
    module, _, func = COMMANDS[name][0].partition(":")
    target: Callable[..., int] = getattr(importlib.import_module(module), func)
    if name in _PASS_NAME:
        return lambda rest: target([name, *rest])
    return target


def usage() -> str:
    lines = ["usage: kuradb <command> [args]", "", "commands:"]
    lines += [f"  {name:17s} {text}" for name, (_, text) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return 0
    cmd, rest = args[0], args[1:]
    if cmd not in COMMANDS:
        print(f"kuradb: unknown command {cmd!r} (try kuradb --help)", file=sys.stderr)
        return 2
    return int(resolve(cmd)(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
