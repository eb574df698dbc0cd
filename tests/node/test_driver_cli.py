"""`kuradb node` as a real process: readiness line, admin API, /metrics, clean SIGTERM exit."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import grpc
import pytest

from kuradb.proto import internal_pb2 as pb
from kuradb.proto import internal_pb2_grpc as pb_grpc

pytestmark = pytest.mark.timeout(60)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_node_process_prints_ready_line_serves_and_exits_on_sigterm(tmp_path: Path) -> None:
    mport = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kuradb.cli", "node", "--node-id", "7", "--az", "az-a", "--listen", "127.0.0.1:0",
         "--data-dir", str(tmp_path / "n7"), "--metrics-listen", f"127.0.0.1:{mport}", "--tick-ms", "20"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        m = re.fullmatch(r"kuradb node 7 listening on (127\.0\.0\.1:\d+)", line)
        assert m, line
        with grpc.insecure_channel(m.group(1)) as ch:
            stats = pb_grpc.NodeAdminStub(ch).Stats(pb.StatsRequest(), timeout=10)
        assert stats.node_id == 7 and list(stats.partitions) == []
        body = urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics", timeout=10).read().decode()
        for name in ("kuradb_node_requests_total", "kuradb_raft_sync_seconds", "kuradb_node_partitions"):
            assert name in body
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert proc.stdout.read() == ""  # one line only, logs are on stderr
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_node_help_documents_the_coordinator_heartbeat() -> None:
    out = subprocess.run([sys.executable, "-m", "kuradb.cli", "node", "--help"], capture_output=True, text=True,
                         timeout=30, check=True).stdout  # fmt: skip
    assert "--coordinator" in out and "heartbeats" in out
