"""The distribution installs every package under ``kuradb.`` and forgets none.

pyproject.toml lists packages by hand (node/, router/, coordinator/ are mapped to kuradb.node,
kuradb.router, kuradb.coordinator), so a new package folder that is not listed would be silently
missing from a non-editable install. This test is what makes that loud.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_folder_is_listed() -> None:
    cfg = _config()
    listed = set(cfg["packages"])
    mapping: dict[str, str] = cfg["package-dir"]
    found = set()
    for name, folder in mapping.items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            rel = init.parent.relative_to(base)
            found.add(".".join([name, *rel.parts]) if rel.parts else name)
    assert found <= listed, f"package folders missing from pyproject.toml: {sorted(found - listed)}"
    assert listed <= found, f"listed packages with no folder: {sorted(listed - found)}"


def test_no_generic_top_level_names() -> None:
    for name in _config()["packages"]:
        assert name == "kuradb" or name.startswith("kuradb."), name
