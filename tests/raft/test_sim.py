"""The deterministic simulator against the Raft core: many seeds, replay, and proof it can fail.

Each seed runs a fault phase (crashes also inside a Ready cycle, partitions, drops, duplicates,
membership changes, leader transfers) and then a heal phase that demands liveness; the checker
enforces the Raft safety properties and linearizability of acknowledged writes and reads.
"""

from __future__ import annotations

import pytest

from kuradb.raft.sim.__main__ import main
from kuradb.raft.sim.cluster import SimResult, run_seed

NORMAL_SEEDS = 400
NORMAL_STEPS = 2000
BUG_SEED_BUDGET = 200
BUG_STEPS = 6000


def _failures(results: list[SimResult]) -> list[str]:
    return [f"seed {r.seed}: [{r.invariant}] {r.detail}" for r in results if not r.ok]


def test_many_seeds_pass() -> None:
    results = [run_seed(seed, steps=NORMAL_STEPS) for seed in range(NORMAL_SEEDS)]
    assert _failures(results) == []
    # The runs did real work: writes acknowledged, reads completed, several leaders.
    assert sum(r.acked for r in results) > 10 * NORMAL_SEEDS
    assert sum(r.reads for r in results) > 10 * NORMAL_SEEDS
    assert sum(r.elections > 1 for r in results) > NORMAL_SEEDS // 2


@pytest.mark.parametrize("nodes", [3, 5])
def test_fixed_group_sizes(nodes: int) -> None:
    results = [run_seed(seed, nodes=nodes, steps=3000) for seed in range(10_000, 10_025)]
    assert _failures(results) == []


def test_same_seed_same_trace() -> None:
    a = run_seed(7, steps=2000)
    b = run_seed(7, steps=2000)
    assert a.ok and b.ok
    assert a.trace_hash == b.trace_hash
    assert (a.acked, a.reads, a.sim_time) == (b.acked, b.reads, b.sim_time)
    assert run_seed(8, steps=2000).trace_hash != a.trace_hash


def test_failure_replays_exactly() -> None:
    bugs = frozenset({"learner_votes_count"})
    first = _first_failure(bugs)
    again = run_seed(first.seed, steps=BUG_STEPS, bugs=bugs)
    assert (again.ok, again.invariant, again.detail, again.trace_hash) == (
        first.ok,
        first.invariant,
        first.detail,
        first.trace_hash,
    )


def _first_failure(bugs: frozenset[str]) -> SimResult:
    for seed in range(BUG_SEED_BUDGET):
        res = run_seed(seed, steps=BUG_STEPS, bugs=bugs)
        if not res.ok:
            return res
    raise AssertionError(f"no seed in {BUG_SEED_BUDGET} caught the broken core {sorted(bugs)}")


def test_checker_catches_commit_previous_term() -> None:
    res = _first_failure(frozenset({"commit_previous_term"}))
    # Committing an old-term entry by counting replicas lets a later leader lose it (fig. 8).
    assert res.invariant in {"leader completeness", "state machine safety", "ack lost", "log matching"}


def test_checker_catches_learner_votes_count() -> None:
    res = _first_failure(frozenset({"learner_votes_count"}))
    # A leader elected by a voter plus learners may lack entries a real majority committed.
    assert res.invariant in {"leader completeness", "state machine safety", "election safety", "ack lost"}


def test_checker_catches_stale_local_reads() -> None:
    """A driver that answers reads from local state (no read index, no lease) is caught."""
    results = [run_seed(seed, steps=2000, stale_reads=True) for seed in range(30)]
    assert any(r.invariant == "linearizable read" for r in results)


def test_fault_free_run_commits_and_reads() -> None:
    res = run_seed(1, nodes=3, steps=5000, calm=True)
    assert res.ok, f"[{res.invariant}] {res.detail}"
    assert res.acked > 300 and res.reads > 200 and res.elections == 1


def test_same_bug_seed_passes_on_the_correct_core() -> None:
    """The failing scenario is the bug's fault, not the simulator's: same scenario, real core."""
    first = _first_failure(frozenset({"commit_previous_term"}))
    fixed = run_seed(first.seed, steps=BUG_STEPS, hunt=True)
    assert fixed.ok, f"[{fixed.invariant}] {fixed.detail}"


def test_cli_last_line_and_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--seeds", "3", "--steps", "500"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "3 passed, 0 failed"
    first = _first_failure(frozenset({"learner_votes_count"}))
    code = main(["--seed", str(first.seed), "--steps", str(BUG_STEPS), "--bug", "learner_votes_count"])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out[-1] == "0 passed, 1 failed"
    assert out[-2].startswith(f"seed {first.seed} FAILED [{first.invariant}]")


@pytest.mark.slow
def test_soak_2000_seeds() -> None:
    failures: list[str] = []
    for seed in range(100_000, 102_000):
        res = run_seed(seed, steps=3000)
        if not res.ok:
            failures.append(f"seed {res.seed}: [{res.invariant}] {res.detail}")
    assert failures == []
