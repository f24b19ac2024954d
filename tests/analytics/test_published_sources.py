"""Analytics reads other contexts only through the selectables they publish, never their tables (DESIGN.md §3)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import fairlend

PACKAGE = Path(fairlend.__file__).parent
CONTRACT = "Analytics never reads another context's tables: only the selectables each context publishes"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
    return names


def test_no_analytics_module_imports_a_tables_module_only_published_selectables() -> None:
    imported = set().union(*(_imports(p) for p in (PACKAGE / "analytics").glob("*.py")))
    # Its own read models are the only tables it names (analytics/tables.py).
    own = (
        "analytics_loan_month",
        "analytics_snapshot_month",
        "analytics_attempt_month",
        "analytics_attempt_snapshot",
        "analytics_loan_default",
        "analytics_loan",
        "analytics_loan_snapshot",
    )
    assert {m for m in imported if ".tables" in m} <= {"fairlend.analytics.tables"} | {
        f"fairlend.analytics.tables.{t}" for t in own
    }
    published = {m.rsplit(".", 1)[0] for m in imported if m.endswith(".published")}
    # Every context the measures read: its published module, and nothing else of its storage.
    assert {
        "fairlend.lending",
        "fairlend.ledger",
        "fairlend.origination",
        "fairlend.scoring",
        "fairlend.collections",
        "fairlend.hardship",
        "fairlend.market",
    } <= published


def test_the_import_contract_forbids_every_other_contexts_tables_module() -> None:
    """A context added later with its own tables is covered too, or this fails until the contract names it."""
    config = tomllib.loads((PACKAGE.parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["name"] == CONTRACT)
    assert contract["source_modules"] == ["fairlend.analytics"]
    tables = {f"fairlend.{p.parent.name}.tables" for p in PACKAGE.glob("*/tables.py")} - {"fairlend.analytics.tables"}
    assert tables and tables <= set(contract["forbidden_modules"])
    assert "fairlend.analytics.tables" not in contract["forbidden_modules"]
