"""A member's Metro 2 file as the bureau's records (pure): every field checked, each base segment mapped.

The file is read line by line (`fairlend.metro2.file.read`): a bad header or
trailer, or a trailer whose totals disagree with the lines, refuses the file
whole. A base segment that breaks the layout or a content rule is refused
with its record number, field and 1-based position; a good one becomes the
same records a JSON file would send (docs/bureau-reporting.md), so it is
applied through the same path, with the same credit files, retention and
disputes. Record ids are those fairlend's own reporter uses
(`<account>:opened`, `:settled`, `:charge_off`), so an account reported in
both formats is applied once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from fairlend.bureau.documents import LineOutcome
from fairlend.bureau.model import SettledBy
from fairlend.bureau.records import Person, Record, RecordType
from fairlend.metro2 import codes
from fairlend.metro2.codec import FieldProblem
from fairlend.metro2.file import Account, FileRefused, Reading, read
from fairlend.metro2.layout import BASE
from fairlend.metro2.scan import scan

# A Metro 2 file is told from JSON Lines by its first record: an RDW, then HEADER.
HEADER_MARK = b"HEADER"
CHUNK = 5_000  # base segments applied at a time: memory stays flat in the file's size
CENTS = 100  # Metro 2 amounts are whole dollars; the bureau keeps minor units
# CRRG special comments and the plan kind whose profile code (us.toml [bureau.modification_codes]) they are.
_COMMENT_KINDS = {"CP": "payment_holiday", "CO": "term_extension", "AC": "reduced_installments"}
_DATES = ("date_opened", "date_account_information", "date_first_delinquency", "date_closed", "date_last_payment")


def is_metro2(content: bytes) -> bool:
    """A JSON line starts with `{`; a Metro 2 record with its four-digit record descriptor word."""
    return content[:4].isdigit() and (content[4:10] == HEADER_MARK or len(content.split(b"\n", 1)[0]) >= 366)


@dataclass
class Parsed:
    lines: int = 0
    records: list[Record] = field(default_factory=list)
    rejected: list[LineOutcome] = field(default_factory=list)
    openings: set[str] = field(default_factory=set)  # the opening records a base segment implies


def check(content: bytes) -> None:
    """The first pass: header, trailer and every total, in constant memory; FileRefused when wrong."""
    scan(_lines(content))


def parts(content: bytes, today: date, size: int | None = None) -> Iterator[Parsed]:
    """The second pass: every field checked, the records of at most `size` base segments at a time.

    The last part carries the file's record count in `lines`.
    """
    size = size or CHUNK
    part = Parsed()
    reading = Reading()
    segments = 0
    for number, item in read(_lines(content), reading, check_totals=False):
        if isinstance(item, FieldProblem):
            part.rejected.append(_outcome(item))
            continue
        try:
            _check(item, number, today)
        except FieldProblem as problem:
            part.rejected.append(_outcome(problem, str(item.base["consumer_account_number"])))
            continue
        _records(item, number, part)
        segments += 1
        if segments == size:
            yield part
            part, segments = Parsed(), 0
    part.lines = reading.records
    yield part


def parse(content: bytes, today: date) -> Parsed:
    """The whole file at once (tests and the bench's memory figure): both passes, one Parsed."""
    check(content)
    whole = Parsed()
    for part in parts(content, today):
        whole.records.extend(part.records)
        whole.rejected.extend(part.rejected)
        whole.openings.update(part.openings)
        whole.lines = part.lines
    return whole


def refusal(refused: FileRefused) -> LineOutcome:
    return _outcome(refused.problem)


def _lines(content: bytes) -> Iterator[bytes]:
    start = 0
    while start < len(content):
        end = content.find(b"\n", start)
        if end < 0:
            end = len(content)
        yield content[start:end]
        start = end + 1


def _outcome(problem: FieldProblem, record_id: str = "") -> LineOutcome:
    return LineOutcome(
        problem.record, record_id, problem.code, f"{problem.field} at position {problem.position}: {problem.reason}",
        problem.field, problem.position,
    )  # fmt: skip


def _problem(number: int, name: str, code: str, reason: str) -> FieldProblem:
    return FieldProblem(number, name, BASE.field(name).start, code, reason)


def _check(account: Account, number: int, today: date) -> None:
    """The content rules a base segment must meet beyond its layout (the CRRG's, as the bureau applies them)."""
    base = account.base
    status = base["account_status"]
    if status not in codes.STATUSES or status == codes.DELETE:
        raise _problem(number, "account_status", "unknown_status", "not an account status the bureau takes (CR-2)")
    if not base["consumer_account_number"]:
        raise _problem(number, "consumer_account_number", "missing_field", "the account number is required")
    if not base["surname"]:
        raise _problem(number, "surname", "missing_field", "the consumer's surname is required")
    if not base["social_security_number"]:
        # The credit file is keyed by the identification number: without it the record cannot be filed.
        raise _problem(number, "social_security_number", "missing_field", "the consumer's SSN is required")
    if base["date_opened"] is None:
        raise _problem(number, "date_opened", "missing_field", "the date opened is required")
    if base["date_account_information"] is None:
        raise _problem(
            number, "date_account_information", "missing_field", "the date of account information is required"
        )
    for name in (*_DATES, "date_birth"):
        value = base[name]
        if value is not None and value > today:
            raise _problem(number, name, "future_date", "a date in the future")
    if base["date_account_information"] < base["date_opened"]:
        raise _problem(number, "date_account_information", "inconsistent", "before the date opened")
    if base["payment_rating"] and base["payment_rating"] not in codes.RATINGS:
        raise _problem(number, "payment_rating", "invalid_field", "not a payment rating")
    if status == codes.PAID and not base["payment_rating"]:
        raise _problem(number, "payment_rating", "missing_field", "status 13 needs a payment rating (CRRG)")
    profile = base["payment_history_profile"]
    if len(profile) != codes.PROFILE_MONTHS or not codes.PROFILE_CHARACTERS.issuperset(profile):
        raise _problem(number, "payment_history_profile", "invalid_field", "24 profile characters (CR-4)")
    comment = base["special_comment"]
    if comment and comment not in codes.SPECIAL_COMMENTS:
        raise _problem(number, "special_comment", "invalid_field", "not a special comment the bureau takes")
    compliance = base["compliance_condition_code"]
    if compliance and compliance not in codes.COMPLIANCE_CODES:
        raise _problem(number, "compliance_condition_code", "invalid_field", "not a compliance condition code")
    if status in codes.DELINQUENT_STATUSES and not base["amount_past_due"]:
        raise _problem(number, "amount_past_due", "inconsistent", "a delinquent status needs an amount past due")
    if status in codes.DELINQUENT_STATUSES and base["date_first_delinquency"] is None:
        raise _problem(number, "date_first_delinquency", "missing_field", "a delinquent status needs it (CR-5)")
    if status == codes.CHARGED_OFF and not base["original_charge_off_amount"]:
        raise _problem(number, "original_charge_off_amount", "missing_field", "status 97 needs it (CRRG)")
    if status == codes.PAID and (base["current_balance"] or base["amount_past_due"]):
        raise _problem(number, "current_balance", "inconsistent", "a paid account reports a zero balance (CRRG)")


def _records(account: Account, number: int, parsed: Parsed) -> None:
    base = account.base
    ref = str(base["consumer_account_number"])
    as_of: date = base["date_account_information"]
    opened: date = base["date_opened"]
    given, middle, surname = base["first_name"], base["middle_name"], base["surname"]
    name = f"{given} {middle} {surname}" if middle else f"{given} {surname}" if given else surname
    terms = str(base["terms_duration"])
    parsed.openings.add(f"{ref}:opened")
    parsed.records.append(
        Record(
            line=number,
            record_id=f"{ref}:opened",
            type=RecordType.ACCOUNT_OPENED,
            account_ref=ref,
            day=opened,
            person=Person(name, f"{base['social_security_number']:09d}", "us.ssn"),
            account_type="loan",
            currency="USD",
            amount=max(1, base["highest_credit"] * CENTS),
            term_months=int(terms) if terms.isdigit() else 0,
            due_schedule=f'{{"frequency": "monthly", "installment_amount": {base["scheduled_monthly_payment_amount"] * CENTS}}}',
        )
    )
    status = base["account_status"]
    comment = base["special_comment"]
    if comment in _COMMENT_KINDS:
        parsed.records.append(
            Record(
                number, f"{ref}:m2:comment:{comment}", RecordType.MODIFICATION, ref, as_of, kind=_COMMENT_KINDS[comment]
            )
        )
    if status == codes.PAID:
        parsed.records.append(
            Record(
                number, f"{ref}:settled", RecordType.SETTLEMENT, ref, base["date_closed"] or as_of,
                balance=0, settled_by=SettledBy.BORROWER, for_less=comment == codes.SETTLED_FOR_LESS,
            )
        )  # fmt: skip
        return
    if status == codes.CHARGED_OFF:
        parsed.records.append(
            Record(
                number, f"{ref}:charge_off", RecordType.CHARGE_OFF, ref, base["date_closed"] or as_of,
                amount=base["original_charge_off_amount"] * CENTS,
            )
        )  # fmt: skip
        return
    first: date | None = base["date_first_delinquency"]
    days = 0
    if status in codes.DELINQUENT_STATUSES and first is not None:
        # The status says the bucket, the date of first delinquency the day count within it (CR-5); a DOFD
        # kept across a partial catch-up gives more days than the bucket: the bucket's first day then.
        days = (as_of - first).days + 1
        low = codes.STATUS_DAYS[status]
        if codes.status_for(days) != status:
            days = low
    parsed.records.append(
        Record(
            number, f"{ref}:m2:{as_of.isoformat()}", RecordType.STATUS, ref, as_of,
            balance=base["current_balance"] * CENTS, amount_overdue=base["amount_past_due"] * CENTS,
            days_overdue=days, first_delinquency_date=first if days else None,
            in_collection=status == codes.COLLECTION,
        )
    )  # fmt: skip
