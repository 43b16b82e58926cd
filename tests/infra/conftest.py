"""Parsed Terraform of infra/terraform (python-hcl2), shared by the infra tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
import pytest

from mdp import PROJECT_ROOT

TERRAFORM_DIR = PROJECT_ROOT / "infra" / "terraform"


def unquote(value: Any) -> Any:
    """python-hcl2 keeps the quotes of string literals and block labels; drop them."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, dict):
        return {unquote(k): unquote(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [unquote(v) for v in value]
    return value


@dataclass
class Terraform:
    """Every block of the directory, quotes removed."""

    files: dict[Path, dict[str, Any]]

    def blocks(self, kind: str) -> list[dict[str, Any]]:
        return [block for parsed in self.files.values() for block in parsed.get(kind, [])]

    def resources(self, rtype: str) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for block in self.blocks("resource"):
            for kind, named in block.items():
                if kind == rtype:
                    found.update(named)
        return found

    @property
    def locals(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for block in self.blocks("locals"):
            merged.update(block)
        return merged

    @property
    def variables(self) -> dict[str, dict[str, Any]]:
        merged: dict[str, dict[str, Any]] = {}
        for block in self.blocks("variable"):
            merged.update(block)
        return merged


@pytest.fixture(scope="session")
def terraform() -> Terraform:
    files = {}
    for path in sorted(TERRAFORM_DIR.glob("*.tf")):
        with path.open() as handle:
            files[path] = unquote(hcl2.load(handle))
    return Terraform(files)
