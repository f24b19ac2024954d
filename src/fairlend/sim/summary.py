"""What a simulation left in the database, read back through the services.

`summarise` fills the end-of-run parts of the `SimReport` (loan states,
delinquency by bucket, investor NAR percentiles). `book_totals` is the
comparison two runs with one seed must agree on: sums and counts only, never
ids (ids are random, the book is not).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from fairlend.bootstrap import Container
from fairlend.sim.world import World

if TYPE_CHECKING:
    from fairlend.sim.investors import Investors


def summarise(world: World, investors: Investors, loan_ids: list[str]) -> None:
    report = world.report
    for loan_id in loan_ids:
        facts = world.lending.loan_facts(loan_id)
        report.loan_states[facts.state.value] += 1
    for d in world.lending.delinquent_loans(1):
        report.delinquency[d.bucket] += 1
    report.nar_percentiles = investors.nar_percentiles(report.end)


def book_totals(container: Container, loan_ids: list[str]) -> dict[str, object]:
    """Counts and sums a run with the same seed reproduces exactly."""
    lending = container.lending
    states: Counter[str] = Counter()
    outstanding = owed = overdue = 0
    for loan_id in loan_ids:
        facts = lending.loan_facts(loan_id)
        states[facts.state.value] += 1
        outstanding += facts.outstanding_principal.minor
        owed += facts.total_outstanding.minor
        overdue += facts.overdue_amount.minor
    totals: dict[str, object] = {
        "loans": dict(sorted(states.items())),
        "outstanding_principal": outstanding,
        "total_outstanding": owed,
        "overdue": overdue,
        "delinquent": sorted((d.bucket, d.days_past_due) for d in lending.delinquent_loans(1)),
    }
    if container.collections is not None:
        per_rule, _per_collector = container.collections.service.blocked_summary()
        totals["blocked_by_rule"] = per_rule
        totals["complaints"] = container.collections.complaints.sla_summary()
    return totals
