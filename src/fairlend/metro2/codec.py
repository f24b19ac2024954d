"""Encoding and decoding Metro 2 records from the layout tables (pure).

One table per record (layout.py) drives both directions. Decoding checks
every field against its kind and reports the first bad one as a
`FieldProblem` naming the record's number in the file, the field and its
1-based position in the line, so a lender can find it in their own file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import Any

from fairlend.metro2.layout import SEGMENTS, Field, Layout

ZERO_DATE = "00000000"


class FieldProblem(Exception):
    """A field that breaks the layout or a content rule: record number (1 = the header), field, position."""

    def __init__(self, record: int, field: str, position: int, code: str, reason: str) -> None:
        super().__init__(f"record {record}, {field} (position {position}): {reason}")
        self.record = record
        self.field = field
        self.position = position
        self.code = code
        self.reason = reason


class EncodeError(ValueError):
    """A value the layout cannot hold: a bug in the caller, never a person's input."""


def _encode_field(f: Field, value: Any) -> str:
    if f.kind == "N":
        number = 0 if value is None else value
        if type(number) is not int or number < 0:
            raise EncodeError(f"{f.name} must be a whole number >= 0, got {number!r}")
        text = str(number)
        if len(text) > f.length:
            raise EncodeError(f"{f.name} holds {f.length} digits, got {len(text)}")
        return text.rjust(f.length, "0")
    if f.kind == "D":
        if value is None:
            return ZERO_DATE
        if not isinstance(value, date):
            raise EncodeError(f"{f.name} must be a date")
        return f"{value.month:02d}{value.day:02d}{value.year:04d}"
    if f.kind == "T":
        if value is None:
            return "0" * 14
        if not isinstance(value, datetime):
            raise EncodeError(f"{f.name} must be a datetime")
        return value.strftime("%m%d%Y%H%M%S")
    text = "" if value is None else str(value)
    if len(text) > f.length:
        raise EncodeError(f"{f.name} holds {f.length} characters, got {len(text)}")
    if not text.isascii() or not text.isprintable():
        raise EncodeError(f"{f.name} must be printable ASCII")
    return text.ljust(f.length, " ")


def encode(layout: Layout, values: Mapping[str, Any]) -> str:
    """One record or segment; fields not given are zero- or blank-filled as their kind says."""
    unknown = set(values) - {f.name for f in layout.fields}
    if unknown:
        raise EncodeError(f"{layout.name} has no field {sorted(unknown)[0]}")
    text = "".join(_encode_field(f, values.get(f.name)) for f in layout.fields)
    assert len(text) == layout.length
    return text


def read_date(text: str) -> date | None:
    if text == ZERO_DATE or text == "        ":
        return None
    return date(int(text[4:8]), int(text[0:2]), int(text[2:4]))


def read_timestamp(text: str) -> datetime | None:
    if text.strip("0 ") == "":
        return None
    # The CRRG time stamp has no zone; fairlend writes and reads it as UTC.
    return datetime.strptime(text, "%m%d%Y%H%M%S").replace(tzinfo=UTC)


_PATTERN = {"N": "[0-9]{%d}", "A": "[ -~]{%d}", "D": "(?:[0-9]{%d})", "T": "(?:[0-9]{%d})"}
_CONVERT: dict[str, Callable[[str], Any]] = {"N": int, "A": str.rstrip, "D": read_date, "T": read_timestamp}
_EXPECTED = {
    "N": "digits, right-justified and zero-filled",
    "A": "printable ASCII, left-justified and blank-filled",
    "D": "a date MMDDYYYY, zero-filled when absent",
    "T": "a timestamp MMDDYYYYHHMMSS, zero-filled when absent",
}


class _Decoder:
    """A layout's decoder: one regular expression checks and cuts every field at once.

    Each field is a group of the expression, so a clean record costs one
    match, then a strip of the text fields, an `int` of the numbers and a
    parse of the dates, each run by `map` over the fields of that kind. Only
    when the match fails does the slow path walk the fields to name the
    first bad one.
    """

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self._pattern = re.compile("".join(f"({_field_pattern(f)})" for f in layout.fields))
        by_kind: dict[str, list[int]] = {"A": [], "N": [], "D": [], "T": []}
        for index, f in enumerate(layout.fields):
            by_kind[f.kind].append(index)
        self._text_names = tuple(layout.fields[i].name for i in by_kind["A"])
        self._text = itemgetter(*by_kind["A"]) if len(by_kind["A"]) > 1 else _one(by_kind["A"])
        self._number_names = tuple(layout.fields[i].name for i in by_kind["N"])
        self._numbers = itemgetter(*by_kind["N"]) if len(by_kind["N"]) > 1 else _one(by_kind["N"])
        self._dates = [(layout.fields[i], i, _CONVERT[layout.fields[i].kind]) for i in by_kind["D"] + by_kind["T"]]

    def decode(self, text: str, offset: int, record: int) -> dict[str, Any]:
        end = offset + self.layout.length
        if len(text) < end:
            raise FieldProblem(
                record,
                self.layout.name,
                offset + 1,
                "wrong_length",
                f"the {self.layout.name} segment needs {self.layout.length} characters, {len(text) - offset} left",
            )
        match = self._pattern.match(text, offset, end)
        if match is None:
            self._first_bad(text, offset, record)
            raise AssertionError("the pattern failed but no field did")  # pragma: no cover
        groups = match.groups()
        values: dict[str, Any] = dict(zip(self._text_names, map(str.rstrip, self._text(groups)), strict=True))
        values.update(zip(self._number_names, map(int, self._numbers(groups)), strict=True))
        for f, index, convert in self._dates:
            try:
                values[f.name] = convert(groups[index])
            except ValueError:
                raise FieldProblem(
                    record, f.name, offset + f.start, "invalid_field", f"{f.name} must be {_EXPECTED[f.kind]}"
                ) from None
        return values

    def _first_bad(self, text: str, offset: int, record: int) -> None:
        for f in self.layout.fields:
            piece = text[offset + f.start - 1 : offset + f.start - 1 + f.length]
            if re.fullmatch(_field_pattern(f), piece) is None:
                code = "not_ascii" if not piece.isascii() else "invalid_field"
                raise FieldProblem(record, f.name, offset + f.start, code, f"{f.name} must be {_EXPECTED[f.kind]}")


def _field_pattern(f: Field) -> str:
    pattern = _PATTERN[f.kind] % f.length
    return f"(?:{pattern}| {{{f.length}}})" if f.kind in "DT" else pattern


def _one(indexes: list[int]) -> Callable[[tuple[str, ...]], tuple[str, ...]]:
    """itemgetter of one index returns the item, not a 1-tuple: wrap it (and none gives none)."""
    return lambda groups: tuple(groups[i] for i in indexes)


_DECODERS: dict[str, _Decoder] = {}


def decoder(layout: Layout) -> _Decoder:
    """The layout's decoder, built on first use (nothing is compiled at import time)."""
    found = _DECODERS.get(layout.name)
    if found is None:
        found = _DECODERS[layout.name] = _Decoder(layout)
    return found


def decode(layout: Layout, text: str, *, offset: int = 0, record: int = 0) -> dict[str, Any]:
    return decoder(layout).decode(text, offset, record)


def decode_segments(text: str, offset: int, record: int) -> list[tuple[str, dict[str, Any]]]:
    """The appended segments after a base segment, each named by its identifier."""
    segments: list[tuple[str, dict[str, Any]]] = []
    while offset < len(text):
        ident = text[offset : offset + 2]
        layout = SEGMENTS.get(ident)
        if layout is None:
            raise FieldProblem(
                record,
                "segment_identifier",
                offset + 1,
                "unknown_segment",
                "an appended segment must be J1, J2, K2, L1 or N1",
            )
        segments.append((ident, decode(layout, text, offset=offset, record=record)))
        offset += layout.length
    return segments
