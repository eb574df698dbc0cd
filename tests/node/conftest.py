"""Fixtures for the partition store tests: engines and a state machine factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kuradb.keys import HASH_SPACE
from kuradb.model.schema import TableInfo
from kuradb.node.engine import Engine
from kuradb.node.leveldb_engine import LevelDBEngine
from kuradb.node.memory_engine import MemoryEngine
from kuradb.node.partition import PartitionStateMachine
from tests.node.helpers import RANGE_TABLE


@pytest.fixture(params=["memory", "leveldb"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    eng: Engine = MemoryEngine() if request.param == "memory" else LevelDBEngine(tmp_path / "db")
    yield eng
    eng.close()


@pytest.fixture
def make_sm(engine: Engine) -> Callable[..., PartitionStateMachine]:
    def make(table: TableInfo = RANGE_TABLE, start_h: int = 0, end_h: int = HASH_SPACE, pid: int = 1,
             eng: Engine | None = None, **kw: Any) -> PartitionStateMachine:  # fmt: skip
        return PartitionStateMachine(eng or engine, table, start_h, end_h, pid, **kw)

    return make
