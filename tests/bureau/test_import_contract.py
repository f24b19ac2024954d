"""The bureau is another institution: every module of it but the client is behind the import contract."""

from __future__ import annotations

import tomllib
from pathlib import Path

import fairlend

PACKAGE = Path(fairlend.__file__).parent
CONTRACT = "The bureau is another institution: reached only through fairlend.bureau.client"


def test_every_bureau_module_but_the_client_is_protected() -> None:
    """A module added to the bureau later is covered too, or this fails until the contract names it."""
    config = tomllib.loads((PACKAGE.parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["name"] == CONTRACT)
    modules = {f"fairlend.bureau.{p.stem}" for p in (PACKAGE / "bureau").glob("*.py") if p.stem != "__init__"}
    assert "fairlend.bureau.client" in modules
    assert modules - {"fairlend.bureau.client"} == set(contract["protected_modules"])
