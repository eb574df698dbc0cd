"""Randomized partitions, restarts and proposals; checks the Raft safety properties
(Raft paper fig. 3): Election Safety, Log Matching, State Machine Safety.

The deterministic simulator (kuradb/raft/sim) does this at scale; this is a small, fast guard.
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from kuradb.raft.errors import ProposalDropped
from kuradb.raft.read_only import ReadOnlyOption
from tests.raft.network import Network


def _run(seed: int, lease: bool) -> None:
    rng = random.Random(seed)
    ids = [1, 2, 3, 4, 5]
    kw = {"read_only": ReadOnlyOption.LEASE_BASED} if lease else {}
    net = Network.create(ids, seed=seed, **kw)
    net.intercept = lambda m: rng.random() > 0.1  # 10% message loss
    leaders: dict[int, int] = {}
    n = 0
    for step in range(150):
        x = rng.random()
        if x < 0.05:
            net.heal()
            net.intercept = lambda m: rng.random() > 0.1
            net.isolate(rng.choice(ids))
        elif x < 0.08:
            net.restart(rng.choice(ids))
        elif x < 0.5:
            i = rng.choice(ids)
            try:
                net[i].propose(b"%d" % n)
                n += 1
            except ProposalDropped:
                pass
        net.tick(n=1)
        for i in net.leaders():
            assert leaders.setdefault(net[i].term, i) == i, "two leaders in one term (§5.2)"
    # State Machine Safety: every replica applied a prefix of the same sequence.
    seqs = sorted((net.applied(i) for i in ids), key=len)
    for s in seqs:
        assert s == seqs[-1][: len(s)]
    # Log Matching on the committed prefixes.
    for a in ids:
        for b in ids:
            ra, rb = net.replicas[a], net.replicas[b]
            c = min(ra.node.raft.raft_log.committed, rb.node.raft.raft_log.committed)
            lo = max(ra.storage.first_index(), rb.storage.first_index())
            for idx in range(lo, min(c, ra.storage.last_index(), rb.storage.last_index()) + 1):
                assert ra.storage.term(idx) == rb.storage.term(idx)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.booleans())
def test_safety_under_random_faults(seed: int, lease: bool) -> None:
    _run(seed, lease)
