"""`kuradb up` against the real processes: start, use through the CLI, stop, restart, data kept.

Each run starts a launcher in its own process group (so teardown can kill the whole tree with
one killpg), on a block of free ports in a temporary data dir.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kuradb.tools import up

pytestmark = pytest.mark.timeout(300)

READY_TIMEOUT = 100.0  # > the launcher's own --ready-timeout, so its message is what fails


def _group_members(pgid: int) -> list[int]:
    """Live processes of process group ``pgid`` (zombies excluded), from /proc."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(entry.name))
    return pids


class Launcher:
    """A `kuradb up` subprocess with its output collected line by line."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kuradb.cli", "up", "--data-dir", str(data_dir), "--port", str(port),
             "--no-metrics", "--stop-timeout", "15", "--ready-timeout", "60"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()  # None: the launcher's output ended
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, prefix: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line {prefix!r} within {timeout} s; output:\n{''.join(self.output)}") from None
            if line is None:
                raise AssertionError(f"launcher ended before {prefix!r}; output:\n{''.join(self.output)}")
            if line.startswith(prefix):
                return line

    def kill_all(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)


@pytest.fixture
def launchers() -> Iterator[list[Launcher]]:
    started: list[Launcher] = []
    yield started
    for launcher in started:
        launcher.kill_all()


def kuradb(endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kuradb.cli", *args, "--endpoint", endpoint],
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def _ok(done: subprocess.CompletedProcess[str]) -> dict:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else {}


def _wait_active(endpoint: str, table: str) -> None:
    deadline = time.monotonic() + 60
    while _ok(kuradb(endpoint, "describe-table", "--table-name", table))["Table"]["TableStatus"] != "ACTIVE":
        assert time.monotonic() < deadline, "table never became ACTIVE"
        time.sleep(0.5)


KEY = '{"id": {"S": "k1"}}'
ITEM = '{"id": {"S": "k1"}, "n": {"N": "42"}, "b": {"B": "AAE="}}'


def test_up_serves_stops_cleanly_and_keeps_data_across_restarts(tmp_path: Path, launchers: list[Launcher]) -> None:
    data = tmp_path / "data"
    port = up.find_free_port_base(up.ClusterSpec(data_dir=data, metrics=False))
    endpoint = f"127.0.0.1:{port}"

    first = Launcher(data, port)
    launchers.append(first)
    assert first.wait_for("KuraDB is up:", READY_TIMEOUT).strip() == f"KuraDB is up: gRPC endpoint {endpoint}"

    _ok(kuradb(endpoint, "create-table", "--table-name", "kv1", "--billing-mode", "PAY_PER_REQUEST",
               "--attribute-definitions", '[{"AttributeName": "id", "AttributeType": "S"}]',
               "--key-schema", '[{"AttributeName": "id", "KeyType": "HASH"}]'))  # fmt: skip
    _wait_active(endpoint, "kv1")
    assert _ok(kuradb(endpoint, "put-item", "--table-name", "kv1", "--item", ITEM)) == {}
    got = _ok(kuradb(endpoint, "get-item", "--table-name", "kv1", "--key", KEY, "--consistent-read"))
    assert got["Item"] == json.loads(ITEM)
    failed = kuradb(endpoint, "put-item", "--table-name", "kv1", "--item", ITEM,
                    "--condition-expression", "attribute_not_exists(id)")  # fmt: skip
    assert failed.returncode == 255
    assert failed.stderr.startswith("An error occurred (ConditionalCheckFailedException)")

    assert len(_group_members(first.proc.pid)) >= 6  # launcher, coordinator, 3 nodes, router
    first.proc.send_signal(signal.SIGINT)
    assert first.proc.wait(timeout=90) == 0, "".join(first.output)
    deadline = time.monotonic() + 10
    while _group_members(first.proc.pid):
        assert time.monotonic() < deadline, f"children left: {_group_members(first.proc.pid)}"
        time.sleep(0.1)

    second = Launcher(data, port)
    launchers.append(second)
    second.wait_for("KuraDB is up:", READY_TIMEOUT)
    got = _ok(kuradb(endpoint, "get-item", "--table-name", "kv1", "--key", KEY, "--consistent-read"))
    assert got["Item"] == json.loads(ITEM)

    # A member dying on its own takes the cluster down, named, with a non-zero status.
    node2 = next(pid for pid in _group_members(second.proc.pid)
                 if "--node-id\x002\x00" in Path(f"/proc/{pid}/cmdline").read_text())  # fmt: skip
    os.kill(node2, signal.SIGKILL)
    assert second.proc.wait(timeout=90) == 1
    assert "node-2" in "".join(second.output) and "exited unexpectedly" in "".join(second.output)
    deadline = time.monotonic() + 10
    while _group_members(second.proc.pid):
        assert time.monotonic() < deadline, f"children left: {_group_members(second.proc.pid)}"
        time.sleep(0.1)


def test_a_second_launcher_on_the_same_ports_is_refused(tmp_path: Path) -> None:
    spec = up.ClusterSpec(data_dir=tmp_path, metrics=False)
    port = up.find_free_port_base(spec)
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
        s.listen()
        done = subprocess.run([sys.executable, "-m", "kuradb.cli", "up", "--data-dir", str(tmp_path),
                               "--port", str(port), "--no-metrics"], capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 1
    assert f"address already in use: 127.0.0.1:{port}" in done.stderr
