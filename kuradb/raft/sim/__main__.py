"""Command line: ``python -m kuradb.raft.sim --seeds 500 [--start 0] [--nodes 3|5] [--steps N]``.

Prints one line per failing seed (seed, invariant, detail), and as its last line exactly
``N passed, M failed``; exits 1 if any seed failed. ``--seed S -v`` replays one seed and prints
its trace. ``--bug NAME`` runs the core with a deliberately broken variant (the checker should
then fail some seeds). ``--defer-commit`` runs every replica with
``Config.defer_commit_broadcast`` (same scenario per seed as without it).
"""

from __future__ import annotations

import argparse
import sys

from kuradb.raft.config import KNOWN_BUGS
from kuradb.raft.sim.cluster import run_seed


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m kuradb.raft.sim", description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=100, help="number of seeds to run")
    p.add_argument("--start", type=int, default=0, help="first seed")
    p.add_argument("--seed", type=int, default=None, help="run only this seed")
    p.add_argument("--nodes", type=int, choices=(3, 5), default=None, help="voters (default: drawn per seed)")
    p.add_argument("--steps", type=int, default=2000, help="fault-phase steps per seed")
    p.add_argument("--bug", action="append", default=[], choices=sorted(KNOWN_BUGS), help="broken core variant")
    p.add_argument("--stale-reads", action="store_true", help="broken driver: serve reads locally (checker test)")
    p.add_argument("--defer-commit", action="store_true", help="every replica with Config.defer_commit_broadcast")
    p.add_argument("--calm", action="store_true", help="fault-free runs (throughput baseline)")
    p.add_argument("-v", "--verbose", action="store_true", help="print the trace of each seed")
    args = p.parse_args(argv)

    seeds = [args.seed] if args.seed is not None else list(range(args.start, args.start + args.seeds))
    bugs = frozenset(args.bug)
    if args.calm and bugs:
        p.error("--calm injects no faults, so it cannot be combined with --bug")
    passed = failed = 0
    for seed in seeds:
        res = run_seed(
            seed,
            nodes=args.nodes,
            steps=args.steps,
            bugs=bugs,
            calm=args.calm,
            stale_reads=args.stale_reads,
            defer_commit=args.defer_commit,
            verbose=args.verbose,
        )
        if args.verbose:
            for line in res.notes:
                print(line)
            print(
                f"seed {seed}: steps={res.steps} sim_time={res.sim_time} acked={res.acked} reads={res.reads} "
                f"leaders={res.elections} trace={res.trace_hash}"
            )
        if res.ok:
            passed += 1
        else:
            failed += 1
            print(f"seed {seed} FAILED [{res.invariant}] {res.detail}", flush=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
