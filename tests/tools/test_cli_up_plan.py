"""`kuradb up`'s pure plan: addresses and data dirs derive from the flags alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kuradb.tools import up


def test_plan_is_deterministic_and_ordered(tmp_path: Path) -> None:
    spec = up.ClusterSpec(data_dir=tmp_path, port=9000, nodes_per_az=2, coordinators=3)
    procs = up.plan(spec)
    assert procs == up.plan(spec)
    assert [p.name for p in procs] == [
        "coordinator-1", "coordinator-2", "coordinator-3",
        "node-1", "node-2", "node-3", "node-4", "node-5", "node-6", "router",
    ]
    assert [p.stage for p in procs] == sorted(p.stage for p in procs)
    addresses = {p.name: p.address for p in procs}
    assert addresses["router"] == "127.0.0.1:9000"
    assert addresses["coordinator-2"] == "127.0.0.1:9002"
    assert addresses["node-1"] == "127.0.0.1:9010" and addresses["node-6"] == "127.0.0.1:9015"
    assert len({p.address for p in procs} | {p.metrics_address for p in procs}) == 2 * len(procs)


def test_nodes_round_robin_over_azs(tmp_path: Path) -> None:
    procs = up.plan(up.ClusterSpec(data_dir=tmp_path, nodes_per_az=2))
    azs = {p.name: p.argv[p.argv.index("--az") + 1] for p in procs if p.stage == 1}
    assert azs == {"node-1": "az-a", "node-2": "az-b", "node-3": "az-c",
                   "node-4": "az-a", "node-5": "az-b", "node-6": "az-c"}


def test_children_are_told_about_each_other(tmp_path: Path) -> None:
    procs = {p.name: p for p in up.plan(up.ClusterSpec(data_dir=tmp_path, coordinators=3))}
    c1 = procs["coordinator-1"].argv
    assert c1[c1.index("--peers") + 1] == "2=127.0.0.1:8002,3=127.0.0.1:8003"
    node = procs["node-2"].argv
    assert node[node.index("--coordinator") + 1] == "127.0.0.1:8001,127.0.0.1:8002,127.0.0.1:8003"
    assert node[node.index("--data-dir") + 1] == str(tmp_path.resolve() / "node-2")
    assert "--peer" in node and "1=127.0.0.1:8010" in node and "2=127.0.0.1:8011" not in node


def test_spec_validation(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        up.ClusterSpec(data_dir=tmp_path, coordinators=2)
    with pytest.raises(ValueError):
        up.ClusterSpec(data_dir=tmp_path, azs=("a", "a"))
    with pytest.raises(ValueError):
        up.ClusterSpec(data_dir=tmp_path, port=65500)


def test_layout_is_recorded_and_a_different_one_refused(tmp_path: Path) -> None:
    spec = up.ClusterSpec(data_dir=tmp_path / "d", port=9000)
    up.check_layout(spec)
    assert json.loads((tmp_path / "d" / up.LAYOUT_FILE).read_text())["port"] == 9000
    up.check_layout(spec)  # same flags: fine
    with pytest.raises(up.ClusterError, match="same --port"):
        up.check_layout(up.ClusterSpec(data_dir=tmp_path / "d", port=9100))


def test_free_port_base_gives_free_ports(tmp_path: Path) -> None:
    spec = up.ClusterSpec(data_dir=tmp_path)
    base = up.find_free_port_base(spec)
    assert not any(up._port_in_use(h, p) for h, p in up.ports_of(up.plan(up.ClusterSpec(data_dir=tmp_path, port=base))))
