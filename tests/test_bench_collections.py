"""bench.collections stays runnable: every benchmark and the oracle fuzz at a tiny size (figures come from
running it by hand, see docs/collections.md)."""

from __future__ import annotations

import pytest
from bench import collections as bench


def test_the_collections_benchmarks_run_at_a_tiny_size(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--decisions", "200", "--loans", "50", "--gateway", "20"]) == 0
    printed = capsys.readouterr().out
    assert "policy decisions (cn)" in printed and "planning 50 overdue loans" in printed
    assert "full gateway with storage (sqlite)" in printed


@pytest.mark.parametrize("through", ["pure", "storage"])
def test_the_oracle_fuzz_runs_and_prints_its_disagreements(through: str, capsys: pytest.CaptureFixture[str]) -> None:
    # Exit 0 only when the gateway agrees with the oracle on every attempt; either way it prints the figures.
    assert bench.main(["--fuzz", "120", "--through", through, "--seed", "smoke"]) in (0, 1)
    printed = capsys.readouterr().out
    assert f"fuzz (cn, {through}): " in printed and f"fuzz (us, {through}): " in printed
    assert "decisions/s" in printed and "disagree with the oracle" in printed
