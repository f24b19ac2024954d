"""Pure: the EU crowdfunding safeguards for non-sophisticated investors (RULES.md MK-4).

- The entry knowledge test (Regulation (EU) 2020/1503 art. 21(2)(a)): five
  multiple-choice questions, one each on the risk of loss, illiquidity, the
  absence of a guarantee, diversification and the platform's role. The pass
  mark is `PASS_MARK` (4 of 5): one slip is forgiven, a misunderstanding of two
  of the five basics is not.
- The simulation of the ability to bear loss (art. 21(2)(b), Delegated
  Regulation (EU) 2022/2114 art. 4): net worth = yearly income + liquid assets
  − yearly financial commitments (never below zero), and the capacity to bear
  loss is 10 % of it, rounded down to the minor unit.
- The large-investment warning (art. 21(7)): an investment that brings what the
  investor has in one listing above the profile's amount, or above its share of
  the simulated net worth, needs the investor's explicit acknowledgement.
- The reflection period (art. 22): an offer may be revoked while the calendar
  day is at most `reflection_days` after the day it was made.

The questions' and options' wording lives in the portal's locales and in
docs/market.md; here they are ids, so the API and the pages share one key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

LOSS_CAPACITY_SHARE = Decimal("0.10")  # Delegated Regulation (EU) 2022/2114 art. 4
PASS_MARK = 4  # of len(QUESTIONS) correct answers


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    options: tuple[str, ...]
    correct: str


QUESTIONS: tuple[Question, ...] = (
    # If the borrower cannot repay, how much of the money invested can be lost?
    Question("loss", ("nothing", "interest_only", "everything"), "everything"),
    # Can the money be taken back whenever the investor wants it?
    Question("liquidity", ("any_time", "not_before_repaid", "after_a_month"), "not_before_repaid"),
    # Who guarantees the principal and the return?
    Question("guarantee", ("the_platform", "a_deposit_scheme", "nobody"), "nobody"),
    # What lowers the harm one borrower's default can do?
    Question("diversification", ("one_large_note", "many_small_notes", "the_highest_rate"), "many_small_notes"),
    # What is the platform's role?
    Question("platform_role", ("lender_of_last_resort", "intermediary", "investment_adviser"), "intermediary"),
)


@dataclass(frozen=True, slots=True)
class TestResult:
    score: int
    passed: bool
    wrong: tuple[str, ...]  # the ids of the questions answered wrongly or not at all


def mark(answers: Mapping[str, str]) -> TestResult:
    """Score the answers (question id -> option id); unknown questions are ignored, missing ones are wrong."""
    wrong = tuple(q.id for q in QUESTIONS if answers.get(q.id) != q.correct)
    score = len(QUESTIONS) - len(wrong)
    return TestResult(score, score >= PASS_MARK, wrong)


@dataclass(frozen=True, slots=True)
class LossSimulation:
    net_worth_minor: int
    capacity_minor: int  # the loss the investor can bear: 10 % of net worth


def simulate_loss(yearly_income_minor: int, liquid_assets_minor: int, yearly_commitments_minor: int) -> LossSimulation:
    """Delegated Regulation 2022/2114 art. 4: net worth and the capacity to bear loss (10 % of it)."""
    if min(yearly_income_minor, liquid_assets_minor, yearly_commitments_minor) < 0:
        raise ValueError("income, liquid assets and commitments are amounts, never negative")
    net_worth = max(0, yearly_income_minor + liquid_assets_minor - yearly_commitments_minor)
    capacity = int((Decimal(net_worth) * LOSS_CAPACITY_SHARE).to_integral_value(rounding=ROUND_FLOOR))
    return LossSimulation(net_worth, capacity)


def large_investment_limit(limit_minor: int, share: Decimal, net_worth_minor: int | None) -> int | None:
    """The most one listing may hold of the investor's money without the warning (the lower of the two limits).

    A limit of 0 (amount or share) is off; no simulated net worth leaves only the amount. None: no limit."""
    limits = [limit_minor] if limit_minor > 0 else []
    if share > 0 and net_worth_minor is not None:
        limits.append(int((Decimal(net_worth_minor) * share).to_integral_value(rounding=ROUND_FLOOR)))
    return min(limits) if limits else None


def needs_warning(total_in_listing_minor: int, limit: int | None) -> bool:
    """Art. 21(7): warn when the total in one listing goes above the limit (exactly at the limit passes)."""
    return limit is not None and total_in_listing_minor > limit


def may_revoke(made_on: date, today: date, reflection_days: int) -> bool:
    """Art. 22: revocable through the `reflection_days`-th calendar day after the day the offer was made."""
    return reflection_days > 0 and today <= made_on + timedelta(days=reflection_days)


def reflecting_since(today: date, reflection_days: int) -> date:
    """At the end of `today`: commitments made on this day or later are still inside their reflection period."""
    return today - timedelta(days=reflection_days - 1)
