"""``kuradb coordinator`` as a real process: readiness line, serves, clean exit on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import grpc

from kuradb.proto import coordinator_pb2 as cpb
from kuradb.proto import coordinator_pb2_grpc as cpb_grpc

from .helpers import free_ports


def test_process_starts_serves_and_stops(tmp_path: Path) -> None:
    (port,) = free_ports(1)
    proc = subprocess.Popen(
        [sys.executable, "-m", "kuradb.cli", "coordinator", "--id", "1", "--listen", f"127.0.0.1:{port}",
         "--data-dir", str(tmp_path / "c1"), "--tick-ms", "20"],  # fmt: skip
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line == f"kuradb coordinator listening on 127.0.0.1:{port}"
        with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
            stub = cpb_grpc.CoordinatorStub(ch)
            status = stub.Status(cpb.StatusRequest(), timeout=10)
            assert status.members == [f"127.0.0.1:{port}"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
