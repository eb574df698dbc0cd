"""The benchmark's pure parts: key choosers, statistics, report."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kuradb.tools import bench

settings.register_profile("tools", max_examples=50, deadline=None)


def test_zipfian_is_skewed_towards_low_ranks() -> None:
    z = bench.ZipfianChooser(1000, scrambled=False)
    rng = random.Random(7)
    counts = Counter(z.next(rng) for _ in range(20_000))
    assert counts[0] > counts[10] > counts[500]
    # theta 0.99 over 1000 items: the top rank takes roughly 1/zeta(1000) ~ 13% of draws
    assert 0.09 < counts[0] / 20_000 < 0.17


def test_scrambling_spreads_hot_keys_but_keeps_the_skew() -> None:
    z = bench.ZipfianChooser(1000)
    rng = random.Random(7)
    counts = Counter(z.next(rng) for _ in range(20_000))
    hottest, n = counts.most_common(1)[0]
    assert hottest == bench.fnv1a_64(0) % 1000
    assert n / 20_000 > 0.09


@settings(settings.get_profile("tools"))
@given(n=st.integers(1, 5000), seed=st.integers(0, 2**32))
def test_choosers_stay_in_range(n: int, seed: int) -> None:
    rng = random.Random(seed)
    for chooser in (bench.ZipfianChooser(n), bench.ZipfianChooser(n, scrambled=False), bench.UniformChooser(n)):
        assert all(0 <= chooser.next(rng) < n for _ in range(50))


def test_percentile_nearest_rank() -> None:
    samples = [float(i) for i in range(1, 101)]
    assert bench.percentile(samples, 50) == 50.0
    assert bench.percentile(samples, 99) == 99.0
    assert bench.percentile([3.0], 99) == 3.0
    assert math.isnan(bench.percentile([], 50))


def test_summary_and_report() -> None:
    rec = bench.Recorder()
    for i in range(1, 101):
        rec.ok("read", i / 1000)
    rec.ok("update", 0.010)
    rec.failed("update", "ProvisionedThroughputExceededException")
    result = bench.summarize(rec, elapsed_s=2.0)
    assert result.total_ok == 101 and result.throughput == pytest.approx(50.5)
    read = next(o for o in result.ops if o.op == "read")
    assert read.p50_ms == pytest.approx(50.0) and read.p99_ms == pytest.approx(99.0)
    text = bench.format_result("a", 4, "zipfian", result)
    assert "50.5 ops/s" in text and "p99" in text
    assert "update ProvisionedThroughputExceededException: 1" in text


def test_config_validation_and_records() -> None:
    with pytest.raises(ValueError):
        bench.BenchConfig(endpoint="x", workload="c")
    with pytest.raises(ValueError):
        bench.BenchConfig(endpoint="x", clients=0)
    values = bench.ValueSource(random.Random(1), 100)
    rec = bench.plain_record(42, values)
    assert rec["key"] == "user42"
    assert len(rec) == 1 + bench.FIELDS and all(len(rec[f"field{i}"]) == 100 for i in range(bench.FIELDS))


class _FakeClient:
    """Answers instantly; every call advances the fake clock by 1 ms, so a run of duration 0.1
    issues about 100 operations with exactly 1 ms latency each."""

    def __init__(self) -> None:
        self.now = 0.0
        self.calls: Counter[str] = Counter()

    def clock(self) -> float:
        return self.now

    async def _answer(self, op: str) -> dict:
        self.now += 0.001
        self.calls[op] += 1
        if op == "update" and self.calls[op] % 10 == 0:
            from kuradb.errors import ProvisionedThroughputExceededException

            raise ProvisionedThroughputExceededException("throttled")
        return {}

    def get_item(self, **params: object) -> object:
        assert params["TableName"] == "usertable" and set(params) == {"TableName", "Key", "ConsistentRead"}
        return self._answer("read")

    def update_item(self, **params: object) -> object:
        assert params["UpdateExpression"] == "SET #f = :v"
        return self._answer("update")


def test_run_workload_mix_latency_and_errors() -> None:
    import asyncio

    client = _FakeClient()
    cfg = bench.BenchConfig(endpoint="fake", workload="b", clients=3, duration_s=0.5, records=100)
    result = asyncio.run(bench.run_workload(client, cfg, random.Random(3), clock=client.clock))
    total = sum(client.calls.values())
    assert 500 <= total <= 503  # clients stop once the clock passes the duration
    assert 0.9 < client.calls["read"] / total < 0.99
    assert all(o.p50_ms == pytest.approx(1.0) and o.p99_ms == pytest.approx(1.0) for o in result.ops)
    errors = result.errors[("update", "ProvisionedThroughputExceededException")]
    assert errors == client.calls["update"] // 10
    assert result.total_ok + errors == total
