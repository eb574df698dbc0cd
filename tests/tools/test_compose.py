"""docker-compose.yml and deploy/prometheus.yml, checked offline (no Docker engine here)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
PROMETHEUS = ROOT / "deploy" / "prometheus.yml"


def _load_yaml(path: Path) -> dict:
    yaml = pytest.importorskip("ruamel.yaml", reason="ruamel.yaml (a check-jsonschema dependency) is not installed")
    return yaml.YAML(typ="safe").load(path.read_text())


@pytest.mark.skipif(shutil.which("check-jsonschema") is None,
                    reason="check-jsonschema is not installed (pip install -e '.[dev]')")
def test_compose_file_matches_the_compose_spec() -> None:
    done = subprocess.run(
        ["check-jsonschema", "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _flag(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_prometheus_scrapes_every_kuradb_process() -> None:
    compose = _load_yaml(COMPOSE)
    expected = set()
    for name, service in compose["services"].items():
        command = service.get("command") or []
        if "--metrics-listen" in command:
            port = _flag(command, "--metrics-listen").rpartition(":")[2]
            expected.add(f"{service.get('hostname', name)}:{port}")
    assert len(expected) == 5  # coordinator, three nodes, router
    prometheus = _load_yaml(PROMETHEUS)
    scraped = {t for job in prometheus["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]}
    assert scraped == expected


def test_nodes_cover_three_azs_and_listen_on_their_advertised_hostname() -> None:
    services = _load_yaml(COMPOSE)["services"]
    nodes = {n: s for n, s in services.items() if s.get("command", [None])[0] == "node"}
    assert sorted(_flag(s["command"], "--az") for s in nodes.values()) == ["az-a", "az-b", "az-c"]
    for name, s in nodes.items():
        assert _flag(s["command"], "--listen").startswith(f"{s['hostname']}:"), name
    assert "8000:8000" in services["router"]["ports"]


def test_dockerfile_installs_the_package_with_kuradb_entrypoint() -> None:
    text = (ROOT / "deploy" / "Dockerfile").read_text()
    assert text.startswith("#") and "FROM python:3.11-slim" in text
    assert "pip install ." in text
    assert 'ENTRYPOINT ["kuradb"]' in text
