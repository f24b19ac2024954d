"""Builders for policy tests: an attempt and a situation with sensible defaults."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fairlend.collections.model import (
    Attempt,
    LoanState,
    Medium,
    PriorAttempt,
    RecipientKind,
    Situation,
    Violation,
)
from fairlend.collections.policy import evaluate
from fairlend.jurisdiction.loader import load_profile
from fairlend.jurisdiction.model import Profile

CN = load_profile("cn")
US = load_profile("us")
SHANGHAI = "Asia/Shanghai"
NEW_YORK = "America/New_York"

CLEAN_CN = "fairlend来电：您的借款有逾期金额¥100.00，请与我们协商还款。"
CLEAN_US = "fairlend calling about the overdue amount of $100.00 on your loan. Reply STOP to opt out."


def local(tz: str, y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def attempt(profile: Profile = CN, **changes: object) -> Attempt:
    tz = SHANGHAI if profile.code == "cn" else NEW_YORK
    base = Attempt(
        loan_id="loan_1",
        borrower_id="brw_1",
        recipient_kind=RecipientKind.DEBTOR,
        recipient_id="brw_1",
        medium=Medium.CALL,
        number_key="num_debtor",
        template="collection",
        text=CLEAN_CN if profile.code == "cn" else CLEAN_US,
        at=local(tz, 2026, 3, 2, 10),  # a Monday morning
        recipient_tz=tz,
        collector_id="op_1",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def prior(a: Attempt, ago: timedelta, **changes: object) -> PriorAttempt:
    base = PriorAttempt(
        loan_id=a.loan_id,
        recipient_kind=a.recipient_kind,
        recipient_id=a.recipient_id,
        medium=a.medium,
        number_key=a.number_key,
        at=a.at - ago,
        sent=True,
        connected=False,
        conversation=False,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def situation(**changes: object) -> Situation:
    # Ten days overdue: past every profile's collection start (P-7), so other rules are what a test sees.
    return replace(Situation(loan_state=LoanState.ACTIVE, days_past_due=10), **changes)  # type: ignore[arg-type]


def rules_of(found: tuple[Violation, ...]) -> set[str]:
    return {v.rule for v in found}


def check(a: Attempt, s: Situation | None = None, profile: Profile | None = None) -> set[str]:
    chosen = profile or (CN if a.recipient_tz == SHANGHAI else US)
    return rules_of(evaluate(a, s or situation(), chosen))
