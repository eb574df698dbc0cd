"""The parameters of one simulated run, all drawn from its seed.

Rules:

* ``Scenario.draw(seed, ...)`` is a pure function of its arguments: the same seed gives the same
  scenario on every machine and Python run (only ``random.Random(seed)``; no hash order, no
  clock).
* Clock model (what makes LEASE_BASED reads safe): every replica ticks with its own fixed period
  ``TICK_UNITS + drift`` where ``|drift| <= MAX_DRIFT``. A lease of ``lease_ticks`` on the
  fastest clock must end before ``election_tick`` on the slowest clock, *including* the delay of
  the heartbeat that started it, i.e. ``lease_ticks * (T + d) + max_latency < election_tick *
  (T - d)``. With T = 100 units, d = 4, lease = election - 2 = 8, election = 10, that is
  832 + latency < 960, so lease seeds keep every message latency below ``LEASE_MAX_LATENCY``
  (no latency spikes). Fig. 8 seeds use election = 5, lease = 3: 312 + 60 < 480. SAFE
  (ReadIndex) seeds need no clock assumption and get latency spikes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from kuradb.raft.read_only import ReadOnlyOption
from kuradb.raft.sim.network import TICK_UNITS, NetworkConfig

MAX_DRIFT = 4  # units per tick: +-4 % clock rate difference between replicas
LEASE_MAX_LATENCY = 60  # units; see the module rule for why lease seeds need a bound


@dataclass
class Scenario:
    seed: int
    voters: int
    learners: int  # initial learners (ids after the voters)
    max_extra_nodes: int  # nodes membership changes may add during the run
    steps: int
    bugs: frozenset[str]
    election_tick: int
    heartbeat_tick: int
    read_only: ReadOnlyOption
    max_size_per_msg: int
    max_inflight_msgs: int
    snapshot_every: int
    drifts: list[int]  # per node id - 1, for every node that may ever exist
    network: NetworkConfig
    fault_every: int  # mean simulated units between fault events
    crash_in_ready: float  # probability per event of crashing a replica inside a Ready cycle
    membership_every: int  # mean units between membership changes (0 = none)
    transfer_every: int  # mean units between leader transfers (0 = none)
    client_every: int  # mean units between client operations
    clients: int
    keys: int
    crash_all: float  # probability that a crash fault takes down every node at once
    figure8: bool  # one-entry appends, and leaders cut off with a minority right after proposing
    stale_reads: bool = False  # test-only broken *driver*: serve reads locally, no read index
    # Config.defer_commit_broadcast on every replica. Not drawn from the seed: set by the caller
    # (run_seed / --defer-commit) so that existing seeds keep their exact histories.
    defer_commit: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def election_units(self) -> int:
        return self.election_tick * TICK_UNITS

    @classmethod
    def draw(
        cls,
        seed: int,
        *,
        nodes: int | None = None,
        steps: int = 2000,
        bugs: frozenset[str] = frozenset(),
        hunt: bool | None = None,
    ) -> Scenario:
        """``hunt`` (default: whether ``bugs`` is set) forces the fig. 8 family and learners, so
        a broken variant is exercised; ``hunt=True`` without bugs replays the same scenario
        against the correct core."""
        hunt = bool(bugs) if hunt is None else hunt
        rng = random.Random(seed)
        voters = nodes if nodes is not None else rng.choice((3, 3, 5))
        learners = rng.choice((0, 0, 1, 2))
        extra = rng.choice((0, 2, 3))
        read_only = ReadOnlyOption.LEASE_BASED if rng.random() < 0.3 else ReadOnlyOption.SAFE
        small_msgs = rng.random() < 0.4
        # "Figure 8" family (Raft paper fig. 8): one entry per append and one append in flight,
        # so a new leader's catch-up acks old-term entries a round trip before its own entry,
        # with frequent leader crashes inside that window. Broken variants always run in it,
        # and with learners, so that the bugs are actually exercised.
        figure8 = rng.random() < 0.3 or hunt
        if hunt:
            learners = max(learners, 2)
        net = NetworkConfig(
            drop=rng.choice((0.0, 0.02, 0.05, 0.15)),
            duplicate=rng.choice((0.0, 0.02, 0.05)),
            min_latency=1,
            max_latency=rng.choice((10, 30, 50)),
            spike=0.0 if read_only == ReadOnlyOption.LEASE_BASED else rng.choice((0.0, 0.01, 0.05)),
            spike_latency=3 * TICK_UNITS,
        )
        if read_only == ReadOnlyOption.LEASE_BASED:
            net.max_latency = min(net.max_latency, LEASE_MAX_LATENCY)
        total = voters + learners + extra
        return cls(
            seed=seed,
            voters=voters,
            learners=learners,
            max_extra_nodes=extra,
            steps=steps,
            bugs=bugs,
            election_tick=5 if figure8 else 10,
            heartbeat_tick=rng.choice((1, 1, 2)),
            read_only=read_only,
            max_size_per_msg=1 if figure8 else 60 if small_msgs else 1 << 20,
            max_inflight_msgs=1 if figure8 else rng.choice((1, 4, 256)) if small_msgs else 256,
            snapshot_every=rng.choice((5, 20, 50)),
            drifts=[rng.randint(-MAX_DRIFT, MAX_DRIFT) for _ in range(total)],
            network=net,
            fault_every=(5 if figure8 else rng.choice((5, 10, 20))) * TICK_UNITS,
            crash_in_ready=0.02 if figure8 else rng.choice((0.0, 0.002, 0.01)),
            membership_every=rng.choice((0, 15, 40)) * TICK_UNITS,
            transfer_every=rng.choice((0, 20, 60)) * TICK_UNITS,
            client_every=rng.choice((20, 50, 100)),
            clients=rng.choice((2, 4)),
            keys=rng.choice((1, 3)),
            crash_all=rng.choice((0.0, 0.05)),
            figure8=figure8,
        )

    @classmethod
    def calm(cls, seed: int, *, nodes: int = 3, steps: int = 2000) -> Scenario:
        """A fault-free run (no drops, crashes, partitions or membership changes) with a busy
        workload: the baseline for throughput figures."""
        sc = cls.draw(seed, nodes=nodes, steps=steps)
        sc.learners = sc.max_extra_nodes = 0
        sc.read_only = ReadOnlyOption.SAFE
        sc.max_size_per_msg, sc.max_inflight_msgs = 1 << 20, 256
        sc.election_tick, sc.heartbeat_tick = 10, 1
        sc.network = NetworkConfig(drop=0.0, duplicate=0.0, min_latency=1, max_latency=30)
        sc.fault_every = 1 << 60
        sc.crash_in_ready = 0.0
        sc.membership_every = sc.transfer_every = 0
        sc.client_every, sc.clients, sc.keys = 2, 32, 8
        sc.figure8 = False
        return sc
