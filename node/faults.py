"""Test-only network fault injection for the Raft transport (TiKV failpoint style).

Rules:

* A :class:`FaultTable` maps a peer node id (or ``"*"``, every peer without its own entry) to a
  :class:`PeerFault`: drop everything, drop each message with probability ``drop_prob``, and/or
  delay each message by ``delay_ms`` (a userspace delay: ``tc netem`` is unavailable here).
* Faults are *outbound* only: the transport consults the table before it sends to a peer. A
  full partition between A and B therefore needs an entry on both nodes; a one-way entry gives
  an asymmetric partition, which is a useful fault of its own.
* The decision for a message is made when it is queued, so a delay shifts delivery without
  reordering messages to the same peer (all of them get the same delay).
* An empty table costs one dict lookup per send; production nodes simply never set anything.
* Multi-process tests set faults from outside through a JSON file, named by the environment
  variable ``KURADB_FAULTS``, which :class:`FaultFileWatcher` polls (default every second) and
  loads whenever its modification time or size changes::

      {"peers": {"2": {"drop_all": true},
                 "3": {"drop_prob": 0.25, "delay_ms": 40},
                 "*": {"delay_ms": 5}}}

  A missing file means "no faults"; a malformed file is reported and leaves the table as it was,
  so a half-written file never lifts a partition by accident.
* The random source is per table and seedable, so a test's drop pattern reproduces.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ENV_VAR", "FaultDecision", "FaultFileWatcher", "FaultTable", "PeerFault"]

ENV_VAR = "KURADB_FAULTS"
ANY_PEER = "*"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PeerFault:
    drop_all: bool = False
    drop_prob: float = 0.0
    delay_ms: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.drop_prob <= 1.0:
            raise ValueError(f"drop_prob must be in [0, 1], got {self.drop_prob}")
        if self.delay_ms < 0:
            raise ValueError(f"delay_ms must be >= 0, got {self.delay_ms}")

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> PeerFault:
        unknown = set(obj) - {"drop_all", "drop_prob", "delay_ms"}
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        return cls(bool(obj.get("drop_all", False)), float(obj.get("drop_prob", 0.0)),
                   float(obj.get("delay_ms", 0.0)))  # fmt: skip


@dataclass(frozen=True, slots=True)
class FaultDecision:
    drop: bool
    delay_s: float


_PASS = FaultDecision(False, 0.0)


class FaultTable:
    """Per-peer outbound faults, changed at runtime by tests or by :class:`FaultFileWatcher`."""

    def __init__(self, seed: int | None = None) -> None:
        self._faults: dict[int | str, PeerFault] = {}
        self._rng = random.Random(seed)

    def set(self, node_id: int | str, fault: PeerFault) -> None:
        """Install ``fault`` for ``node_id`` (or ``"*"``), replacing what was there."""
        self._faults[node_id] = fault

    def clear(self, node_id: int | str | None = None) -> None:
        """Remove the fault of one peer, or every fault when ``node_id`` is None."""
        if node_id is None:
            self._faults.clear()
        else:
            self._faults.pop(node_id, None)

    def replace(self, faults: Mapping[int | str, PeerFault]) -> None:
        self._faults = dict(faults)

    def get(self, node_id: int) -> PeerFault | None:
        return self._faults.get(node_id) or self._faults.get(ANY_PEER)

    def decide(self, node_id: int) -> FaultDecision:
        """What to do with one message to ``node_id`` (consumes randomness only if faulted)."""
        if not self._faults:
            return _PASS
        f = self.get(node_id)
        if f is None:
            return _PASS
        drop = f.drop_all or (f.drop_prob > 0.0 and self._rng.random() < f.drop_prob)
        return FaultDecision(drop, f.delay_ms / 1000.0)

    def load_json(self, text: str) -> None:
        """Replace the whole table with the JSON document's (format in the module docstring)."""
        doc = json.loads(text)
        if not isinstance(doc, dict) or not isinstance(doc.get("peers", {}), dict):
            raise ValueError('fault file must be {"peers": {node_id: {...}}}')
        faults: dict[int | str, PeerFault] = {}
        for key, obj in doc.get("peers", {}).items():
            faults[ANY_PEER if key == ANY_PEER else int(key)] = PeerFault.from_json(obj)
        self.replace(faults)


class FaultFileWatcher:
    """Polls a JSON fault file and loads it into a table when it changes (multi-process tests)."""

    def __init__(self, table: FaultTable, path: Path, interval_s: float = 1.0) -> None:
        self.table = table
        self.path = path
        self.interval_s = interval_s
        self._seen: tuple[int, int] | None = None
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def from_env(cls, table: FaultTable, env: Mapping[str, str] = os.environ) -> FaultFileWatcher | None:
        """A watcher for ``$KURADB_FAULTS`` if set, else None (the normal, production case)."""
        path = env.get(ENV_VAR)
        return cls(table, Path(path)) if path else None

    def poll(self) -> bool:
        """Reload if the file changed since the last poll; True if the table was replaced."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            if self._seen is not None:
                self._seen = None
                self.table.clear()
                return True
            return False
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp == self._seen:
            return False
        try:
            self.table.load_json(self.path.read_text())
        except (OSError, ValueError) as e:  # json.JSONDecodeError is a ValueError
            log.warning("ignoring malformed fault file %s: %s", self.path, e)
            return False
        finally:
            self._seen = stamp  # a bad file is reported once, not every poll
        return True

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"faults:{self.path}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        while True:
            self.poll()
            await asyncio.sleep(self.interval_s)
