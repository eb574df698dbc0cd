"""The ``kuradb`` command. Each subcommand lives with the component it runs; this file only routes.

Subcommands so far:
  kuradb sim [...]   the deterministic Raft simulator (same as ``python -m kuradb.raft.sim``)
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    commands = {"sim": "the deterministic Raft simulator (python -m kuradb.raft.sim)"}
    if not args or args[0] in ("-h", "--help"):
        print("usage: kuradb <command> [args]\n\ncommands:")
        for name, text in commands.items():
            print(f"  {name:10s} {text}")
        return 0
    cmd, rest = args[0], args[1:]
    if cmd == "sim":
        from kuradb.raft.sim.__main__ import main as sim_main

        return sim_main(rest)
    print(f"kuradb: unknown command {cmd!r} (try kuradb --help)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
