"""The market simulator: a small market on each backend leaves a clean book, every careless attempt blocked.

One run per backend (under `us`: investors fund the loans): `fairlend verify` finds nothing, every
borrower's contact log chain is intact, and each attempt of the careless collector was blocked naming
the rule it breaks (P-2 for a settled loan, the third-party content rule for a contact person, the
contact window at night). Two runs with one seed leave the same totals in the database.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.db.migrate import upgrade
from fairlend.errors import Conflict
from fairlend.sim.simulate import SimConfig, simulate
from fairlend.sim.summary import book_totals
from fairlend.sim.timing import Timer
from fairlend.sim.world import SimReport, local_instant

# Long enough for the first borrower to pay an installment and settle, and the second to fall behind.
SMALL = SimConfig(borrowers=10, investors=6, days=50, seed=11)
TODAY = date(2026, 3, 2)


def _run(container: Container, config: SimConfig = SMALL) -> SimReport:
    return simulate(container, config, timer=Timer())


@pytest.mark.slow
def test_a_small_market_leaves_verify_clean_chains_valid_and_every_careless_attempt_blocked(
    us_container: Container,
) -> None:
    report = _run(us_container)

    assert us_container.verify() == []
    collections = us_container.collections
    assert collections is not None
    assert report.borrower_ids and all(collections.service.verify_borrower(b) is None for b in report.borrower_ids)

    # The run did what the checks need: loans funded by investors, repayments, contacts, all three careless kinds.
    assert len(report.loans) >= 8 and report.repayments > 0 and report.settled_early >= 1
    assert report.investors == 6 and report.nar_percentiles
    kinds = Counter(a.kind for a in report.careless)
    assert set(kinds) == {"settled_loan", "contact_person", "night_call"}, kinds
    for attempt in report.careless:
        assert attempt.outcome == "blocked", attempt
        assert attempt.expected in attempt.rules, attempt
    assert {a.expected for a in report.careless} == {"P-2", "P-9", "US-4"}
    # Every block the run counted is in the contact log, by rule.
    per_rule, _ = collections.service.blocked_summary()
    assert all(per_rule.get(rule, 0) >= n for rule, n in report.blocked_by_rule.items())
    assert sum(report.originations.values()) == len(report.loans)


@pytest.mark.slow
@pytest.mark.backends("sqlite")
def test_two_runs_with_one_seed_leave_the_same_totals_in_the_database(tmp_path: Path) -> None:
    totals = []
    reports = []
    for n in range(2):
        settings = Settings(
            environment="test",
            database_url=f"sqlite:///{tmp_path}/run{n}.db",
            data_dir=tmp_path / str(n),
            jurisdiction="us",
        )
        container = bootstrap(settings, clock=FixedClock(local_instant(TODAY, "America/New_York"), TODAY))
        try:
            upgrade(container.engine)
            report = _run(container, SimConfig(borrowers=8, investors=4, days=40, seed=3))
            totals.append(book_totals(container, report.loans))
            reports.append(report)
        finally:
            container.close()
    assert totals[0] == totals[1]
    first, second = reports
    for field in ("originations", "originated_minor", "repayments", "contacts", "blocked_by_rule", "hardship"):
        assert getattr(first, field) == getattr(second, field), field
    assert [(a.kind, a.rules) for a in first.careless] == [(a.kind, a.rules) for a in second.careless]
    # The totals compared are not vacuous: the book holds money.
    assert totals[0]["outstanding_principal"] != 0


def test_the_simulator_refuses_a_database_that_holds_people(us_container: Container) -> None:
    _run(us_container, SimConfig(borrowers=1, investors=0, days=1, seed=1))
    with pytest.raises(Conflict) as refused:
        _run(us_container, SimConfig(borrowers=1, investors=0, days=1, seed=1))
    assert refused.value.code == "demo_database_not_empty"
