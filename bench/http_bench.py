"""The same boto3 workload against KuraDB's DynamoDB endpoint, dynalite and moto, side by side.

Run: ``python bench/http_bench.py [--threads 8] [--seconds 5] [--targets kuradb,dynalite,moto]``.

What is measured, and how:

* Each target is started fresh by this script on 127.0.0.1 and stopped at the end:
  - kuradb: a local cluster (``kuradb.tools.up``: coordinator + 3 nodes in 3 AZs, fsync'd Raft
    majority per write) plus a router serving the JSON protocol (``--http-listen``);
  - dynalite: ``node dynalite/cli.js`` (in-memory LevelDB), installed with ``npm install
    dynalite`` into ``--dynalite-dir`` on first use;
  - moto: ``moto_server -p PORT`` (in-memory Python dicts).
  KuraDB is the only one that replicates and fsyncs, so the comparison is of protocol cost plus
  storage model, not like for like; it answers "how much does the real thing cost over a fake".
* Workload (identical for every target, boto3 low-level client, one client per thread, closed
  loop: each thread sends its next request when the previous one is answered):
  PutItem of ~1 KB items for ``--seconds``; then GetItem of random written keys (eventually
  consistent); then Query of one partition key (10 items, Limit 10).
* Reported per target and phase: successful ops/s, p50 and p99 latency (ms), error count. The
  client shares the machine's cores with the servers, so these are floors, not ceilings.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root: tests.http

from tests.http.cluster import HttpCluster  # noqa: E402

ITEMS_PER_PARTITION = 10
TARGETS = ("kuradb", "dynalite", "moto")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_http(url: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except Exception:  # noqa: BLE001 - any answer or refusal: keep polling until the deadline
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {timeout_s:.0f} s") from None
            time.sleep(0.2)


@contextmanager
def process(argv: list[str], url: str, log: Path, cwd: Path | None = None) -> Iterator[str]:
    with open(log, "w") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=cwd)
    try:
        wait_http(url)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def kuradb(work: Path) -> Iterator[str]:
    cluster = HttpCluster(work / "kuradb")
    cluster.root.mkdir(parents=True, exist_ok=True)
    try:
        cluster.start()
        yield cluster.router()
    finally:
        cluster.stop()


@contextmanager
def dynalite(work: Path, install_dir: Path) -> Iterator[str]:
    cli = install_dir / "node_modules" / "dynalite" / "cli.js"
    if not cli.exists():
        if shutil.which("npm") is None:
            raise RuntimeError("dynalite needs node and npm on PATH")
        install_dir.mkdir(parents=True, exist_ok=True)
        print(f"installing dynalite into {install_dir} (npm install dynalite) ...", flush=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "dynalite"], cwd=install_dir, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
    port = free_port()
    with process(["node", str(cli), "--port", str(port)], f"http://127.0.0.1:{port}", work / "dynalite.log") as url:
        yield url


@contextmanager
def moto(work: Path) -> Iterator[str]:
    exe = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    port = free_port()
    with process([exe, "-H", "127.0.0.1", "-p", str(port)], f"http://127.0.0.1:{port}/moto-api/",
                 work / "moto.log") as url:  # fmt: skip
        yield url.removesuffix("/moto-api/")


def make_client(url: str, threads: int) -> Any:
    return boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id="bench",
                        aws_secret_access_key="bench",
                        config=Config(max_pool_connections=threads, retries={"max_attempts": 3, "mode": "standard"}))  # fmt: skip


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    def summary(self) -> tuple[float, float, float]:
        lat = sorted(self.latencies)
        if not lat:
            return 0.0, float("nan"), float("nan")
        return len(lat) / self.seconds, lat[len(lat) // 2] * 1e3, lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3


def run_phase(name: str, clients: list[Any], seconds: float, op: Callable[[Any, int, int], None]) -> Phase:
    phase = Phase(name)
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(t: int) -> None:
        lat: list[float] = []
        errors = 0
        i = 0
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            try:
                op(clients[t], t, i)
                lat.append(time.perf_counter() - t0)
            except Exception:  # noqa: BLE001 - counted, the run goes on
                errors += 1
            i += 1
        with lock:
            phase.latencies.extend(lat)
            phase.errors += errors

    start = time.monotonic()
    threads = [threading.Thread(target=worker, args=(t,)) for t in range(len(clients))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    phase.seconds = time.monotonic() - start
    return phase


def workload(url: str, threads: int, seconds: float, item_bytes: int) -> list[Phase]:
    setup = make_client(url, threads)
    table = f"bench{random.randrange(1 << 30)}"
    setup.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                             {"AttributeName": "sk", "AttributeType": "N"}],
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                  {"AttributeName": "sk", "KeyType": "RANGE"}])  # fmt: skip
    setup.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": 0.2, "MaxAttempts": 300})
    clients = [make_client(url, 1) for _ in range(threads)]
    payload = "x" * max(0, item_bytes - 40)
    written = [0] * threads

    def put(c: Any, t: int, i: int) -> None:
        c.put_item(TableName=table, Item={"pk": {"S": f"p{t}-{i // ITEMS_PER_PARTITION}"},
                                          "sk": {"N": str(i % ITEMS_PER_PARTITION)}, "data": {"S": payload}})  # fmt: skip
        written[t] = i + 1

    def get(c: Any, t: int, i: int) -> None:
        n = random.randrange(max(1, written[t]))
        c.get_item(TableName=table, Key={"pk": {"S": f"p{t}-{n // ITEMS_PER_PARTITION}"},
                                         "sk": {"N": str(n % ITEMS_PER_PARTITION)}})  # fmt: skip

    def query(c: Any, t: int, i: int) -> None:
        n = random.randrange(max(1, written[t] // ITEMS_PER_PARTITION))
        c.query(TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": f"p{t}-{n}"}},
                Limit=ITEMS_PER_PARTITION)  # fmt: skip

    return [run_phase("PutItem", clients, seconds, put), run_phase("GetItem", clients, seconds, get),
            run_phase("Query", clients, seconds, query)]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--seconds", type=float, default=5.0, help="duration of each phase")
    p.add_argument("--item-bytes", type=int, default=1024)
    p.add_argument("--targets", default=",".join(TARGETS), help="comma-separated subset of " + ",".join(TARGETS))
    p.add_argument("--dynalite-dir", type=Path, default=Path(tempfile.gettempdir()) / "kuradb-http-bench",
                   help="where `npm install dynalite` goes (reused across runs)")  # fmt: skip
    args = p.parse_args(argv)
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = set(targets) - set(TARGETS)
    if unknown:
        p.error(f"unknown targets: {', '.join(sorted(unknown))}")
    results: dict[str, list[Phase] | str] = {}
    with tempfile.TemporaryDirectory(prefix="http-bench-") as tmp:
        work = Path(tmp)
        for target in targets:
            print(f"running {target} ...", flush=True)
            with ExitStack() as stack:
                try:
                    if target == "kuradb":
                        url = stack.enter_context(kuradb(work))
                    elif target == "dynalite":
                        url = stack.enter_context(dynalite(work, args.dynalite_dir))
                    else:
                        url = stack.enter_context(moto(work))
                    results[target] = workload(url, args.threads, args.seconds, args.item_bytes)
                except Exception as e:  # noqa: BLE001 - report and go on with the other targets
                    results[target] = f"failed: {e}"
    print(f"\n{args.threads} threads, {args.seconds:g} s per phase, {args.item_bytes} B items, "
          f"{os.cpu_count()} cores shared by client and servers")  # fmt: skip
    print(f"{'target':<10}{'operation':<10}{'ops/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for target, phases in results.items():
        if isinstance(phases, str):
            print(f"{target:<10}{phases}")
            continue
        for ph in phases:
            rate, p50, p99 = ph.summary()
            print(f"{target:<10}{ph.name:<10}{rate:>10.0f}{p50:>10.1f}{p99:>10.1f}{ph.errors:>8}")
    return 0 if all(not isinstance(v, str) for v in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
