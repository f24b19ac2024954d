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
from functools import lru_cache
from io import BytesIO
from typing import NamedTuple

from fairlend.bureau.documents import LineOutcome
from fairlend.bureau.model import SettledBy
from fairlend.bureau.records import Person, Record, RecordType
from fairlend.metro2 import codes
from fairlend.metro2.codec import FieldProblem
from fairlend.metro2.cut import Cutter
from fairlend.metro2.file import FileRefused, Reading, account_lines, decode_account
from fairlend.metro2.layout import BASE, RECORD_LENGTH
from fairlend.metro2.scan import Tally

# A Metro 2 file is told from JSON Lines by its first record: an RDW, then HEADER.
HEADER_MARK = b"HEADER"
CHUNK = 5_000  # base segments applied at a time: memory stays flat in the file's size
CENTS = 100  # Metro 2 amounts are whole dollars; the bureau keeps minor units
# CRRG special comments and the plan kind whose profile code (us.toml [bureau.modification_codes]) they are.
_COMMENT_KINDS = {"CP": "payment_holiday", "CO": "term_extension", "AC": "reduced_installments"}
# The base segment's dates in layout order (each is checked against the business date).
BASE_DATES = tuple(f.name for f in BASE.fields if f.kind == "D")


def is_metro2(content: bytes) -> bool:
    """A JSON line starts with `{`; a Metro 2 record with its four-digit record descriptor word."""
    return content[:4].isdigit() and (content[4:10] == HEADER_MARK or len(content.split(b"\n", 1)[0]) >= 366)


# The base segment's fields the bureau reads, by kind, in the order `_segment` takes them (the cutter's
# tuples, or the same built from a decoded segment). Every field is still checked: these are the kept ones.
_TEXTS = (
    "consumer_account_number", "surname", "first_name", "middle_name", "account_status", "payment_rating",
    "payment_history_profile", "special_comment", "compliance_condition_code", "terms_duration", "ecoa_code",
)  # fmt: skip
_NUMBERS = (
    "highest_credit", "scheduled_monthly_payment_amount", "current_balance", "amount_past_due",
    "original_charge_off_amount", "social_security_number", "telephone_number",
)  # fmt: skip
# Where the trailer's counted fields sit in the cutter's tuples (texts, numbers, dates): `Tally.add_base`.
_STATUS_AT, _ECOA_AT = _TEXTS.index("account_status"), _TEXTS.index("ecoa_code")
_SSN_AT, _PHONE_AT = _NUMBERS.index("social_security_number"), _NUMBERS.index("telephone_number")
_BORN_AT = BASE_DATES.index("date_birth")
_ALONE = f"{RECORD_LENGTH:04d}"  # the record descriptor word of a base segment without appended segments
_STATUSES = codes.STATUSES - {codes.DELETE}  # DA deletes an account: not taken (docs/metro2.md)
_RATINGS = codes.RATINGS | {""}
_COMMENTS = codes.SPECIAL_COMMENTS | {""}
_COMPLIANCE = codes.COMPLIANCE_CODES | {""}


class Opening(NamedTuple):
    """What a base segment says of its account's opening: a Record only if the bureau does not hold it yet.

    Every cycle's segment restates it; a month-end file's accounts are held,
    so building the record (and the person's name) for each would be waste.
    """

    line: int
    ref: str
    opened: date
    surname: str
    given: str
    middle: str
    ssn: int
    highest_credit: int
    terms: str
    scheduled: int

    def name(self) -> str:
        given, middle, surname = self.given, self.middle, self.surname
        return f"{given} {middle} {surname}" if middle else f"{given} {surname}" if given else surname

    def record(self) -> Record:
        return Record(
            line=self.line,
            record_id=f"{self.ref}:opened",
            type=RecordType.ACCOUNT_OPENED,
            account_ref=self.ref,
            day=self.opened,
            person=Person(self.name(), f"{self.ssn:09d}", "us.ssn"),
            account_type="loan",
            currency="USD",
            amount=max(1, self.highest_credit * CENTS),
            term_months=int(self.terms) if self.terms.isdigit() else 0,
            due_schedule=f'{{"frequency": "monthly", "installment_amount": {self.scheduled * CENTS}}}',
        )


@dataclass
class Parsed:
    lines: int = 0
    records: list[Record] = field(default_factory=list)  # every record but the openings, in file order
    rejected: list[LineOutcome] = field(default_factory=list)
    openings: list[Opening] = field(default_factory=list)  # one per good base segment, in file order


def parts(content: bytes, today: date, size: int | None = None) -> Iterator[Parsed]:
    """The file in one pass: every field checked, the records of at most `size` base segments at a time.

    A clean base segment without appended segments (nearly all of a
    month-end file) is cut by precompiled slices (`metro2.cut`); any other
    line, or one the cutter does not pass, is decoded field by field by
    `metro2.codec`, which names the field and position of what is wrong.
    The content rules are the same function for both. The trailer's totals
    are counted from the raw lines on the way (`scan.Tally`) and checked
    after the last line: a bad header raises FileRefused before the first
    part, a bad trailer or a total that disagrees after the last but one,
    so the caller must apply the parts where it can undo them (intake: a
    savepoint). The last part carries the file's record count in `lines`.
    """
    size = size or CHUNK
    part = Parsed()
    reading = Reading()
    segments = 0
    tally = Tally()
    cut = Cutter(BASE, _TEXTS, _NUMBERS).cut
    count = tally.add_base
    for number, item in account_lines(_lines(content), reading):
        if isinstance(item, FieldProblem):
            tally.add_unreadable()  # the line is not ASCII (the only problem `account_lines` yields)
            part.rejected.append(_outcome(item))
            continue
        # The cutter knows the layout, not the file: a line it may take says it is a base segment alone.
        values = cut(item) if item.startswith(_ALONE) else None
        if values is not None:
            # The trailer's totals from the values just cut, not from the raw line again.
            texts, numbers, dates = values
            count(texts[_STATUS_AT], numbers[_SSN_AT], dates[_BORN_AT], numbers[_PHONE_AT], texts[_ECOA_AT])
        else:
            tally.add_line(item.encode("ascii"))  # `account_lines` decoded it from ASCII: the raw line again
            account = decode_account(item, number)
            if isinstance(account, FieldProblem):
                part.rejected.append(_outcome(account))
                continue
            base = account.base
            values = (
                tuple(base[n] for n in _TEXTS),
                tuple(base[n] for n in _NUMBERS),
                tuple(base[n] for n in BASE_DATES),
            )
        try:
            _segment(*values, number, today, part)
        except FieldProblem as problem:
            part.rejected.append(_outcome(problem, values[0][0]))
            continue
        segments += 1
        if segments == size:
            yield part
            part, segments = Parsed(), 0
    tally.check(reading)
    part.lines = reading.records
    yield part


def refusal(refused: FileRefused) -> LineOutcome:
    return _outcome(refused.problem)


def _lines(content: bytes) -> Iterator[bytes]:
    # BytesIO shares the file's buffer and cuts lines in C; each keeps its newline, which `numbered` takes off.
    return iter(BytesIO(content))


def _outcome(problem: FieldProblem, record_id: str = "") -> LineOutcome:
    return LineOutcome(
        problem.record, record_id, problem.code, f"{problem.field} at position {problem.position}: {problem.reason}",
        problem.field, problem.position,
    )  # fmt: skip


def _problem(number: int, name: str, code: str, reason: str) -> FieldProblem:
    return FieldProblem(number, name, BASE.field(name).start, code, reason)


def _segment(
    texts: tuple[str, ...], numbers: tuple[int, ...], dates: tuple[date | None, ...], number: int, today: date,
    parsed: Parsed,
) -> None:  # fmt: skip
    """A base segment's content rules (the CRRG's, as the bureau applies them), then its records.

    The first rule broken raises FieldProblem, in this order, whichever path
    decoded the segment.
    """
    ref, surname, given, middle, status, rating, profile, comment, compliance, terms, _ = texts
    highest, scheduled, balance, past_due, charge_off, ssn, _ = numbers
    opened, as_of, first, closed, _, _ = dates
    if status not in _STATUSES:
        raise _problem(number, "account_status", "unknown_status", "not an account status the bureau takes (CR-2)")
    if not ref:
        raise _problem(number, "consumer_account_number", "missing_field", "the account number is required")
    if not surname:
        raise _problem(number, "surname", "missing_field", "the consumer's surname is required")
    if not ssn:
        # The credit file is keyed by the identification number: without it the record cannot be filed.
        raise _problem(number, "social_security_number", "missing_field", "the consumer's SSN is required")
    if opened is None:
        raise _problem(number, "date_opened", "missing_field", "the date opened is required")
    if as_of is None:
        raise _problem(
            number, "date_account_information", "missing_field", "the date of account information is required"
        )
    if max(filter(None, dates)) > today:  # the date opened is one: never empty
        name = next(n for n, d in zip(BASE_DATES, dates, strict=True) if d is not None and d > today)
        raise _problem(number, name, "future_date", "a date in the future")
    if as_of < opened:
        raise _problem(number, "date_account_information", "inconsistent", "before the date opened")
    if rating not in _RATINGS:
        raise _problem(number, "payment_rating", "invalid_field", "not a payment rating")
    if status == codes.PAID and not rating:
        raise _problem(number, "payment_rating", "missing_field", "status 13 needs a payment rating (CRRG)")
    if len(profile) != codes.PROFILE_MONTHS or not codes.PROFILE_CHARACTERS.issuperset(profile):
        raise _problem(number, "payment_history_profile", "invalid_field", "24 profile characters (CR-4)")
    if comment not in _COMMENTS:
        raise _problem(number, "special_comment", "invalid_field", "not a special comment the bureau takes")
    if compliance not in _COMPLIANCE:
        raise _problem(number, "compliance_condition_code", "invalid_field", "not a compliance condition code")
    delinquent = status in codes.DELINQUENT_STATUSES
    if delinquent and not past_due:
        raise _problem(number, "amount_past_due", "inconsistent", "a delinquent status needs an amount past due")
    if delinquent and first is None:
        raise _problem(number, "date_first_delinquency", "missing_field", "a delinquent status needs it (CR-5)")
    if status == codes.CHARGED_OFF and not charge_off:
        raise _problem(number, "original_charge_off_amount", "missing_field", "status 97 needs it (CRRG)")
    if status == codes.PAID and (balance or past_due):
        raise _problem(number, "current_balance", "inconsistent", "a paid account reports a zero balance (CRRG)")

    parsed.openings.append(Opening(number, ref, opened, surname, given, middle, ssn, highest, terms, scheduled))
    records = parsed.records
    if comment in _COMMENT_KINDS:
        records.append(
            Record(
                number, f"{ref}:m2:comment:{comment}", RecordType.MODIFICATION, ref, as_of, kind=_COMMENT_KINDS[comment]
            )
        )
    if status == codes.PAID:
        records.append(
            Record(
                number, f"{ref}:settled", RecordType.SETTLEMENT, ref, closed or as_of,
                balance=0, settled_by=SettledBy.BORROWER, for_less=comment == codes.SETTLED_FOR_LESS,
            )
        )  # fmt: skip
        return
    if status == codes.CHARGED_OFF:
        records.append(
            Record(number, f"{ref}:charge_off", RecordType.CHARGE_OFF, ref, closed or as_of, amount=charge_off * CENTS)
        )
        return
    days = 0
    if delinquent and first is not None:
        # The status says the bucket, the date of first delinquency the day count within it (CR-5); a DOFD
        # kept across a partial catch-up gives more days than the bucket: the bucket's first day then.
        days = (as_of - first).days + 1
        if codes.status_for(days) != status:
            days = codes.STATUS_DAYS[status]
    # Every field up to in_collection given by position: a month-end file builds one a segment, and
    # keywords cost the named tuple's constructor half as much again.
    records.append(
        Record(
            number, ref + _cycle_suffix(as_of), RecordType.STATUS, ref, as_of,
            None, "", "", 0, 0, "",  # person, account_type, currency, amount, term_months, due_schedule
            balance * CENTS, past_due * CENTS, days, "", True,  # balance, overdue, days, status_code, payment_due
            first if days else None, status == codes.COLLECTION,  # first_delinquency_date, in_collection
        )
    )  # fmt: skip


@lru_cache(maxsize=4096)
def _cycle_suffix(as_of: date) -> str:
    """A cycle's status record id after the account ref: a file repeats a few dates of information."""
    return f":m2:{as_of.isoformat()}"
