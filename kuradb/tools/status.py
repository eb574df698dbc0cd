"""``kuradb status``: the cluster as the coordinator leader sees it — nodes, tables, partitions.

Rules:

* One Coordinator.Status call. Only the coordinator leader answers with content (coordinator.proto
  rule 1): a follower's answer names the leader in ``map.not_leader`` and the call is repeated
  there; an unreachable member is skipped for the next address given.
* Rendering (:func:`render`) is a pure function of the StatusResponse and the current time, so it
  is tested without a cluster. Partition leaders come from the nodes' own reports (``is_leader``)
  when present, else from the descriptor's ``leader_hint``; a partition with neither shows ``?``.
* Hash ranges print as 16 hex digits (the 64-bit hash space of kuradb.keys); an open end is
  ``max``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Final

import grpc
from google.protobuf.json_format import MessageToDict

from kuradb.proto import coordinator_pb2 as cpb
from kuradb.proto import coordinator_pb2_grpc as cpb_grpc
from kuradb.proto import internal_pb2 as ipb

DEFAULT_COORDINATOR: Final = "127.0.0.1:8001"  # where `kuradb up` (default --port 8000) puts it
_MAX_REDIRECTS: Final = 3


class StatusError(RuntimeError):
    """No coordinator member could give the status."""


def fetch_status(addresses: Sequence[str], timeout: float = 5.0) -> cpb.StatusResponse:
    """The leader's StatusResponse, trying ``addresses`` in order and following not_leader."""
    errors: list[str] = []
    for first in addresses:
        address = first
        for _ in range(_MAX_REDIRECTS + 1):
            with grpc.insecure_channel(address) as channel:
                try:
                    resp: cpb.StatusResponse = cpb_grpc.CoordinatorStub(channel).Status(
                        cpb.StatusRequest(), timeout=timeout)  # fmt: skip
                except grpc.RpcError as e:
                    errors.append(f"{address}: {e.code().name} {e.details()}")  # type: ignore[attr-defined]
                    break
            redirect = resp.map.not_leader
            if not redirect:
                return resp
            if redirect == "?" or redirect == address:
                errors.append(f"{address}: not the leader and no leader known (election running?)")
                break
            address = redirect
    raise StatusError("no coordinator answered: " + "; ".join(errors))


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in (headers, *rows)]
    return "\n".join(lines)


def _range(d: ipb.PartitionDescriptor) -> str:
    end = "max" if d.end_is_max else f"{d.end_h:016x}"
    return f"[{d.start_h:016x}, {end})"


def _key_schema(ks: ipb.KeySchema) -> str:
    parts = [f"{ks.hash_name}({ks.hash_type}) HASH"]
    if ks.range_name:
        parts.append(f"{ks.range_name}({ks.range_type}) RANGE")
    return ", ".join(parts)


def _ago(now: float, then: float) -> str:
    if then <= 0:
        return "never"
    return f"{max(0.0, now - then):.1f}s ago"


def render(resp: cpb.StatusResponse, now: float) -> str:
    """The human-readable status report."""
    m = resp.map
    azs = sorted({n.az for n in m.nodes} | {r.az for p in m.partitions for r in p.replicas})
    leaders: dict[int, int] = {}  # partition id -> node id, from reports
    for r in resp.reports:
        if r.is_leader:
            rep = next((x for x in r.descriptor.replicas if x.replica_id == r.replica_id), None)
            if rep is not None:
                leaders[r.descriptor.id] = rep.node_id
    out = [
        f"Coordinator leader {resp.leader_address or '?'}; members {', '.join(resp.members) or '?'}; "
        f"map version {m.map_version}",
        "",
        f"Nodes ({sum(n.alive for n in m.nodes)}/{len(m.nodes)} alive)",
        _table(["ID", "AZ", "ADDRESS", "ALIVE", "LAST HEARTBEAT"],
               [[str(n.node_id), n.az, n.address, "yes" if n.alive else "NO", _ago(now, n.last_heartbeat)]
                for n in sorted(m.nodes, key=lambda n: n.node_id)]),  # fmt: skip
        "",
    ]
    per_table: dict[int, int] = defaultdict(int)
    for p in m.partitions:
        per_table[p.table_id] += 1
    out += [
        f"Tables ({len(m.tables)})",
        _table(["NAME", "ID", "STATUS", "KEY SCHEMA", "PARTITIONS"],
               [[t.name, str(t.table_id), t.status, _key_schema(t.key_schema), str(per_table[t.table_id])]
                for t in sorted(m.tables, key=lambda t: t.name)]),  # fmt: skip
        "",
    ]
    names = {t.table_id: t.name for t in m.tables}
    rows = []
    for p in sorted(m.partitions, key=lambda p: (names.get(p.table_id, p.table_name), p.start_h)):
        by_az: dict[str, list[str]] = defaultdict(list)
        hint_node = 0
        for r in p.replicas:
            role = "" if r.role == ipb.Replica.VOTER else " learner"
            by_az[r.az].append(f"n{r.node_id}/r{r.replica_id}{role}")
            if r.replica_id == p.leader_hint:
                hint_node = r.node_id
        leader = leaders.get(p.id, hint_node)
        rows.append([
            names.get(p.table_id, p.table_name), str(p.id), _range(p), f"{p.epoch.version}/{p.epoch.conf_ver}",
            *(", ".join(by_az.get(az, [])) or "-" for az in azs),
            f"node {leader}" if leader else "?",
        ])  # fmt: skip
    out += [
        f"Partitions ({len(m.partitions)}; replicas as nNODE/rREPLICA)",
        _table(["TABLE", "ID", "HASH RANGE", "EPOCH", *azs, "LEADER"], rows),
    ]
    return "\n".join(out)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kuradb status", description="Show a KuraDB cluster's nodes, tables and partitions.")
    p.add_argument("--coordinator", default=DEFAULT_COORDINATOR, metavar="ADDR[,ADDR...]",
                   help=f"coordinator member address(es) (default {DEFAULT_COORDINATOR}, as `kuradb up` places it)")  # fmt: skip
    p.add_argument("--timeout", type=float, default=5.0, help="seconds per call (default 5)")
    p.add_argument("--json", action="store_true", help="print the raw StatusResponse as JSON")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    addresses = [a.strip() for a in args.coordinator.split(",") if a.strip()]
    try:
        resp = fetch_status(addresses, args.timeout)
    except StatusError as e:
        print(f"kuradb status: {e}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(MessageToDict(resp), indent=2))
    else:
        print(render(resp, time.time()))
    return 0
