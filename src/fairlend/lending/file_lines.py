"""Repayment files from a payment processor, read line by line: pure, no database.

A file is CSV with a header row or JSON Lines (one object a line), UTF-8,
with these fields per payment: `loan_reference` (the loan's id),
`amount` (major units as decimal text, "916.80"), `value_date` (ISO
YYYY-MM-DD, the day the processor received the money), `external_reference`
(the processor's own id for the payment) and, optionally, `currency`.

Two kinds of problem, as beancount's importers report them: a problem of
the whole file (not UTF-8, a CSV header without the fields, no payment in
it, too many lines) is an `Invalid` naming it, and nothing of the file is
applied; a problem of one line is that line's refusal, with a stable code,
and the other lines go on. `PaymentLines` yields every line's `FileLine` or
`LineRefusal` in order, holding one line in memory at a time.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import BinaryIO

from fairlend.errors import DomainError, Invalid
from fairlend.money import CURRENCY_EXPONENTS, exact_minor, parse_major

FIELDS = ("loan_reference", "amount", "value_date", "external_reference")
OPTIONAL_FIELDS = ("currency",)
# Longer lines are refused one by one, read in pieces of this size: a line is a handful of short fields.
MAX_LINE_BYTES = 1024
# A processor's file is a day's collections; more than this is a file to split, not one to take.
MAX_LINES = 2_000_000
# No single repayment is larger (in minor units: 100 million yuan); a larger amount is a file error.
MAX_AMOUNT_MINOR = 10_000_000_000
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,79}", re.ASCII)
_LOAN_REFERENCE = re.compile(r"[a-z0-9_]{1,40}", re.ASCII)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_BOM = b"\xef\xbb\xbf"


class FileFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


class LineStatus(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class FileLine:
    """One payment as the file states it, its fields checked on their own (the loan not yet looked up)."""

    number: int  # 1 is the first payment line (a CSV header is not counted)
    loan_id: str
    amount_minor: int
    currency: str
    value_date: date
    external_reference: str


@dataclass(frozen=True, slots=True)
class LineRefusal:
    number: int
    code: str
    detail: str
    # What could be read of the line, for the result file.
    loan_id: str = ""
    external_reference: str = ""


@dataclass(frozen=True, slots=True)
class FileShape:
    """What the first pass learnt of a whole file: its format and hash, and how many payment lines."""

    format: FileFormat
    sha256: str
    lines: int


class HashingReader:
    """Reads a binary stream line by line and hashes every byte read, line ends and all."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._hash = hashlib.sha256()

    def readline(self, limit: int) -> bytes:
        data = self._stream.readline(limit)
        self._hash.update(data)
        return data

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def read_raw(stream: HashingReader) -> Iterator[bytes | None]:
    """The file's lines as bytes without their line ends; None for a line too long (skipped in pieces)."""
    first = True
    while True:
        line = stream.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        if first:
            line = line.removeprefix(_BOM)
            first = False
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):
                line = stream.readline(MAX_LINE_BYTES + 1)
            yield None
            continue
        yield line.rstrip(b"\r\n")


def detect_format(first_line: str) -> FileFormat:
    return FileFormat.JSONL if first_line.lstrip().startswith("{") else FileFormat.CSV


class PaymentLines:
    """Each payment line of a file, in order, read and checked on its own; iterate once.

    Raises `Invalid` for a problem of the whole file as soon as it is seen: the
    caller reads the whole file once before it applies anything. `format` is
    known once the first line has been read.
    """

    def __init__(self, raw: Iterator[bytes | None], default_currency: str) -> None:
        self._raw = raw
        self._currency = default_currency
        self.format = FileFormat.CSV
        self.count = 0
        self._header: list[str] | None = None

    def __iter__(self) -> Iterator[FileLine | LineRefusal]:
        for number, text in self._texts():
            if text is None:
                yield LineRefusal(number, "line_too_long", f"a line is at most {MAX_LINE_BYTES} bytes")
            elif self._header is not None:
                yield _csv_line(number, text, self._header, self._currency)
            else:
                yield _json_line(number, text, self._currency)

    def survey(self) -> None:
        """Read the whole file for its problems as a file (and its count), leaving its lines unchecked."""
        for _ in self._texts():
            pass

    def _texts(self) -> Iterator[tuple[int, str | None]]:
        """(number, text) of each payment line; text None for one too long. Raises for the whole file."""
        self._header = None
        detected = False
        for index, data in enumerate(self._raw, start=1):
            if data is None:
                self.count += 1
                yield self.count, None
                continue
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise Invalid("file_not_utf8", f"line {index} of the file is not UTF-8 text", line=index) from None
            if not text.strip():
                continue
            if not detected:
                detected = True
                self.format = detect_format(text)
                if self.format is FileFormat.CSV:
                    self._header = _header(text)
                    continue
            self.count += 1
            if self.count > MAX_LINES:
                raise Invalid("file_too_many_lines", f"a repayment file holds at most {MAX_LINES:,} lines; split it")
            yield self.count, text
        if self.count == 0:
            raise Invalid("file_empty", "the file holds no payment line")


def _header(text: str) -> list[str]:
    names = [name.strip().lower() for name in next(csv.reader([text]))]
    missing = [f for f in FIELDS if f not in names]
    unknown = [n for n in names if n not in FIELDS and n not in OPTIONAL_FIELDS]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if missing or unknown or repeated:
        problems = []
        if missing:
            problems.append("missing " + ", ".join(missing))
        if unknown:
            problems.append("unknown " + ", ".join(unknown))
        if repeated:
            problems.append("repeated " + ", ".join(repeated))
        raise Invalid(
            "file_columns",
            f"the first line must name the columns {', '.join(FIELDS)} (and optionally currency): "
            + "; ".join(problems),
            missing=missing,
            unknown=unknown,
        )
    return names


def _csv_line(number: int, text: str, header: list[str], default_currency: str) -> FileLine | LineRefusal:
    try:
        values = next(csv.reader([text]))
    except csv.Error:
        values = []
    if len(values) != len(header):
        return LineRefusal(number, "line_malformed", f"expected {len(header)} comma-separated fields")
    return _checked(number, dict(zip(header, values, strict=True)), default_currency)


def _json_line(number: int, text: str, default_currency: str) -> FileLine | LineRefusal:
    try:
        parsed = json.loads(text, parse_float=Decimal)
    except ValueError:
        return LineRefusal(number, "line_malformed", "a line of a JSON Lines file is one JSON object")
    if not isinstance(parsed, dict):
        return LineRefusal(number, "line_malformed", "a line of a JSON Lines file is one JSON object")
    missing = [f for f in FIELDS if f not in parsed]
    unknown = [k for k in parsed if k not in FIELDS and k not in OPTIONAL_FIELDS]
    if missing or unknown:
        return LineRefusal(
            number,
            "line_fields",
            f"the fields are {', '.join(FIELDS)} (and optionally currency)"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unknown {', '.join(map(str, unknown))}" if unknown else ""),
        )
    fields: dict[str, str] = {}
    for key, value in parsed.items():
        if key == "amount" and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            # A JSON number with a fraction was a binary float to whoever wrote it: amounts are text.
            code = "amount_invalid" if key == "amount" else "line_fields"
            return LineRefusal(number, code, f'{key} is text, such as "916.80"')
        fields[key] = value
    return _checked(number, fields, default_currency)


def _checked(number: int, fields: dict[str, str], default_currency: str) -> FileLine | LineRefusal:
    loan_id = fields["loan_reference"].strip()
    reference = fields["external_reference"].strip()
    seen = {"loan_id": loan_id[:40], "external_reference": reference[:80]}
    if not _LOAN_REFERENCE.fullmatch(loan_id):
        return LineRefusal(
            number, "loan_reference_invalid", "a loan reference is the loan's id, such as loan_01...", **seen
        )
    if not _REFERENCE.fullmatch(reference):
        return LineRefusal(
            number,
            "external_reference_invalid",
            "an external reference is 1-80 letters, digits and . _ : / -, starting with a letter or digit",
            **seen,
        )
    currency = (fields.get("currency") or default_currency).strip().upper()
    if currency not in CURRENCY_EXPONENTS:
        return LineRefusal(number, "unknown_currency", f"unknown currency {currency!r}", **seen)
    try:
        minor = exact_minor(parse_major(fields["amount"].strip()), currency)
    except DomainError as exc:
        # amount_invalid, amount_too_precise (a fraction of a fen), amount_out_of_range
        return LineRefusal(number, exc.code, exc.detail, **seen)
    if minor <= 0:
        return LineRefusal(number, "amount_not_positive", "a repayment is a positive amount", **seen)
    if minor > MAX_AMOUNT_MINOR:
        return LineRefusal(
            number, "amount_too_large", f"no repayment line is over {MAX_AMOUNT_MINOR:,} minor units", **seen
        )
    text = fields["value_date"].strip()
    try:
        if not _DATE.fullmatch(text):
            raise ValueError(text)
        value_date = date.fromisoformat(text)
    except ValueError:
        return LineRefusal(number, "value_date_invalid", "a value date is written YYYY-MM-DD", **seen)
    return FileLine(number, loan_id, minor, currency, value_date, reference)


@dataclass(frozen=True, slots=True)
class LineResult:
    """What became of one payment line: applied (with its repayment), a duplicate, or refused with a code."""

    line: int
    status: LineStatus
    code: str  # "" when applied
    detail: str
    loan_id: str
    amount_minor: int
    currency: str
    value_date: date | None
    external_reference: str
    repayment_id: str


@dataclass(frozen=True, slots=True)
class RepaymentFileView:
    file_id: str
    sha256: str
    name: str
    format: FileFormat
    business_date: date
    lines: int
    applied: int
    duplicates: int
    refused: int
    totals: dict[str, int]  # minor units applied, per currency
    imported_by: str
    received_at: datetime
    # True when this call took in nothing: the same file (by content) was taken in before.
    already_imported: bool = False
