"""Hardship plans as pure data: the kinds, the reasons, the terms an operator proposes, what they come to.

A plan replaces a loan's schedule with a new version (lending's
`ScheduleChange`). `schedules.py` computes it from the loan's
`LoanPosition` and the `Terms`, per kind; `checks.py` says what is wrong
with a proposal, as problems with stable codes; `reage.py` holds the re-age
rule and keeping and breaking. Everything here is pure: no storage, no clock.

Amounts are integers of minor units in the loan's currency.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from fairlend.jurisdiction.model import DeclineReason as DeclineReason  # the profile names the cool-down's
from fairlend.lending.model import Method
from fairlend.lending.position_model import PlannedInstallment


class Kind(enum.StrEnum):
    PAYMENT_HOLIDAY = "payment_holiday"  # 延期还款
    TERM_EXTENSION = "term_extension"
    REDUCED_INSTALLMENTS = "reduced_installments"
    INTEREST_STOP = "interest_stop"  # 停息挂账 / 个性化分期
    DISCOUNTED_SETTLEMENT = "discounted_settlement"  # 减免结清
    OPERATOR_RESCHEDULE = "operator_reschedule"


class Reason(enum.StrEnum):
    """Why the borrower asks; a category only: health details are sensitive data and never asked for."""

    JOB_LOSS = "job_loss"
    ILLNESS = "illness"
    INCOME_DROP = "income_drop"
    DISASTER = "disaster"
    OTHER = "other"


class RequestStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for an operator's answer (the profile's clock runs)
    PROPOSED = "proposed"  # an offer is with the borrower
    DECLINED = "declined"
    ACCEPTED = "accepted"  # the plan is in force
    EXPIRED = "expired"  # the offer was not accepted within the profile's `offer_valid_days`


class ProposalStatus(enum.StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"  # concessions above the threshold: a second operator must approve
    OFFERED = "offered"  # the borrower may accept
    REJECTED = "rejected"  # the second operator refused it
    ACCEPTED = "accepted"
    WITHDRAWN = "withdrawn"  # replaced by a later proposal, or the request was declined
    EXPIRED = "expired"  # offered, not accepted in time (end-of-day closes it)


class PlanStatus(enum.StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"  # every plan installment paid
    BROKEN = "broken"  # a plan installment unpaid past the profile's grace
    ENDED = "ended"  # the loan left the books another way (settled early, charged off)


def starts_cooldown(status: RequestStatus, reasons: Iterable[str], cooldown_reasons: Iterable[DeclineReason]) -> bool:
    """Whether a closed request keeps the loan from a new one for the profile's `cooldown_days`.

    An offer left to expire always does. A decline does when any of its reasons is one of the profile's
    `cooldown_reasons`: "incomplete" is not (by default), because its remedy is to ask again at once with
    more information.
    """
    if status is RequestStatus.EXPIRED:
        return True
    return status is RequestStatus.DECLINED and bool(set(reasons) & {r.value for r in cooldown_reasons})


@dataclass(frozen=True, slots=True)
class Terms:
    """What an operator proposes. Fields that do not apply to the kind stay at their zero value.

    - payment holiday: `periods` without payment
    - term extension: `periods` added, `method` of re-amortisation
    - reduced installments: `periods` at `installment`, then `extra_periods` more at most
    - interest stop: `periods` of principal-only installments
    - discounted settlement: `amount` paid by `pay_by`
    - operator reschedule: `first_due` (moves every due date), `rate`, `periods` of grace (interest only)
    Every kind may waive penalty, fees and interest already charged (`waive_*`), except a settlement,
    which forgives everything above its amount.
    """

    kind: Kind
    periods: int = 0
    extra_periods: int = 0
    method: Method | None = None
    installment: int = 0
    amount: int = 0
    pay_by: date | None = None
    first_due: date | None = None
    rate: Decimal | None = None
    waive_interest: int = 0
    waive_fees: int = 0
    waive_penalty: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "periods": self.periods,
            "extra_periods": self.extra_periods,
            "method": self.method.value if self.method else None,
            "installment": self.installment,
            "amount": self.amount,
            "pay_by": self.pay_by.isoformat() if self.pay_by else None,
            "first_due": self.first_due.isoformat() if self.first_due else None,
            "rate": str(self.rate) if self.rate is not None else None,
            "waive_interest": self.waive_interest,
            "waive_fees": self.waive_fees,
            "waive_penalty": self.waive_penalty,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Terms:
        return cls(
            kind=Kind(data["kind"]),
            periods=int(data.get("periods") or 0),
            extra_periods=int(data.get("extra_periods") or 0),
            method=Method(data["method"]) if data.get("method") else None,
            installment=int(data.get("installment") or 0),
            amount=int(data.get("amount") or 0),
            pay_by=date.fromisoformat(data["pay_by"]) if data.get("pay_by") else None,
            first_due=date.fromisoformat(data["first_due"]) if data.get("first_due") else None,
            rate=Decimal(data["rate"]) if data.get("rate") is not None else None,
            waive_interest=int(data.get("waive_interest") or 0),
            waive_fees=int(data.get("waive_fees") or 0),
            waive_penalty=int(data.get("waive_penalty") or 0),
        )


@dataclass(frozen=True, slots=True)
class Concessions:
    """What the lender gives up.

    `interest`, `fees`, `penalty` and `principal` were owed when the plan
    began and are waived or written off (ledger entries on acceptance).
    `interest_forgone` is interest not charged for time to come (a holiday
    whose interest is waived, an interest stop, a lower rate): never owed, so
    never posted, but a concession all the same, and counted for approval.
    """

    interest: int = 0
    fees: int = 0
    penalty: int = 0
    principal: int = 0
    interest_forgone: int = 0

    @property
    def owed(self) -> int:
        """What was owed and is given up: the part the new schedule does not carry."""
        return self.interest + self.fees + self.penalty + self.principal

    @property
    def total(self) -> int:
        """The measure the maker-checker threshold applies to."""
        return self.owed + self.interest_forgone


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with a proposal: a stable `code`, a sentence, and the rule it names if any."""

    code: str
    detail: str
    rule: str = ""


@dataclass(frozen=True, slots=True)
class Plan:
    """A kind's new schedule before the checks: installments, the rate they run at, interest forgone."""

    installments: tuple[PlannedInstallment, ...]
    rate: Decimal
    interest_forgone: int = 0
    stop_penalty: bool = False
    concessions: Concessions = field(default_factory=Concessions)


@dataclass(frozen=True, slots=True)
class Outcome:
    """A proposal's numbers: the new schedule, what it costs, its APR, the concessions, and any problems.

    When `problems` is empty the outcome may be offered. `fingerprint`
    names exactly these numbers: the borrower accepts the numbers they saw,
    and a loan that moved since gives other numbers and another fingerprint.
    """

    loan_id: str
    as_of: date
    terms: Terms
    owed: int  # what the loan owed when the plan was computed
    paid: int  # what had been paid on it by then
    installments: tuple[PlannedInstallment, ...]
    rate: Decimal
    apr: Decimal
    concessions: Concessions
    stop_penalty: bool
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def new_interest(self) -> int:
        """The plan's cost: interest the new schedule charges for the time to come."""
        return sum(line.interest for line in self.installments)

    @property
    def total_payable(self) -> int:
        return sum(line.total for line in self.installments)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.problems)

    @property
    def fingerprint(self) -> str:
        body = {
            "loan_id": self.loan_id,
            "as_of": self.as_of.isoformat(),
            "terms": self.terms.to_dict(),
            "rate": str(self.rate),
            "apr": str(self.apr),
            "concessions": [
                self.concessions.interest,
                self.concessions.fees,
                self.concessions.penalty,
                self.concessions.principal,
                self.concessions.interest_forgone,
            ],
            "installments": [installment_to_dict(line) for line in self.installments],
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def installment_to_dict(line: PlannedInstallment) -> dict[str, Any]:
    return {
        "start": line.start.isoformat(),
        "due": line.due.isoformat(),
        "principal": line.principal,
        "interest": line.interest,
        "arrears_principal": line.arrears_principal,
        "arrears_interest": line.arrears_interest,
        "arrears_fee": line.arrears_fee,
    }


def installment_from_dict(data: dict[str, Any]) -> PlannedInstallment:
    return PlannedInstallment(
        start=date.fromisoformat(data["start"]),
        due=date.fromisoformat(data["due"]),
        principal=int(data["principal"]),
        interest=int(data["interest"]),
        arrears_principal=int(data["arrears_principal"]),
        arrears_interest=int(data["arrears_interest"]),
        arrears_fee=int(data["arrears_fee"]),
    )
