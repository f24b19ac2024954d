"""What is wrong with a proposal, as problems with stable codes, and `evaluate`: terms to an `Outcome`.

Like beancount's validations, every problem is collected and returned, not
the first raised: an operator sees all that must change at once. A problem
that leaves nothing to compute (a settled loan, a kind switched off, terms
out of range) stops before the schedule is built; the rest are checked on
the schedule built (the APR cap, the product's longest term).

Codes (stable; the API answers them as problem+json, docs/hardship.md):
`loan_settled`, `loan_charged_off`, `loan_not_active`, `type_switched_off`,
`nothing_owed`, `waiver_negative`, `waiver_exceeds_owed`,
`waiver_not_applicable`, `periods_out_of_range`, `method_invalid`,
`installment_not_reduced`, `installment_below_minimum`,
`reduced_below_interest`, `amount_not_positive`,
`settlement_not_below_balance`, `discount_beyond_type_max`,
`pay_by_out_of_range`, `rate_invalid`, `rate_above_cap`,
`first_due_not_after_today`, `shift_beyond_type_max`,
`grace_not_below_term`, `term_beyond_product_max`, `plan_too_long`,
`apr_above_cap`, `schedule_negative_principal`; and from the re-age rule,
`reage_limit_reached` (`reage.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import ROUND_CEILING, Decimal

from fairlend.errors import Conflict, DomainError, Invalid, PolicyViolation
from fairlend.hardship.model import Concessions, Kind, Outcome, Plan, Problem, Terms
from fairlend.hardship.schedules import PLANS
from fairlend.jurisdiction.model import HardshipProfile, PricingProfile
from fairlend.lending.model import LoanState, Method
from fairlend.lending.position_model import LoanPosition, PlannedInstallment
from fairlend.lending.schedule.rebuild import anchor_of, periods_between, remaining_apr, remaining_count

MAX_INSTALLMENTS = 600  # lending's longest schedule

_RULE_NAMES = {
    Kind.PAYMENT_HOLIDAY: "payment_holiday",
    Kind.TERM_EXTENSION: "term_extension",
    Kind.REDUCED_INSTALLMENTS: "reduced_installments",
    Kind.INTEREST_STOP: "interest_stop",
    Kind.DISCOUNTED_SETTLEMENT: "discounted_settlement",
    Kind.OPERATOR_RESCHEDULE: "operator_reschedule",
}


def kind_rules_version(rules: HardshipProfile, kind: Kind) -> int:
    """The version of the kind's rule set a plan is made under (each kind is versioned on its own)."""
    return int(getattr(rules, _RULE_NAMES[kind]).version)


def kind_enabled(rules: HardshipProfile, kind: Kind) -> bool:
    return bool(getattr(rules, _RULE_NAMES[kind]).enabled)


def before(position: LoanPosition, terms: Terms, rules: HardshipProfile, pricing: PricingProfile) -> list[Problem]:
    """Problems that leave no schedule to compute: the loan, the kind, the waivers, the terms' ranges."""
    if position.state is LoanState.SETTLED:
        return [Problem("loan_settled", f"loan {position.loan_id} is settled: nothing is left to modify")]
    if position.state in (LoanState.CHARGED_OFF, LoanState.WRITTEN_OFF):
        return [Problem("loan_charged_off", f"loan {position.loan_id} is {position.state.value}: it is off the books")]
    if position.state is not LoanState.ACTIVE:  # pragma: no cover - every state is named above
        return [Problem("loan_not_active", f"loan {position.loan_id} is {position.state.value}")]
    problems: list[Problem] = []
    if not kind_enabled(rules, terms.kind):
        problems.append(Problem("type_switched_off", f"{terms.kind.value} plans are switched off in this profile"))
    if position.owed <= 0:
        problems.append(Problem("nothing_owed", f"loan {position.loan_id} owes nothing"))
    problems += _waivers(position, terms)
    problems += _KIND_CHECKS[terms.kind](position, terms, rules, pricing)
    return problems


def _waivers(position: LoanPosition, terms: Terms) -> list[Problem]:
    waived = (terms.waive_interest, terms.waive_fees, terms.waive_penalty)
    if min(waived) < 0:
        return [Problem("waiver_negative", "a waiver cannot be negative")]
    if terms.kind is Kind.DISCOUNTED_SETTLEMENT and any(waived):
        return [Problem("waiver_not_applicable", "a settlement forgives everything above its amount; waive nothing")]
    over = []
    if terms.waive_interest > position.interest_billed + position.accrued_interest:
        over.append(f"interest {terms.waive_interest} > {position.interest_billed + position.accrued_interest}")
    if terms.waive_fees > position.fees:
        over.append(f"fees {terms.waive_fees} > {position.fees}")
    if terms.waive_penalty > position.penalty:
        over.append(f"penalty {terms.waive_penalty} > {position.penalty}")
    if over:
        return [Problem("waiver_exceeds_owed", "waives more than is owed: " + "; ".join(over))]
    return []


def _range(value: int, low: int, high: int, what: str) -> list[Problem]:
    if low <= value <= high:
        return []
    return [Problem("periods_out_of_range", f"{what} must be between {low} and {high}, not {value}")]


def _holiday(p: LoanPosition, t: Terms, r: HardshipProfile, pricing: PricingProfile) -> list[Problem]:
    return _range(t.periods, 1, r.payment_holiday.max_periods, "a holiday's periods")


def _extension(p: LoanPosition, t: Terms, r: HardshipProfile, pricing: PricingProfile) -> list[Problem]:
    problems = _range(t.periods, 1, r.term_extension.max_extra_periods, "the periods added")
    if t.method not in (None, Method.EQUAL_INSTALLMENT, Method.EQUAL_PRINCIPAL):
        problems.append(Problem("method_invalid", "re-amortise by equal installment or equal principal"))
    return problems


def _reduced(p: LoanPosition, t: Terms, r: HardshipProfile, pricing: PricingProfile) -> list[Problem]:
    rule = r.reduced_installments
    problems = _range(t.periods, 1, rule.max_periods, "the reduced periods")
    problems += _range(t.extra_periods, 0, rule.max_extra_periods, "the periods added")
    if t.periods >= remaining_count(p) + t.extra_periods:
        problems.append(Problem("periods_out_of_range", "at least one installment must follow the reduced ones"))
    if t.installment >= p.installment:
        problems.append(
            Problem("installment_not_reduced", f"{t.installment} is not below the current installment {p.installment}")
        )
    least = int((Decimal(p.installment) * rule.min_share).to_integral_value(rounding=ROUND_CEILING))
    if t.installment < least:
        problems.append(
            Problem(
                "installment_below_minimum", f"the reduced installment is at least {least} ({rule.min_share} of it)"
            )
        )
    return problems


def _stop(p: LoanPosition, t: Terms, r: HardshipProfile, pricing: PricingProfile) -> list[Problem]:
    return _range(t.periods, 1, r.interest_stop.max_periods, "an interest stop's periods")


def _settlement(p: LoanPosition, t: Terms, r: HardshipProfile, pricing: PricingProfile) -> list[Problem]:
    rule = r.discounted_settlement
    problems: list[Problem] = []
    if t.amount <= 0:
        problems.append(Problem("amount_not_positive", "the settlement amount must be positive"))
    elif t.amount >= p.owed:
        problems.append(Problem("settlement_not_below_balance", f"{t.amount} is not below what is owed, {p.owed}"))
    elif Decimal(p.owed - t.amount) > rule.max_discount * p.owed:
        problems.append(
            Problem("discount_beyond_type_max", f"at most {rule.max_discount} of what is owed ({p.owed}) is forgiven")
        )
    latest = p.as_of + timedelta(days=rule.pay_within_days)
    if t.pay_by is None or not p.as_of < t.pay_by <= latest:
        problems.append(Problem("pay_by_out_of_range", f"the lump sum is due after {p.as_of} and by {latest}"))
    return problems


def _reschedule(p: LoanPosition, t: Terms, r: HardshipProfile, pricing: PricingProfile) -> list[Problem]:
    rule = r.operator_reschedule
    problems = _range(t.periods, 0, rule.max_grace_periods, "the grace periods")
    if t.periods >= remaining_count(p):
        problems.append(Problem("grace_not_below_term", "grace must leave at least one installment to repay principal"))
    if t.rate is not None:
        if not t.rate.is_finite() or t.rate < 0:
            problems.append(Problem("rate_invalid", "the rate is a fraction of at least 0"))
        elif t.rate > pricing.apr_cap:
            problems.append(
                Problem("rate_above_cap", f"the rate {t.rate} is above the cap {pricing.apr_cap}", pricing.apr_cap_rule)
            )
    if t.first_due is not None:
        anchor = anchor_of(p)
        if t.first_due <= p.as_of:
            problems.append(Problem("first_due_not_after_today", f"the first due date must come after {p.as_of}"))
        elif (t.first_due - anchor).days > rule.max_shift_days:
            problems.append(
                Problem("shift_beyond_type_max", f"due dates move at most {rule.max_shift_days} days past {anchor}")
            )
    return problems


_KIND_CHECKS = {
    Kind.PAYMENT_HOLIDAY: _holiday,
    Kind.TERM_EXTENSION: _extension,
    Kind.REDUCED_INSTALLMENTS: _reduced,
    Kind.INTEREST_STOP: _stop,
    Kind.DISCOUNTED_SETTLEMENT: _settlement,
    Kind.OPERATOR_RESCHEDULE: _reschedule,
}


def after(position: LoanPosition, terms: Terms, plan: Plan, apr: Decimal, pricing: PricingProfile) -> list[Problem]:
    """Problems of the schedule built: its APR, its length, the reduced installments' interest."""
    problems: list[Problem] = []
    lines = plan.installments
    if apr > pricing.apr_cap:
        problems.append(
            Problem(
                "apr_above_cap",
                f"the plan's APR of {apr * 100:.2f}% is above the cap of {pricing.apr_cap * 100:.2f}%",
                pricing.apr_cap_rule,
            )
        )
    if len(lines) > MAX_INSTALLMENTS:
        problems.append(Problem("plan_too_long", f"a schedule has at most {MAX_INSTALLMENTS} installments"))
    if position.max_term and lines:
        periods = periods_between(position.open_date, lines[-1].due, position.frequency)
        if periods > position.max_term:
            problems.append(
                Problem(
                    "term_beyond_product_max",
                    f"the loan would run {periods} periods; its product allows {position.max_term}",
                )
            )
    reduced = terms.kind is Kind.REDUCED_INSTALLMENTS
    if reduced and any(line.interest > terms.installment for line in lines[: terms.periods]):
        problems.append(Problem("reduced_below_interest", "a reduced installment must at least pay its interest"))
    return problems


def evaluate(position: LoanPosition, terms: Terms, rules: HardshipProfile, pricing: PricingProfile) -> Outcome:
    """The terms' outcome on the loan: the schedule, cost, APR and concessions, and every problem found."""
    problems = before(position, terms, rules, pricing)
    plan: Plan | None = None
    if not problems:
        try:
            plan = PLANS[terms.kind](position, terms, rules)
        except DomainError as exc:  # lending's refusals: an installment that does not cover its interest
            problems.append(Problem(exc.code, exc.detail))
    if plan is None:
        return Outcome(
            position.loan_id, position.as_of, terms, position.owed, position.paid, (), position.rate,
            Decimal(0), Concessions(), False, tuple(problems),
        )  # fmt: skip
    lines = _trim(plan.installments)
    apr = remaining_apr(position, lines, pricing)
    problems += after(position, terms, plan, apr, pricing)
    return Outcome(
        position.loan_id, position.as_of, terms, position.owed, position.paid, lines, plan.rate, apr,
        Concessions(
            plan.concessions.interest,
            plan.concessions.fees,
            plan.concessions.penalty,
            plan.concessions.principal,
            plan.interest_forgone,
        ),
        plan.stop_penalty, tuple(problems),
    )  # fmt: skip


def _trim(lines: tuple[PlannedInstallment, ...]) -> tuple[PlannedInstallment, ...]:
    """Installments of nothing at the end (principal paid off early by a reduced installment) are dropped."""
    end = len(lines)
    while end > 1 and lines[end - 1].total == 0:
        end -= 1
    return lines[:end]


CONFLICTS = frozenset({"loan_settled", "loan_charged_off", "loan_not_active"})
POLICY = frozenset({"apr_above_cap", "rate_above_cap", "reage_limit_reached", "type_switched_off"})


def refusal(problems: Sequence[Problem]) -> DomainError:
    """The error for a refused proposal: the first problem's code and kind, every problem listed."""
    first = problems[0]
    listed = [{"code": p.code, "detail": p.detail, "rule": p.rule} for p in problems]
    if first.code in CONFLICTS:
        return Conflict(first.code, first.detail, problems=listed)
    if first.code in POLICY:
        rules = sorted({p.rule for p in problems if p.rule})
        return PolicyViolation(first.code, first.detail, rules=rules, problems=listed)
    return Invalid(first.code, first.detail, problems=listed)
