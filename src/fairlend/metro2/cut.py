"""Cutting a clean record by precompiled slices: the fast path of decoding (pure).

`codec.py` checks a record with one regular expression and builds a dict of
every field, then names the first bad field when there is one. That is the
reference, and the only place a problem is described. A bureau reads
month-end files of hundreds of thousands of base segments, nearly all clean,
and needs about twenty of their fields: a `Cutter` is built once per layout
and the fields it was asked for, and checks a record with a few C-level
calls instead of a Python step per field:

- one regular expression without groups matches the whole line: exactly
  the layout's length, each `A` field printable ASCII (`[ -~]`), each `N`
  field digits, each `D` and `T` field digits or blanks;
- each date (`D`) and time stamp (`T`) is blank, or digits that `codec`
  reads as a real date (a memo: a file repeats a few dates thousands of times).

It returns the wanted fields converted as `codec` converts them, or None when
anything is off; the caller then decodes the record with `codec`, which
refuses it naming the field and position. The fast path therefore never
accepts what `codec` refuses, and never describes a problem itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from operator import itemgetter
from typing import Any

from fairlend.metro2.codec import read_date, read_timestamp
from fairlend.metro2.layout import Field, Layout

# A memo holds at most this many distinct dates, then starts over: a hostile file of distinct
# 8-digit strings must not grow memory with its size (a month-end file holds a few thousand dates).
MEMO_LIMIT = 20_000
_CHARACTERS = {"A": "[ -~]{%d}", "N": "[0-9]{%d}", "D": "[0-9 ]{%d}", "T": "[0-9 ]{%d}"}
_BAD = object()  # a memo entry: digits that are no date; the record goes to codec to be named


class _Memo(dict[str, Any]):
    """Text -> its date (or None when blank/zero-filled), or _BAD; parsed by `codec`'s own function once."""

    def __init__(self, convert: Callable[[str], Any], length: int) -> None:
        super().__init__()
        self._convert = convert
        self._blank = " " * length

    def __missing__(self, text: str) -> Any:
        if len(self) >= MEMO_LIMIT:
            self.clear()
        value: Any = _BAD
        # codec's pattern for a date: all digits or all blanks; then its conversion must succeed.
        if text.isdigit() or text == self._blank:
            try:
                value = self._convert(text)
            except ValueError:
                value = _BAD
        self[text] = value
        return value


def _slice(f: Field) -> slice:
    return slice(f.start - 1, f.start - 1 + f.length)


def _getter(slices: Sequence[slice]) -> Callable[[str], tuple[str, ...]]:
    """itemgetter of slices cuts them all in one call; of one slice it returns the piece, not a 1-tuple."""
    if len(slices) == 1:
        only = slices[0]
        return lambda text: (text[only],)
    return itemgetter(*slices)


class Cutter:
    """A layout's fast path: `cut(text)` -> (texts, numbers, dates) of the wanted fields, or None.

    `texts` are the wanted `A` fields with trailing blanks stripped, `numbers`
    the wanted `N` fields as ints, `dates` every `D` field of the layout (each
    is checked anyway) as a date or None, in layout order.
    """

    def __init__(self, layout: Layout, texts: Sequence[str], numbers: Sequence[str]) -> None:
        fields = {f.name: f for f in layout.fields}
        assert all(fields[n].kind == "A" for n in texts) and all(fields[n].kind == "N" for n in numbers)
        self.length = layout.length
        self.dates = tuple(f.name for f in layout.fields if f.kind == "D")
        # Every field's characters in one match, no groups (nothing is cut, nothing allocated): `A` printable
        # ASCII, `N` digits, `D` and `T` digits or blanks (which of them make a date the memo says).
        self._pattern = re.compile("".join(_CHARACTERS[f.kind] % f.length for f in layout.fields))
        self._texts = _getter([_slice(fields[n]) for n in texts])
        self._numbers = _getter([_slice(fields[n]) for n in numbers])
        self._dates = _getter([_slice(fields[n]) for n in self.dates])
        # The base segment has one time stamp: a slice and one memo lookup, not a getter and a map.
        stamps = [_slice(f) for f in layout.fields if f.kind == "T"]
        assert len(stamps) <= 1
        self._stamp = stamps[0] if stamps else None
        self._date_memo = _Memo(read_date, 8)
        self._stamp_memo = _Memo(read_timestamp, 14)

    def cut(self, text: str) -> tuple[tuple[str, ...], tuple[int, ...], tuple[date | None, ...]] | None:
        if self._pattern.fullmatch(text) is None:
            return None
        dates = tuple(map(self._date_memo.__getitem__, self._dates(text)))
        if _BAD in dates:
            return None
        if self._stamp is not None and self._stamp_memo[text[self._stamp]] is _BAD:
            return None
        return tuple(map(str.rstrip, self._texts(text))), tuple(map(int, self._numbers(text))), dates
