"""``kuradb bench``: a YCSB-style benchmark (workloads A and B) over the asyncio client.

Rules:

* Two phases, as YCSB: *load* writes ``--records`` items ``user<i>`` (10 string fields
  ``field0..field9`` totalling ``--item-size`` bytes) with batch writers; *run* lets ``--clients``
  concurrent asyncio clients issue reads (GetItem) and updates (UpdateItem of one field) for
  ``--duration`` seconds, in the proportion of the workload: A 50/50, B 95/5.
* Keys are chosen uniformly or by YCSB's scrambled zipfian (theta 0.99): popularity follows a
  zipfian over ranks, and ranks are hashed onto record numbers so the hot keys are spread over
  partitions instead of being the first few records.
* Latency is measured per operation with a monotonic clock around the awaited call (retries
  included, as an application sees it); failed operations are counted by error name and kept out
  of the latency figures. Percentiles use the nearest-rank method on all samples.
* The pure parts (key choosers, statistics, report) take their random source and clock as
  arguments, so they are tested without a cluster; only :func:`run_bench` does I/O.
* ``--start-cluster`` starts a throw-away local cluster in a temporary directory with the
  launcher of ``kuradb up`` (:class:`kuradb.tools.up.LocalCluster`) and stops it afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

from kuradb.client.batch import BatchWriteIncomplete
from kuradb.errors import KuraError

FIELDS: Final = 10
ZIPFIAN_THETA: Final = 0.99  # YCSB's default constant
READ_PROPORTION: Final[dict[str, float]] = {"a": 0.50, "b": 0.95}
_FNV_OFFSET: Final = 0xCBF29CE484222325
_FNV_PRIME: Final = 0x100000001B3


class KeyChooser(Protocol):
    def next(self, rng: random.Random) -> int:
        """A record number in [0, n)."""


@dataclass(frozen=True)
class UniformChooser:
    n: int

    def next(self, rng: random.Random) -> int:
        return rng.randrange(self.n)


def fnv1a_64(value: int) -> int:
    """YCSB's FNV-1a over the 8 little-endian bytes of ``value`` (used to scramble ranks)."""
    h = _FNV_OFFSET
    for i in range(8):
        h ^= (value >> (8 * i)) & 0xFF
        h = (h * _FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return h


@dataclass(frozen=True)
class ZipfianChooser:
    """Gray et al.'s zipfian generator ("Quickly generating billion-record synthetic databases"),
    as YCSB implements it, with YCSB's scrambling of ranks onto records. zeta(n) costs O(n) once."""

    n: int
    theta: float = ZIPFIAN_THETA
    scrambled: bool = True
    _zetan: float = field(init=False)
    _eta: float = field(init=False)
    _alpha: float = field(init=False)

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError("need at least one record")
        zetan = math.fsum(1.0 / (i ** self.theta) for i in range(1, self.n + 1))
        zeta2 = 1.0 + 1.0 / (2 ** self.theta)
        object.__setattr__(self, "_zetan", zetan)
        object.__setattr__(self, "_alpha", 1.0 / (1.0 - self.theta))
        # For n <= 2 every draw is answered by the first two branches of rank(), and the formula
        # would divide by zero (zeta(2) == zeta(n)).
        eta = (1 - (2.0 / self.n) ** (1 - self.theta)) / (1 - zeta2 / zetan) if self.n > 2 else 1.0
        object.__setattr__(self, "_eta", eta)

    def rank(self, rng: random.Random) -> int:
        """0 is the most popular rank."""
        u = rng.random()
        uz = u * self._zetan
        if uz < 1.0:
            return 0
        if uz < 1.0 + 0.5 ** self.theta:
            return min(1, self.n - 1)
        return min(self.n - 1, int(self.n * (self._eta * u - self._eta + 1) ** self._alpha))

    def next(self, rng: random.Random) -> int:
        r = self.rank(rng)
        return fnv1a_64(r) % self.n if self.scrambled else r


def key_of(record: int) -> str:
    return f"user{record}"


def percentile(sorted_samples: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in (0, 100]) of already sorted samples."""
    if not sorted_samples:
        return math.nan
    k = max(1, math.ceil(p / 100.0 * len(sorted_samples)))
    return sorted_samples[k - 1]


@dataclass
class Recorder:
    """Latencies (seconds) per operation and failures per (operation, error name)."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[tuple[str, str]] = field(default_factory=Counter)

    def ok(self, op: str, seconds: float) -> None:
        self.latencies.setdefault(op, []).append(seconds)

    def failed(self, op: str, error: str) -> None:
        self.errors[(op, error)] += 1


@dataclass(frozen=True)
class OpStats:
    op: str
    count: int
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True)
class RunResult:
    elapsed_s: float
    ops: tuple[OpStats, ...]
    errors: dict[tuple[str, str], int]

    @property
    def total_ok(self) -> int:
        return sum(o.count for o in self.ops)

    @property
    def throughput(self) -> float:
        return self.total_ok / self.elapsed_s if self.elapsed_s > 0 else 0.0


def summarize(rec: Recorder, elapsed_s: float) -> RunResult:
    ops = []
    for op in sorted(rec.latencies):
        s = sorted(rec.latencies[op])
        ops.append(OpStats(op, len(s), percentile(s, 50) * 1000, percentile(s, 99) * 1000))
    return RunResult(elapsed_s, tuple(ops), dict(rec.errors))


def format_result(workload: str, clients: int, distribution: str, r: RunResult) -> str:
    lines = [
        f"workload {workload}: {r.elapsed_s:.1f} s, {clients} clients, {distribution} keys",
        f"  overall  {r.total_ok:8d} ops  {r.throughput:10.1f} ops/s  errors {sum(r.errors.values())}",
    ]
    for o in r.ops:
        lines.append(f"  {o.op:7s}  {o.count:8d} ops  p50 {o.p50_ms:8.2f} ms  p99 {o.p99_ms:8.2f} ms")
    for (op, name), n in sorted(r.errors.items()):
        lines.append(f"  error    {op} {name}: {n}")
    return "\n".join(lines)


@dataclass(frozen=True)
class BenchConfig:
    endpoint: str
    workload: str = "a"
    clients: int = 8
    duration_s: float = 30.0
    records: int = 1000
    item_size: int = 1024
    distribution: str = "zipfian"
    table: str = "usertable"
    load: bool = True
    consistent_read: bool = False
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.workload not in READ_PROPORTION:
            raise ValueError(f"unknown workload {self.workload!r} (a or b)")
        if self.clients < 1 or self.records < 1 or self.duration_s <= 0 or self.item_size < FIELDS:
            raise ValueError(f"--clients and --records must be >= 1, --duration > 0, --item-size >= {FIELDS}")
        if self.distribution not in ("zipfian", "uniform"):
            raise ValueError("--distribution must be zipfian or uniform")


class ValueSource:
    """Field values cut from one pre-generated random text, so generating an item costs a slice
    and not ``item_size`` calls to the random generator."""

    def __init__(self, rng: random.Random, field_size: int, pool: int = 1 << 16) -> None:
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        self.size = field_size
        self.text = "".join(rng.choice(alphabet) for _ in range(max(pool, 2 * field_size)))
        self.rng = rng

    def value(self) -> str:
        start = self.rng.randrange(len(self.text) - self.size)
        return self.text[start : start + self.size]


def plain_record(rec: int, values: ValueSource) -> dict[str, str]:
    """Record ``rec`` as plain Python values (the batch writer serializes them)."""
    return {"key": key_of(rec), **{f"field{i}": values.value() for i in range(FIELDS)}}


async def ensure_table(client: Any, table: str, timeout_s: float = 60.0) -> None:
    """Create the YCSB table (on-demand) unless it exists; wait until it is ACTIVE."""
    from kuradb.errors import ResourceInUseException

    try:
        await client.create_table(
            TableName=table, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
        )  # fmt: skip
    except ResourceInUseException:
        pass
    deadline = time.monotonic() + timeout_s
    while True:
        desc = await client.describe_table(TableName=table)
        if desc.get("Table", {}).get("TableStatus") == "ACTIVE":
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"table {table} not ACTIVE after {timeout_s:.0f} s")
        await asyncio.sleep(0.2)


async def load(client: Any, cfg: BenchConfig, rng: random.Random, writers: int) -> float:
    """Write every record with ``writers`` concurrent batch writers; returns the elapsed seconds."""
    values = ValueSource(rng, cfg.item_size // FIELDS)
    table = client.Table(cfg.table)

    async def writer(part: int) -> None:
        async with table.batch_writer() as batch:
            for rec in range(part, cfg.records, writers):
                await batch.put_item(Item=plain_record(rec, values))

    start = time.monotonic()
    await asyncio.gather(*(writer(i) for i in range(writers)))
    return time.monotonic() - start


async def run_workload(client: Any, cfg: BenchConfig, rng: random.Random,
                       clock: Callable[[], float] = time.perf_counter) -> RunResult:  # fmt: skip
    """The run phase: ``cfg.clients`` loops of read/update until the duration is over."""
    chooser: KeyChooser = ZipfianChooser(cfg.records) if cfg.distribution == "zipfian" else UniformChooser(cfg.records)
    values = ValueSource(rng, cfg.item_size // FIELDS)
    read_p = READ_PROPORTION[cfg.workload]
    rec = Recorder()
    start = clock()
    end = start + cfg.duration_s

    async def one_client(seed: int) -> None:
        r = random.Random(seed)
        while clock() < end:
            key = {"key": {"S": key_of(chooser.next(r))}}
            if r.random() < read_p:
                op, call = "read", client.get_item(TableName=cfg.table, Key=key, ConsistentRead=cfg.consistent_read)
            else:
                op, call = "update", client.update_item(
                    TableName=cfg.table, Key=key, UpdateExpression="SET #f = :v",
                    ExpressionAttributeNames={"#f": f"field{r.randrange(FIELDS)}"},
                    ExpressionAttributeValues={":v": {"S": values.value()}},
                )  # fmt: skip
            t0 = clock()
            try:
                await call
            except (KuraError, TimeoutError) as e:
                rec.failed(op, getattr(e, "name", type(e).__name__))
                continue
            rec.ok(op, clock() - t0)

    await asyncio.gather(*(one_client(rng.randrange(1 << 62)) for _ in range(cfg.clients)))
    return summarize(rec, clock() - start)


async def run_bench(cfg: BenchConfig, say: Callable[[str], None] = print) -> RunResult:
    from kuradb.client import AsyncKuraClient

    rng = random.Random(cfg.seed)
    async with AsyncKuraClient(cfg.endpoint, timeout=30.0) as client:
        if cfg.load:
            await ensure_table(client, cfg.table)
            elapsed = await load(client, cfg, rng, writers=min(cfg.clients, 8))
            say(f"load: {cfg.records} records of {cfg.item_size} B in {elapsed:.1f} s "
                f"({cfg.records / elapsed if elapsed else 0:.0f} records/s)")  # fmt: skip
        result = await run_workload(client, cfg, rng)
    say(format_result(cfg.workload, cfg.clients, cfg.distribution, result))
    return result


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kuradb bench", description="YCSB-style benchmark: load, then workload A or B.")
    p.add_argument("--endpoint", default=None, help="router gRPC address (default 127.0.0.1:8000)")
    p.add_argument("--workload", choices=sorted(READ_PROPORTION), default="a",
                   help="a: 50%% read / 50%% update; b: 95%% read / 5%% update")  # fmt: skip
    p.add_argument("--clients", type=int, default=8, help="concurrent asyncio clients (default 8)")
    p.add_argument("--duration", type=float, default=30.0, help="run phase, seconds (default 30)")
    p.add_argument("--records", type=int, default=1000, help="records to load (default 1000)")
    p.add_argument("--item-size", type=int, default=1024, help="bytes of field data per record (default 1024)")
    p.add_argument("--distribution", choices=("zipfian", "uniform"), default="zipfian")
    p.add_argument("--table", default="usertable", help="table name (default usertable)")
    p.add_argument("--no-load", action="store_true", help="skip the load phase (table already loaded)")
    p.add_argument("--consistent-read", action="store_true", help="strongly consistent reads (default eventual)")
    p.add_argument("--seed", type=int, help="random seed (default: random)")
    p.add_argument("--start-cluster", action="store_true",
                   help="start a local cluster in a temporary directory for the run (as `kuradb up`)")  # fmt: skip
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.start_cluster and args.endpoint:
        print("kuradb bench: --start-cluster and --endpoint exclude each other", file=sys.stderr)
        return 2
    try:
        cfg = BenchConfig(
            endpoint=args.endpoint or "127.0.0.1:8000", workload=args.workload, clients=args.clients,
            duration_s=args.duration, records=args.records, item_size=args.item_size,
            distribution=args.distribution, table=args.table, load=not args.no_load,
            consistent_read=args.consistent_read, seed=args.seed,
        )  # fmt: skip
    except ValueError as e:
        print(f"kuradb bench: {e}", file=sys.stderr)
        return 2
    try:
        if not args.start_cluster:
            asyncio.run(run_bench(cfg))
            return 0
        from dataclasses import replace

        from kuradb.tools.up import ClusterSpec, LocalCluster, find_free_port_base

        with tempfile.TemporaryDirectory(prefix="kuradb-bench-") as tmp:
            spec = ClusterSpec(data_dir=Path(tmp), metrics=False)
            spec = replace(spec, port=find_free_port_base(spec))
            with LocalCluster(spec) as cluster:
                print(f"started a local cluster at {cluster.endpoint} in {tmp}", flush=True)
                asyncio.run(run_bench(replace(cfg, endpoint=cluster.endpoint)))
        return 0
    except KuraError as e:
        print(f"kuradb bench: {e.name}: {e.message}", file=sys.stderr)
        return 1
    except BatchWriteIncomplete as e:
        print(f"kuradb bench: load failed: {e}", file=sys.stderr)
        return 1
    except (TimeoutError, OSError, RuntimeError) as e:
        print(f"kuradb bench: {e}", file=sys.stderr)
        return 1
