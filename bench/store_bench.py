"""Partition store throughput on LevelDB: PutItem / GetItem / Query ops/s with 1 KB items.

Run: ``python bench/store_bench.py [--items N] [--sync-items N]``. Measures the store alone —
parse + apply (one engine write batch per PutItem, as the Raft apply step does) and reads —
with no Raft, network or router in the path. sync=True fsyncs every batch, so its figure is
bounded by the disk's fsync rate; the Raft driver amortizes that with group commit.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable

from kuradb.keys import HASH_SPACE
from kuradb.model.schema import KeySchema, TableInfo
from kuradb.node.codec import encode_command
from kuradb.node.leveldb_engine import LevelDBEngine
from kuradb.node.partition import PartitionStateMachine
from kuradb.operations import parse_get_item, parse_query

TABLE = TableInfo(table_id=1, name="bench", key_schema=KeySchema("pk", "S", "sk", "N"))
PAD = "x" * 1000  # with the key attributes, items are ~1 KB
COLLECTIONS = 100


def _item(i: int) -> dict:
    return {"pk": {"S": f"user{i % COLLECTIONS}"}, "sk": {"N": str(i)}, "pad": {"S": PAD}}


def _timed(n: int, fn: Callable[[int], object]) -> float:
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - start)


def run(items: int, sync_items: int) -> list[tuple[str, str, float]]:
    rows: list[tuple[str, str, float]] = []
    for sync, n in ((False, items), (True, sync_items)):
        with tempfile.TemporaryDirectory() as d:
            eng = LevelDBEngine(d)
            sm = PartitionStateMachine(eng, TABLE, 0, HASH_SPACE, 1)
            cmds = [encode_command("PutItem", {"TableName": "bench", "Item": _item(i)}) for i in range(n)]
            rows.append(("PutItem", f"sync={sync}", _timed(n, lambda i: sm.apply(i + 1, cmds[i], sync=sync))))
            if not sync:
                gets = [{"TableName": "bench", "Key": {"pk": _item(i)["pk"], "sk": _item(i)["sk"]}} for i in range(n)]
                rows.append(("GetItem", "", _timed(n, lambda i: sm.get_item(parse_get_item(gets[i], TABLE)))))

                def query(i: int) -> object:
                    req = {
                        "TableName": "bench",
                        "KeyConditionExpression": "pk = :p AND sk >= :s",
                        "ExpressionAttributeValues": {":p": {"S": f"user{i % COLLECTIONS}"}, ":s": {"N": "0"}},
                        "Limit": 10,
                    }
                    return sm.query(parse_query(req, TABLE))

                rows.append(("Query (Limit 10)", "", _timed(min(n, 5000), query)))
            eng.close()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=20_000)
    ap.add_argument("--sync-items", type=int, default=2_000)
    args = ap.parse_args()
    rows = run(args.items, args.sync_items)
    print(f"{'operation':<18} {'mode':<11} {'ops/s':>10}")
    for op, mode, rate in rows:
        print(f"{op:<18} {mode:<11} {rate:>10,.0f}")


if __name__ == "__main__":
    main()
