"""Regenerate the checked-in gRPC/protobuf code in kuradb/proto/ from proto/.

Rules:
- The .proto sources live under proto/ at the path their Python module must have
  (proto/kuradb/proto/dynamodb.proto -> kuradb.proto.dynamodb_pb2), so protoc runs with
  ``-I proto`` and writes straight into the package tree; no import rewriting is needed.
- Generation is deterministic for a given grpcio-tools version: protoc writes no timestamps,
  and the sources are passed in sorted order. The version is pinned in pyproject.toml (dev
  extra) because the generated text embeds it.
- Files are generated into a temporary directory first and then synced, so a failed protoc
  run never leaves a half-written package; generated files whose .proto is gone are removed.
- ``--check`` changes nothing: it generates into a temporary directory and exits 1 with a
  summary of the differences if the checked-in files are stale (used by tests/test_proto.py
  and CI).

Usage: ``python scripts/gen_proto.py [--check]``
"""

from __future__ import annotations

import argparse
import difflib
import importlib.metadata
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"
PACKAGE_DIR = ROOT / "kuradb" / "proto"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")


def proto_sources() -> list[Path]:
    """Every .proto under proto/, sorted so protoc sees them in a stable order."""
    return sorted(PROTO_DIR.rglob("*.proto"))


def pinned_tools_version() -> str | None:
    """The grpcio-tools version pinned in pyproject.toml, if any."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for req in data.get("project", {}).get("optional-dependencies", {}).get("dev", []):
        m = re.fullmatch(r"grpcio-tools\s*==\s*([\w.]+)", req.strip())
        if m:
            return m.group(1)
    return None


def installed_tools_version() -> str:
    return importlib.metadata.version("grpcio-tools")


def generate(out_root: Path) -> dict[str, bytes]:
    """Run protoc into ``out_root``; return {file name: content} of the generated package files."""
    import grpc_tools  # imported here so --help works without grpcio-tools

    well_known = Path(grpc_tools.__file__).parent / "_proto"
    sources = [str(p.relative_to(PROTO_DIR)) for p in proto_sources()]
    if not sources:
        raise SystemExit(f"no .proto files under {PROTO_DIR}")
    cmd = [
        sys.executable, "-m", "grpc_tools.protoc",
        f"-I{PROTO_DIR}", f"-I{well_known}",
        f"--python_out={out_root}", f"--grpc_python_out={out_root}", f"--pyi_out={out_root}",
        *sources,
    ]
    proc = subprocess.run(cmd, cwd=PROTO_DIR, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"protoc failed ({proc.returncode}):\n{proc.stderr}")
    out_pkg = out_root / PACKAGE_DIR.relative_to(ROOT)
    return {p.name: p.read_bytes() for p in sorted(out_pkg.iterdir()) if p.name.endswith(GENERATED_SUFFIXES)}


def checked_in() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(PACKAGE_DIR.iterdir()) if p.name.endswith(GENERATED_SUFFIXES)}


def differences(expected: dict[str, bytes], actual: dict[str, bytes]) -> list[str]:
    """Human-readable summary of how the checked-in files differ from a fresh generation."""
    lines: list[str] = []
    for name in sorted(expected.keys() | actual.keys()):
        if name not in actual:
            lines.append(f"missing: kuradb/proto/{name}")
        elif name not in expected:
            lines.append(f"stale (no longer generated): kuradb/proto/{name}")
        elif expected[name] != actual[name]:
            diff = list(difflib.unified_diff(
                actual[name].decode(errors="replace").splitlines(),
                expected[name].decode(errors="replace").splitlines(),
                f"checked-in/{name}", f"generated/{name}", lineterm="", n=0,
            ))
            changed = sum(1 for d in diff if d[:1] in "+-" and not d.startswith(("+++", "---")))
            lines.append(f"differs: kuradb/proto/{name} ({changed} changed lines)")
            lines.extend("    " + d for d in diff[2:12])
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if kuradb/proto/ is not what generation produces")
    args = parser.parse_args(argv)

    pinned, installed = pinned_tools_version(), installed_tools_version()
    with tempfile.TemporaryDirectory(prefix="kuradb-gen-proto-") as tmp:
        fresh = generate(Path(tmp))
    if args.check:
        diff = differences(fresh, checked_in())
        if not diff:
            print(f"kuradb/proto is up to date ({len(fresh)} files)")
            return 0
        print("kuradb/proto is out of date; run: python scripts/gen_proto.py", file=sys.stderr)
        if pinned and pinned != installed:
            print(f"note: grpcio-tools {installed} is installed but {pinned} is pinned; "
                  "the difference may come from the version alone", file=sys.stderr)
        print("\n".join(diff), file=sys.stderr)
        return 1

    if pinned and pinned != installed:
        print(f"warning: generating with grpcio-tools {installed}, pinned is {pinned}", file=sys.stderr)
    for name in checked_in().keys() - fresh.keys():
        (PACKAGE_DIR / name).unlink()
        print(f"removed kuradb/proto/{name}")
    for name, content in fresh.items():
        target = PACKAGE_DIR / name
        if not target.exists() or target.read_bytes() != content:
            target.write_bytes(content)
            print(f"wrote kuradb/proto/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
