"""Changes inside a schedule: a rate change from a date, a balance correction, a payoff inside a period.

Each worked number is docs/lending.md's, "Changes inside a schedule". The
loan is 10,000 at 18 % for 12 months on 30/360 (916.80 a month), opened on
2026-03-02, the business date of the tests.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.errors import Conflict, DomainError, PolicyViolation
from fairlend.ledger.model import AccountType
from fairlend.lending.model import InterestMethod, InterestRecalculation, LoanState, Product
from fairlend.money import Money
from tests.lending.conftest import product
from tests.lending.helpers import balance, cny, eod_through, events


@pytest.fixture
def loan_id(container: Container, cash12: Product) -> str:
    return container.lending.book_loan("brw_1", cash12.code, cny("10000"))


def _schedule(container: Container, loan_id: str) -> list[tuple[date, int, int]]:
    return [(i.due_date, i.principal.minor, i.interest.minor) for i in container.lending.loan_detail(loan_id).schedule]


def _pay_every_due_date(container: Container, clock: FixedClock, loan_id: str) -> tuple[int, int]:
    """Pay each row of the schedule the day before it falls due; (interest paid, principal paid)."""
    interest = principal = 0
    for row in container.lending.loan_detail(loan_id).schedule:
        if row.status == "paid":
            continue
        if clock.business_date() < row.due_date:
            eod_through(container, clock, row.due_date - timedelta(days=1))
        paid = container.lending.repay(loan_id, Money(row.principal.minor + row.interest.minor + row.fee.minor, "CNY"))
        interest += paid.interest_paid.minor
        principal += paid.principal_paid.minor
        assert paid.days_past_due == 0 and paid.refunded.minor == 0
    assert paid.state is LoanState.SETTLED
    return interest, principal


def _unchanged(container: Container, loan_id: str, before: list[tuple[date, int, int]]) -> None:
    assert _schedule(container, loan_id) == before
    assert container.lending.schedule_versions(loan_id)[-1]["version"] == 1
    assert events(container, "lending.LoanModified") == []


def test_a_rate_change_on_the_booking_day_reprices_every_installment_as_the_new_rate_s_annuity(
    container: Container, clock: FixedClock, loan_id: str
) -> None:
    done = container.lending.change_rate(loan_id, Decimal("0.12"), operator_id="op_1", reason="repriced")
    # 10,000 at 12 % over 12 months: 888.49 a month (rate / 12 = 1 %), the last 888.47 takes the residue.
    rows = _schedule(container, loan_id)
    assert done.installment.minor == 88_849 and done.carried_interest.minor == 0
    assert [p + i for _, p, i in rows[:-1]] == [88_849] * 11
    assert rows[0] == (date(2026, 4, 2), 78_849, 10_000)
    assert sum(p for _, p, _ in rows) == 1_000_000
    interest, principal = _pay_every_due_date(container, clock, loan_id)
    assert principal == 1_000_000
    assert interest == sum(i for _, _, i in rows) == 66_186
    assert container.verify() == []


def test_a_rate_change_mid_period_carries_the_interest_earned_at_the_old_rate_to_the_next_due_date(
    container: Container, clock: FixedClock, loan_id: str
) -> None:
    eod_through(container, clock, date(2026, 3, 11))  # ten days accrued of the first period's 150.00
    assert container.lending.position(loan_id).accrued_interest == 4_838  # 150.00 x 10 / 31, floored
    done = container.lending.change_rate(loan_id, Decimal("0.12"), operator_id="op_1", reason="repriced")
    assert done.carried_interest.minor == 4_838
    rows = _schedule(container, loan_id)
    # The first due date asks for the 48.38 earned and the new period's 20 days (30E/360) at 12 %: 66.67.
    assert rows[0] == (date(2026, 4, 2), 0 + 82_182, 4_838 + 6_667)
    assert sum(p for _, p, _ in rows) == 1_000_000
    interest, principal = _pay_every_due_date(container, clock, loan_id)
    assert principal == 1_000_000
    assert interest == sum(i for _, _, i in rows)
    assert container.verify() == []
    [event] = events(container, "lending.LoanModified")
    assert event["plan"] is False and event["kind"] == "rate_change"
    assert event["operator_id"] == "op_1" and event["reason"] == "repriced"
    [kept] = container.lending.schedule_versions(loan_id)[:1]
    assert kept["replaced_by"] == "rate_change" and kept["reference"] == "op_1"


def test_a_rate_change_from_a_later_day_keeps_the_old_rate_until_that_day(container: Container, loan_id: str) -> None:
    container.lending.change_rate(
        loan_id, Decimal("0.12"), operator_id="op_1", effective=date(2026, 3, 12), reason="step-down"
    )
    rows = _schedule(container, loan_id)
    # 10 days at 18 % and 20 days at 12 %, both 30E/360, rounded once: 50.00 + 66.666... = 116.67. The
    # installment prices that period so: its rate 1 % + 6 % x 10 / 360, the rest 1 %: 889.95 every month,
    # the first repaying 889.95 - 116.67 = 773.28 (docs/lending.md, "A rate change inside a period").
    assert rows[0] == (date(2026, 4, 2), 77_328, 11_667)
    assert [p + i for _, p, i in rows[:-1]] == [88_995] * 11
    assert sum(p for _, p, _ in rows) == 1_000_000


def test_a_rate_above_the_cap_is_refused_naming_the_rule_and_nothing_is_written(
    container: Container, loan_id: str
) -> None:
    before = _schedule(container, loan_id)
    cap = container.profile.pricing.apr_cap
    with pytest.raises(PolicyViolation) as refused:
        container.lending.change_rate(loan_id, cap + Decimal("0.0001"), operator_id="op_1")
    assert refused.value.code == "rate_above_cap"
    assert refused.value.extra["rules"] == [container.profile.pricing.apr_cap_rule]
    _unchanged(container, loan_id, before)


@pytest.mark.parametrize(
    ("rate", "effective", "operator", "code"),
    [
        (Decimal("-0.01"), None, "op_1", "rate_invalid"),
        (Decimal("NaN"), None, "op_1", "rate_invalid"),
        (Decimal("0.12"), date(2026, 3, 1), "op_1", "effective_date_out_of_range"),
        (Decimal("0.12"), date(2027, 3, 2), "op_1", "effective_date_out_of_range"),
        (Decimal("0.12"), None, " ", "operator_required"),
    ],
)
def test_a_bad_rate_change_is_refused_with_its_code_and_nothing_is_written(
    container: Container, loan_id: str, rate: Decimal, effective: date | None, operator: str, code: str
) -> None:
    before = _schedule(container, loan_id)
    with pytest.raises(DomainError) as refused:
        container.lending.change_rate(loan_id, rate, operator_id=operator, effective=effective)
    assert refused.value.code == code
    _unchanged(container, loan_id, before)


def test_a_loan_with_an_installment_due_and_unpaid_is_not_changed(
    container: Container, clock: FixedClock, loan_id: str
) -> None:
    eod_through(container, clock, date(2026, 4, 2))  # the first installment is late
    before = _schedule(container, loan_id)
    for change in (
        lambda: container.lending.change_rate(loan_id, Decimal("0.12"), operator_id="op_1"),
        lambda: container.lending.correct_balance(loan_id, cny("100"), operator_id="op_1", reason="typo"),
    ):
        with pytest.raises(Conflict) as refused:
            change()
        assert refused.value.code == "loan_has_dues"
    _unchanged(container, loan_id, before)


@pytest.fixture
def flat_id(container: Container) -> str:
    """10,000 at 12 % flat for 12 months on 30/360: 100.00 of interest a month on the original principal,
    (10,000 + 1,200) / 12 = 933.33 a month (833.33 of principal, the last 833.37)."""
    container.lending.products.define(product(code="flat", rate=Decimal("0.12"), interest_method=InterestMethod.FLAT))
    return container.lending.book_loan("brw_1", "flat", cny("10000"))


def test_a_flat_loan_s_rate_change_prices_what_remains_on_the_original_principal(
    container: Container, clock: FixedClock, flat_id: str
) -> None:
    assert _schedule(container, flat_id)[0] == (date(2026, 4, 2), 83_333, 10_000)
    done = container.lending.change_rate(flat_id, Decimal("0.08"), operator_id="op_1", reason="repriced")
    rows = _schedule(container, flat_id)
    # 10,000 x 8 % / 12 = 66.67 a month; (10,000 + 12 x 66.67) / 12 = 900.00: 833.33 of principal, the last
    # 833.37.
    assert done.installment.minor == 90_000
    assert [i for _, _, i in rows] == [6_667] * 12
    assert [p for _, p, _ in rows] == [83_333] * 11 + [83_337]
    interest, principal = _pay_every_due_date(container, clock, flat_id)
    assert (interest, principal) == (12 * 6_667, 1_000_000)
    assert container.verify() == []


def test_a_flat_loan_s_rate_change_mid_period_charges_the_rest_of_the_period_by_its_day_count(
    container: Container, clock: FixedClock, flat_id: str
) -> None:
    eod_through(container, clock, date(2026, 3, 11))  # 100.00 x 10 / 31 = 32.25 earned at 12 % flat
    done = container.lending.change_rate(flat_id, Decimal("0.08"), operator_id="op_1")
    rows = _schedule(container, flat_id)
    # 12 March to 2 April is 20 days (30E/360): 10,000 x 8 % x 20 / 360 = 44.44; then 66.67 a month.
    # (10,000 + 44.44 + 11 x 66.67) / 12 = 898.15 a month: the first repays 898.15 - 44.44 = 853.71.
    assert done.carried_interest.minor == 3_225
    assert rows[0] == (date(2026, 4, 2), 85_371, 3_225 + 4_444)
    assert [i for _, _, i in rows[1:]] == [6_667] * 11
    assert sum(p for _, p, _ in rows) == 1_000_000
    interest, principal = _pay_every_due_date(container, clock, flat_id)
    assert principal == 1_000_000 and interest == 3_225 + 4_444 + 11 * 6_667
    assert container.verify() == []


def test_a_flat_loan_s_rate_change_from_a_later_month_keeps_the_months_before_it(
    container: Container, flat_id: str
) -> None:
    container.lending.change_rate(flat_id, Decimal("0.08"), operator_id="op_1", effective=date(2026, 9, 17))
    rows = _schedule(container, flat_id)
    # Six months kept (833.33 + 100.00); 2 Sep - 2 Oct is split: 15 days at 12 % and 15 at 8 % on 10,000,
    # 50.00 + 33.333... = 83.33 rounded once; then 66.67 a month: (5,000.02 + 83.33 + 5 x 66.67) / 6 = 902.78.
    assert rows[:6] == [(d, 83_333, 10_000) for d, _, _ in rows[:6]]
    assert rows[6] == (date(2026, 10, 2), 90_278 - 8_333, 8_333)
    assert [p + i for _, p, i in rows[6:-1]] == [90_278] * 5
    assert [i for _, _, i in rows[7:]] == [6_667] * 5
    assert sum(p for _, p, _ in rows) == 1_000_000


def test_a_flat_loan_s_balance_correction_lowers_the_interest_base_with_the_principal(
    container: Container, clock: FixedClock, flat_id: str
) -> None:
    done = container.lending.correct_balance(flat_id, cny("1000"), operator_id="op_1", reason="booked too high")
    rows = _schedule(container, flat_id)
    # 9,000 x 12 % / 12 = 90.00 a month; (9,000 + 1,080) / 12 = 840.00: 750.00 of principal.
    assert done.installment.minor == 84_000
    assert rows == [(d, 75_000, 9_000) for d, _, _ in rows]
    # A later change prices on the corrected base, not the 10,000 first booked: 9,000 x 8 % / 12 = 60.00.
    container.lending.change_rate(flat_id, Decimal("0.08"), operator_id="op_1")
    assert {i for _, _, i in _schedule(container, flat_id)} == {6_000}
    _, principal = _pay_every_due_date(container, clock, flat_id)
    assert principal == 900_000
    assert container.verify() == []


def test_a_rate_change_from_a_later_due_date_keeps_the_installments_before_it_and_splits_its_period(
    container: Container, clock: FixedClock, loan_id: str
) -> None:
    before = _schedule(container, loan_id)
    container.lending.change_rate(
        loan_id, Decimal("0.12"), operator_id="op_1", effective=date(2026, 9, 17), reason="step-down"
    )
    rows = _schedule(container, loan_id)
    # The six installments due by 2 September stay 916.80 at 18 %; 5,223.18 is left, at 12 % over six
    # months. 2 Sep - 2 Oct is 15 days at 18 % and 15 at 12 % on 5,223.18: 39.17325 + 26.1159 = 65.28975,
    # 65.29 rounded once; the installment prices that period at 1 % + 6 % x 15 / 360 = 1.25 %, the rest at
    # 1 %: 5,223.18 / 5.781167 = 903.48, the first repaying 903.48 - 65.29 = 838.19.
    assert rows[:6] == before[:6]
    assert rows[6] == (date(2026, 10, 2), 83_819, 6_529)
    assert [p + i for _, p, i in rows[6:-1]] == [90_348] * 5
    assert sum(p for _, p, _ in rows) == 1_000_000
    interest, principal = _pay_every_due_date(container, clock, loan_id)
    assert principal == 1_000_000 and interest == sum(i for _, _, i in rows)
    assert container.verify() == []


def test_a_second_change_carries_the_first_one_s_carried_interest_to_the_same_date(
    container: Container, clock: FixedClock, loan_id: str
) -> None:
    eod_through(container, clock, date(2026, 3, 11))
    container.lending.change_rate(loan_id, Decimal("0.12"), operator_id="op_1")
    eod_through(container, clock, date(2026, 3, 21))
    earned = container.lending.position(loan_id)
    carried = earned.interest_billed + earned.accrued_interest
    done = container.lending.change_rate(loan_id, Decimal("0.06"), operator_id="op_2")
    assert done.carried_interest.minor == carried > 4_838
    _, principal = _pay_every_due_date(container, clock, loan_id)
    assert principal == 1_000_000
    assert container.verify() == []


def test_a_balance_correction_writes_the_principal_down_to_credit_loss_and_reamortises_the_rest(
    container: Container, clock: FixedClock, loan_id: str
) -> None:
    loss = balance(container, AccountType.CREDIT_LOSS)
    done = container.lending.correct_balance(loan_id, cny("1000"), operator_id="op_1", reason="fee booked as principal")
    assert done.principal_outstanding.minor == 900_000 and done.written_off.minor == 100_000
    # 9,000 at 18 % over the same 12 months: 825.12 a month.
    assert done.installment.minor == 82_512
    assert balance(container, AccountType.CREDIT_LOSS) - loss == 100_000
    _, principal = _pay_every_due_date(container, clock, loan_id)
    assert principal == 900_000
    assert container.verify() == []
    [event] = events(container, "lending.LoanModified")
    assert event["written_off_principal"]["minor"] == 100_000 and event["plan"] is False


@pytest.mark.parametrize(
    ("amount", "reason", "code"),
    [
        (Money(0, "CNY"), "typo", "amount_not_positive"),
        (Money(-100, "CNY"), "typo", "amount_not_positive"),
        (Money(100, "USD"), "typo", "currency_mismatch"),
        (Money(1_000_000, "CNY"), "typo", "correction_exceeds_principal"),
        (Money(100, "CNY"), "  ", "reason_required"),
    ],
)
def test_a_bad_balance_correction_is_refused_with_its_code_and_nothing_is_written(
    container: Container, loan_id: str, amount: Money, reason: str, code: str
) -> None:
    before = _schedule(container, loan_id)
    with pytest.raises(DomainError) as refused:
        container.lending.correct_balance(loan_id, amount, operator_id="op_1", reason=reason)
    assert refused.value.code == code
    _unchanged(container, loan_id, before)
    assert container.verify() == []


def test_a_recalculated_loan_changes_rate_and_still_settles_with_verify_clean(
    container: Container, clock: FixedClock
) -> None:
    container.lending.products.define(product(code="recalc", interest_recalculation=InterestRecalculation.DAILY))
    loan_id = container.lending.book_loan("brw_1", "recalc", cny("10000"))
    eod_through(container, clock, date(2026, 3, 16))
    container.lending.change_rate(loan_id, Decimal("0.10"), operator_id="op_1")
    _, principal = _pay_every_due_date(container, clock, loan_id)
    assert principal == 1_000_000
    assert container.verify() == []


def test_a_payoff_inside_a_period_asks_for_the_principal_and_the_interest_earned_to_the_day(
    container: Container, clock: FixedClock, loan_id: str
) -> None:
    eod_through(container, clock, date(2026, 3, 11))
    position = container.lending.position(loan_id)
    quote = container.lending.payoff_quote(loan_id)
    # What a change would carry is what a payoff asks for: earned to the day, nothing of the time to come.
    assert quote.interest.minor == position.interest_billed + position.accrued_interest == 4_838
    assert quote.total.minor == 1_000_000 + 4_838
    paid = container.lending.settle_early(loan_id)
    assert paid.state is LoanState.SETTLED
    assert container.verify() == []
