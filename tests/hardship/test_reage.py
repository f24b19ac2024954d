"""Re-aging and keeping a plan, at the profiles' boundaries: the 3rd payment, 12 months, 5 years."""

from __future__ import annotations

from datetime import date, timedelta

from fairlend.hardship.reage import Standing, progress, reage_limit_problem, reages_within, should_reage
from fairlend.lending.position_model import InstallmentState
from fairlend.lending.schedule import add_months
from tests.hardship.support import CN, US

START = date(2026, 5, 5)
GRACE = 3  # the loan's own grace days: paid by due + 3 is on time


def _plan(paid_after_due: list[int | None], count: int = 6) -> list[InstallmentState]:
    """A monthly plan; paid_after_due[k] is how many days after the k-th due date it was paid (None: unpaid)."""
    out = []
    for k in range(count):
        due = add_months(START, k)
        late = paid_after_due[k] if k < len(paid_after_due) else None
        paid_on = due + timedelta(days=late) if late is not None else None
        out.append(InstallmentState(k + 1, due, due + timedelta(days=GRACE), 10_000, 0 if paid_on else 10_000, paid_on))
    return out


def test_us_re_ages_on_the_third_consecutive_on_time_payment_and_not_the_second() -> None:
    policy = US.hardship.reage
    two = progress(_plan([0, 0]), add_months(START, 2) - timedelta(days=1), 30, policy)
    assert two.standing is Standing.KEPT and two.counted == 2
    assert not should_reage(policy, two, [], add_months(START, 2))
    three = progress(_plan([0, -5, GRACE]), add_months(START, 2) + timedelta(days=GRACE), 30, policy)
    assert three.counted == 3
    assert should_reage(policy, three, [], add_months(START, 2) + timedelta(days=GRACE))


def test_us_a_late_plan_payment_starts_the_count_over() -> None:
    policy = US.hardship.reage
    plan = progress(_plan([0, GRACE + 1, 0, 0]), add_months(START, 3), 30, policy)
    assert plan.standing is Standing.KEPT
    assert plan.counted == 2  # the late second payment started the run over
    assert not should_reage(policy, plan, [], add_months(START, 3))
    assert progress(_plan([0, GRACE + 1, 0, 0, 0]), add_months(START, 4), 30, policy).counted == 3


def test_cn_re_ages_once_the_first_plan_payment_is_made_even_late() -> None:
    policy = CN.hardship.reage
    before = progress(_plan([]), START, 15, policy)
    assert before.counted == 0 and not should_reage(policy, before, [], START)
    late = progress(_plan([GRACE + 2]), START + timedelta(days=GRACE + 2), 15, policy)
    assert late.counted == 1 and should_reage(policy, late, [], START + timedelta(days=GRACE + 2))


def test_us_allows_one_re_age_in_twelve_months_counted_to_the_day() -> None:
    policy = US.hardship.reage
    last = date(2026, 3, 15)
    problem = reage_limit_problem(policy, [last], date(2027, 3, 14))
    assert problem is not None and problem.code == "reage_limit_reached" and problem.rule == "FFIEC"
    assert reage_limit_problem(policy, [last], date(2027, 3, 15)) is None  # twelve months later: allowed


def test_us_allows_two_re_ages_in_five_years() -> None:
    policy = US.hardship.reage
    history = [date(2022, 6, 1), date(2024, 6, 1)]
    problem = reage_limit_problem(policy, history, date(2027, 5, 31))
    assert problem is not None and "5 years" in problem.detail
    assert reage_limit_problem(policy, history, date(2027, 6, 1)) is None  # the first one left the window
    assert reages_within(history, date(2027, 6, 1), 60) == 1


def test_cn_has_no_re_age_limit() -> None:
    history = [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert reage_limit_problem(CN.hardship.reage, history, date(2026, 3, 2)) is None


def test_a_plan_breaks_when_a_payment_is_unpaid_at_the_end_of_its_grace_and_not_a_day_before() -> None:
    policy = CN.hardship.reage  # 15 days' grace in cn
    plan = _plan([0])
    second_due = add_months(START, 1)
    assert progress(plan, second_due + timedelta(days=14), 15, policy).standing is Standing.KEPT
    broken = progress(plan, second_due + timedelta(days=15), 15, policy)
    assert broken.standing is Standing.BROKEN and broken.missed is not None and broken.missed.due == second_due
    assert not should_reage(policy, broken, [], second_due + timedelta(days=15))


def test_a_plan_is_completed_when_every_payment_is_made_and_a_part_payment_is_not_made() -> None:
    policy = CN.hardship.reage
    assert progress(_plan([0, 0], count=2), add_months(START, 1), 15, policy).standing is Standing.COMPLETED
    arrears = InstallmentState(9, START, START + timedelta(days=GRACE), 500, 0, START)
    regular = InstallmentState(10, START, START + timedelta(days=GRACE), 10_000, 1, None)
    part = progress([arrears, regular], START + timedelta(days=1), 15, policy)
    assert part.standing is Standing.KEPT and part.payments[0].paid_on is None and part.counted == 0
