"""Direct (network-less) helpers for unit tests of the Raft state machine."""

from __future__ import annotations

import random
from typing import Any

from kuradb.raft.config import Config
from kuradb.raft.raft import Raft
from kuradb.raft.storage import MemoryStorage
from kuradb.raft.types import ConfState, Entry, HardState, Message


def new_raft(i: int, voters: tuple[int, ...] = (1, 2, 3), storage: MemoryStorage | None = None, **cfg: Any) -> Raft:
    st = storage if storage is not None else MemoryStorage.bootstrap(ConfState(voters=voters))
    return Raft(Config(id=i, rng=random.Random(i), **cfg), st)


def storage_with(entries: list[tuple[int, int]], voters: tuple[int, ...] = (1, 2, 3), term: int = 0) -> MemoryStorage:
    """Bootstrap storage (index 1 term 1) followed by entries given as (term, index) pairs."""
    st = MemoryStorage.bootstrap(ConfState(voters=voters))
    st.append([Entry(term=t, index=ix) for t, ix in entries])
    st.set_hard_state(HardState(term=max([term, 1, *(t for t, _ in entries)]), commit=1))
    return st


def take(r: Raft) -> list[Message]:
    msgs, r.msgs = r.msgs, []
    return msgs
