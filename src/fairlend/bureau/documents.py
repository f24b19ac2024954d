"""The bureau's documents (pure): the credit report, the acknowledgement of a file, notices.

Value objects that cross the bureau's border through `fairlend.bureau.client`,
and the report's summary (accounts, balances, overdue, the worst status in
24 months, months since the last delinquency).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from fairlend.bureau.consent import InquiryKind, InquiryPurpose
from fairlend.bureau.model import AccountState, normalise_id_number, scheme_for
from fairlend.jurisdiction.model import BureauProfile
from fairlend.money import Money

# -- the report ------------------------------------------------------------------


def mask_id_number(id_number: str) -> str:
    """Keep the first 3 and last 4 characters of the normalised number, as Chinese and US reports do."""
    value = normalise_id_number(id_number)
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(name: str) -> str:
    name = name.strip()
    if not name:
        return ""
    if all(ord(ch) > 0x2E7F for ch in name):  # CJK: keep the family name
        return name[0] + "*" * (len(name) - 1)
    return " ".join(part[0] + "*" * (len(part) - 1) for part in name.split())


@dataclass(frozen=True, slots=True)
class NegativeRecord:
    started_on: date
    ended_on: date | None
    charged_off: bool
    removal_on: date | None
    first_month: str
    last_month: str


@dataclass(frozen=True, slots=True)
class AccountReport:
    institution_id: str
    institution_name: str
    account_ref: str
    account_type: str
    currency: str
    amount: Money
    open_date: date
    term_months: int
    state: AccountState
    balance: Money
    amount_overdue: Money
    days_overdue: int
    account_status: str  # CN-17 code or Metro 2 account status of the latest month
    payment_rating: str
    grid: tuple[str, ...]  # newest first
    grid_start: str  # the month of grid[0], "YYYY-MM"
    negative_records: tuple[NegativeRecord, ...]
    open_disputes: tuple[str, ...]
    suppressed_months: tuple[str, ...]
    notice_status: str  # NoticeCheck value, "" when no negative record
    # The profile's code while a hardship plan governs the account or once it was settled for less ("": none).
    special_comment: str = ""
    modified_on: date | None = None  # the day the latest plan changed the terms


@dataclass(frozen=True, slots=True)
class InquiryRecord:
    inquiry_id: str
    inquired_on: date
    institution_id: str
    institution_name: str
    kind: InquiryKind
    purpose: InquiryPurpose
    free: bool


@dataclass(frozen=True, slots=True)
class DisputeMark:
    dispute_id: str
    institution_id: str
    account_ref: str
    month: str
    status: str  # open | verified | corrected | suppressed
    opened_on: date
    deadline: date
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ReportSummary:
    accounts: int
    open_accounts: int
    total_balance: tuple[Money, ...]  # one per currency
    amount_overdue: tuple[Money, ...]
    worst_status_24m: str
    months_since_last_delinquency: int | None


@dataclass(frozen=True, slots=True)
class CreditReport:
    report_id: str
    profile: str
    generated_on: date
    name_masked: str
    id_number_masked: str
    summary: ReportSummary
    accounts: tuple[AccountReport, ...]
    inquiries: tuple[InquiryRecord, ...]
    disputes: tuple[DisputeMark, ...]


def _totals(amounts: Iterable[Money]) -> tuple[Money, ...]:
    sums: dict[str, int] = {}
    for amount in amounts:
        sums[amount.currency] = sums.get(amount.currency, 0) + amount.minor
    return tuple(Money(minor, currency) for currency, minor in sorted(sums.items()))


def summarise(profile: BureauProfile, accounts: Sequence[AccountReport], *, window: int = 24) -> ReportSummary:
    """Accounts, balances, overdue, the worst status in 24 months, months since the last delinquency."""
    scheme = scheme_for(profile)
    worst = ""
    worst_rank = -1
    since: int | None = None
    for account in accounts:
        for age, code in enumerate(account.grid):
            if age < window:
                rank = scheme.severity.get(code, 0)
                if code and rank > worst_rank:
                    worst, worst_rank = code, rank
            if code in scheme.negative_codes and (since is None or age < since):
                since = age
    live = [a for a in accounts if a.state in (AccountState.OPEN, AccountState.COLLECTION, AccountState.CHARGED_OFF)]
    return ReportSummary(
        accounts=len(accounts),
        open_accounts=sum(1 for a in accounts if a.state in (AccountState.OPEN, AccountState.COLLECTION)),
        total_balance=_totals(a.balance for a in live),
        amount_overdue=_totals(a.amount_overdue for a in live),
        worst_status_24m=worst,
        months_since_last_delinquency=since,
    )


# -- the acknowledgement of a reporting file ---------------------------------------


@dataclass(frozen=True, slots=True)
class LineOutcome:
    """A rejected line, or a warning on an applied one (line numbers start at 1)."""

    line: int
    record_id: str
    code: str
    reason: str
    field: str = ""  # a Metro 2 file's refused field and its 1-based position in the line
    position: int = 0


@dataclass(frozen=True, slots=True)
class Ack:
    submission_id: str
    sha256: str
    lines: int
    applied: int
    duplicates: int  # record ids applied before: skipped, not an error
    rejected: tuple[LineOutcome, ...]
    warnings: tuple[LineOutcome, ...]
    replayed: bool = False  # the same file was submitted before; nothing changed

    def to_json(self) -> dict[str, object]:
        return {
            "submission_id": self.submission_id,
            "sha256": self.sha256,
            "lines": self.lines,
            "applied": self.applied,
            "duplicates": self.duplicates,
            "rejected": [_outcome_json(o) for o in self.rejected],
            "warnings": [_outcome_json(o) for o in self.warnings],
            "replayed": self.replayed,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Ack:
        def outcomes(key: str) -> tuple[LineOutcome, ...]:
            items = data.get(key, [])
            assert isinstance(items, list)
            return tuple(
                LineOutcome(
                    int(i["line"]),
                    str(i["record_id"]),
                    str(i["code"]),
                    str(i["reason"]),
                    str(i.get("field", "")),
                    int(i.get("position", 0)),
                )
                for i in items
            )

        return cls(
            submission_id=str(data["submission_id"]),
            sha256=str(data["sha256"]),
            lines=int(str(data["lines"])),
            applied=int(str(data["applied"])),
            duplicates=int(str(data["duplicates"])),
            rejected=outcomes("rejected"),
            warnings=outcomes("warnings"),
            replayed=bool(data.get("replayed", False)),
        )


def _outcome_json(outcome: LineOutcome) -> dict[str, object]:
    data: dict[str, object] = {
        "line": outcome.line,
        "record_id": outcome.record_id,
        "code": outcome.code,
        "reason": outcome.reason,
    }
    if outcome.field:
        data["field"], data["position"] = outcome.field, outcome.position
    return data


@dataclass(frozen=True, slots=True)
class OutcomeNotice:
    """What the person is told when their dispute is answered or lapses (CN-15, CR-7)."""

    notice_id: str
    dispute_id: str
    outcome: str
    text: str
    created_on: date


@dataclass(frozen=True, slots=True)
class RetentionRemoval:
    """One negative record the retention job removed, for its log (CN-12, CR-6)."""

    account_id: str
    file_id: str
    started_on: date
    ended_on: date | None
    removal_on: date
    months_removed: int
    charged_off: bool


@dataclass(frozen=True, slots=True)
class Institution:
    institution_id: str
    name: str


@dataclass(frozen=True, slots=True)
class InstitutionCredentials:
    institution_id: str
    name: str
    api_key: str  # shown once; the bureau keeps only its hash
