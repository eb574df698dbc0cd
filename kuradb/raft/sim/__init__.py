"""Deterministic simulation of the Raft core (FoundationDB style): one seed, one exact history.

Modules, bottom up:

* ``network``  - drops, duplicates, delays/reorders, symmetric and one-way partitions.
* ``disk``     - a MemoryStorage page cache over a durable image; a crash loses unsynced writes.
* ``kv``       - the replicated state machine (KV registers, client-seq dedup, snapshots).
* ``workload`` - clients: unique proposal ids ``(client, seq)``, timeouts, reads.
* ``checker``  - Raft safety invariants + acked-write durability + per-key read linearizability.
* ``driver``   - one replica: RawNode + SimDisk, following the Ready contract, crash points.
* ``scenario`` - every parameter of a run, drawn from the seed (and the clock-drift rule).
* ``cluster``  - the event loop, fault injection, membership changes, the heal/liveness phase.

Run ``python -m kuradb.raft.sim --seeds 500``; replay with ``--seed S -v``.
"""

from kuradb.raft.sim.checker import Checker, Violation
from kuradb.raft.sim.cluster import Simulation, SimResult, run_seed
from kuradb.raft.sim.scenario import Scenario

__all__ = ["Checker", "Scenario", "SimResult", "Simulation", "Violation", "run_seed"]
