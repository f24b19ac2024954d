"""A Metro 2 file: header, one line per account (base segment + appended segments), trailer (pure).

Writing streams accounts out and counts the trailer's totals on the way;
reading streams lines in, checks each against the layout, and checks the
trailer's totals against what the lines held. One record per line
(`\\n`-terminated, a `\\r` before it ignored); each line's record descriptor
word is its length (CRRG: the unpacked character format's RDW).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from fairlend.metro2.codec import FieldProblem, decode, decode_segments, decoder, encode
from fairlend.metro2.layout import BASE, HEADER, RECORD_LENGTH, SEGMENTS, TRAILER, TRAILER_STATUSES

HEADER_IDENTIFIER = "HEADER"
TRAILER_IDENTIFIER = "TRAILER"


@dataclass(frozen=True, slots=True)
class Account:
    """One base segment and the segments appended to it, as field values."""

    base: Mapping[str, Any]
    segments: tuple[tuple[str, Mapping[str, Any]], ...] = ()

    def segment(self, name: str) -> Mapping[str, Any] | None:
        for ident, values in self.segments:
            if ident == name:
                return values
        return None


_COUNTED: tuple[str, ...] = tuple(
    f.name for f in TRAILER.fields if f.name.startswith("total_") or f.name == "block_count"
)  # the totals the trailer carries; the mortgage, payment and original-creditor ones stay 0 (no K1/K3/K4)


@dataclass
class Totals:
    """The trailer's counts, kept as accounts are written or read."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_COUNTED, 0))

    def add(self, account: Account) -> None:
        c = self.counts
        base = account.base
        c["total_base_records"] += 1
        c["block_count"] += 1
        status = base.get("account_status", "")
        if status in TRAILER_STATUSES:
            c[f"total_status_code_{status}"] += 1
        self._consumer(base, "base")
        for ident, values in account.segments:
            if ident in ("J1", "J2"):
                c[f"total_consumer_segments_{ident}"] += 1
                self._consumer(values, ident)
            elif ident == "N1":
                c["total_employment_segments"] += 1
            elif ident == "K2":
                c["total_purchased_to_segments"] += 1
            elif ident == "L1":
                c["total_change_segments"] += 1

    def _consumer(self, values: Mapping[str, Any], where: str) -> None:
        c = self.counts
        if values.get("ecoa_code") == "Z":
            c["total_ecoa_code_Z"] += 1
        if values.get("social_security_number"):
            c["total_social_numbers_all_segments"] += 1
            c[f"total_social_numbers_{where}_segments"] += 1
        if values.get("date_birth") is not None:
            c["total_dates_birth_all_segments"] += 1
            c[f"total_dates_birth_{where}_segments"] += 1
        if values.get("telephone_number"):
            c["total_telephone_numbers_all_segments"] += 1

    def trailer(self) -> dict[str, Any]:
        # The block count is every record in the file, header and trailer included (unblocked files).
        return {**self.counts, "block_count": self.counts["block_count"] + 2}


def account_line(account: Account) -> str:
    tail = "".join(
        encode(SEGMENTS[ident], {"segment_identifier": ident, **values}) for ident, values in account.segments
    )
    length = RECORD_LENGTH + len(tail)
    return encode(BASE, {**account.base, "record_descriptor_word": length}) + tail


def write(header: Mapping[str, Any], accounts: Iterable[Account]) -> Iterator[str]:
    """The file's lines, each ending in a newline: header, accounts, trailer with its totals."""
    yield (
        encode(HEADER, {**header, "record_descriptor_word": RECORD_LENGTH, "record_identifier": HEADER_IDENTIFIER})
        + "\n"
    )
    totals = Totals()
    for account in accounts:
        totals.add(account)
        yield account_line(account) + "\n"
    trailer = {**totals.trailer(), "record_descriptor_word": RECORD_LENGTH, "record_identifier": TRAILER_IDENTIFIER}
    yield encode(TRAILER, trailer) + "\n"


class FileRefused(Exception):
    """The header or trailer is unreadable, or the trailer disagrees with the records: nothing is taken."""

    def __init__(self, problem: FieldProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


@dataclass
class Reading:
    """What reading a file found: its header, and after the last line, its trailer."""

    header: dict[str, Any] = field(default_factory=dict)
    trailer: dict[str, Any] = field(default_factory=dict)
    totals: Totals = field(default_factory=Totals)
    records: int = 0  # lines read, header and trailer included


def _not_ascii(record: int, exc: UnicodeDecodeError) -> FieldProblem:
    return FieldProblem(record, "record", exc.start + 1, "not_ascii", "Metro 2 files are ASCII only")


def _text(raw: bytes, record: int) -> str:
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError as exc:
        raise _not_ascii(record, exc) from None


def _length(text: str, record: int, expected: int | None = None) -> None:
    rdw = text[:4]
    if not rdw.isdigit():
        raise FieldProblem(
            record, "record_descriptor_word", 1, "invalid_field", "the record descriptor word must be 4 digits"
        )
    if int(rdw) != len(text):
        raise FieldProblem(
            record,
            "record_descriptor_word",
            1,
            "wrong_length",
            f"the line has {len(text)} characters, its RDW says {int(rdw)}",
        )
    if expected is not None and len(text) != expected:
        raise FieldProblem(
            record, "record_descriptor_word", 1, "wrong_length", f"this record is {expected} characters long"
        )


def numbered(lines: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """Each record with its number from 1, its line ending (LF or CRLF) taken off; blank lines are not records."""
    number = 0
    for raw in lines:
        record = raw.rstrip(b"\r\n")
        # `isspace` stops at the first character that is not: `strip` copied every line to find it blank.
        if not record or record.isspace():
            continue
        number += 1
        yield number, record


def account_lines(lines: Iterable[bytes], reading: Reading) -> Iterator[tuple[int, str | FieldProblem]]:
    """Each account line as ASCII text, or the problem that refuses it, with its record number.

    Reads the header first and the trailer after the last line (FileRefused
    when either cannot be read); decoding the lines is the caller's (`read`,
    or the bureau's fast path, which falls back to `decode_account`).
    """
    pending: tuple[int, str] | None = None  # the last line seen, held back: it may be the trailer
    last: bytes | None = None  # and as read: a trailer that is not ASCII is refused as such, not as missing
    number = 0
    # `numbered` and `_text` written out: a month-end file's every line passes here, and a generator
    # and a call a line were a tenth of reading it.
    for raw in lines:
        raw = raw.rstrip(b"\r\n")
        if not raw or raw.isspace():
            continue
        number += 1
        if number == 1:
            read_header(raw, reading)
            continue
        if pending is not None:
            yield pending
        last = raw
        try:
            pending = (number, raw.decode("ascii"))
        except UnicodeDecodeError as exc:
            pending = None
            yield number, _not_ascii(number, exc)
    reading.records = number
    read_trailer(last, number, reading)


def read(
    lines: Iterable[bytes], reading: Reading, *, check_totals: bool = True
) -> Iterator[tuple[int, Account | FieldProblem]]:
    """Each account line as an Account, or the problem that refuses it, with its record number.

    Raises FileRefused when the header or trailer cannot be read or the
    trailer's totals disagree with the lines; the caller applies nothing
    until the generator is exhausted without it (or until `scan.scan` has
    checked the file first: then `check_totals=False`).
    """
    totals = reading.totals if check_totals else None
    for number, item in account_lines(lines, reading):
        yield number, item if isinstance(item, FieldProblem) else decode_account(item, number, totals)
    if check_totals:
        # Every line counts towards the number of base records and blocks; the other totals are checked
        # when every line could be read (a refused line's status or SSN is not known).
        number = reading.records
        expected = reading.totals.trailer()
        refused = number - 2 - expected["total_base_records"]
        check_trailer(reading, {**expected, "total_base_records": number - 2, "block_count": number}, every=not refused)


def read_header(raw: bytes, reading: Reading) -> None:
    """The first record: a 426-character HEADER with its activity date and date created, or FileRefused."""
    try:
        text = _text(raw, 1)
        if text[4:10] != HEADER_IDENTIFIER:
            raise FieldProblem(1, "record_identifier", 5, "no_header", "the first record must be the HEADER")
        _length(text, 1, RECORD_LENGTH)
        reading.header = decode(HEADER, text, record=1)
    except FieldProblem as problem:
        raise FileRefused(problem) from None
    for name in ("activity_date", "date_created"):
        if reading.header[name] is None:
            where = HEADER.field(name).start
            raise FileRefused(FieldProblem(1, name, where, "missing_field", f"the header's {name} is required"))


def read_trailer(raw: bytes | None, number: int, reading: Reading) -> None:
    """The last record (`number`): a 426-character TRAILER, or FileRefused."""
    if number == 0:
        raise FileRefused(FieldProblem(1, "record", 1, "no_header", "the file is empty"))
    if raw is None or raw[4:11] != TRAILER_IDENTIFIER.encode():
        raise FileRefused(
            FieldProblem(number, "record_identifier", 5, "no_trailer", "the last record must be the TRAILER")
        )
    try:
        text = _text(raw, number)
        _length(text, number, RECORD_LENGTH)
        reading.trailer = decode(TRAILER, text, record=number)
    except FieldProblem as problem:
        raise FileRefused(problem) from None
    reading.records = number


def check_trailer(reading: Reading, expected: Mapping[str, int], *, every: bool = True) -> None:
    """FileRefused naming the first trailer total that disagrees with `expected` (only the counts, unless `every`)."""
    for f in TRAILER.fields:
        if not every and f.name not in ("total_base_records", "block_count"):
            continue
        if f.name in expected and reading.trailer[f.name] != expected[f.name]:
            raise FileRefused(
                FieldProblem(
                    reading.records,
                    f.name,
                    f.start,
                    "trailer_mismatch",
                    f"the trailer says {reading.trailer[f.name]}, the file holds {expected[f.name]}",
                )
            )


def decode_account(text: str, number: int, totals: Totals | None = None) -> Account | FieldProblem:
    """One account line (ASCII text) decoded field by field, or the first problem with its field and position."""
    try:
        if text[4:11] == TRAILER_IDENTIFIER:
            raise FieldProblem(
                number, "record_identifier", 5, "misplaced_trailer", "the TRAILER must be the last record"
            )
        _length(text, number)
        base = decoder(BASE).decode(text, 0, number)
        segments = decode_segments(text, RECORD_LENGTH, number)
    except FieldProblem as problem:
        return problem
    account = Account(base, tuple(segments))
    if totals is not None:
        totals.add(account)
    return account
