"""The bureau's two ways of reading a base segment give the same records and the same refusals."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from bench.metro2_intake import build_metro2_file
from hypothesis import given, settings
from hypothesis import strategies as st

from fairlend.bureau import metro2
from fairlend.metro2.codec import encode
from fairlend.metro2.cut import Cutter
from fairlend.metro2.file import TRAILER_IDENTIFIER, FileRefused
from fairlend.metro2.layout import BASE, RECORD_LENGTH, TRAILER
from fairlend.metro2.scan import Tally

TODAY = date(2026, 2, 1)
CLEAN = build_metro2_file(6, date(2026, 1, 31), overdue_every=2).decode().splitlines()
# Characters that break a field or a content rule, or none.
NOISE = st.sampled_from(["0", "1", "7", "9", " ", "A", "X", "-", "\x7f", "é"])
# The fields the trailer counts (the fast path counts them from its cut values), and what changes their counts.
COUNTED = [
    BASE.field(name).start - 1 + offset
    for name in ("account_status", "social_security_number", "date_birth", "telephone_number", "ecoa_code")
    for offset in range(BASE.field(name).length)
]
COUNTED_NOISE = st.sampled_from(["0", "1", "2", "9", " ", "Z", "D", "A", "F", "é"])


def _put(line: str, name: str, text: str) -> str:
    where = BASE.field(name).start - 1
    return line[:where] + text + line[where + len(text) :]


# CLEAN with what the bench's file leaves empty: birth dates, a telephone number, an ECOA code Z.
COUNTED_CLEAN = [
    _put(_put(_put(line, "date_birth", "02291980"), "telephone_number", "5551234567"), "ecoa_code", "Z")
    if number in (2, 4)
    else line
    for number, line in enumerate(CLEAN)
]


def _read(content: bytes) -> list[tuple[Any, ...]]:
    """Every part read, then the refusal when the trailer's totals disagree with a changed line (one pass)."""
    read: list[tuple[Any, ...]] = []
    try:
        read.extend((p.lines, p.records, p.rejected, p.openings) for p in metro2.parts(content, TODAY, size=4))
    except FileRefused as refused:
        problem = refused.problem
        read.append((problem.record, problem.field, problem.position, problem.code, problem.reason))
    return read


def _field_by_field(content: bytes) -> list[tuple[Any, ...]]:
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(Cutter, "cut", lambda self, text: None)
        return _read(content)


def test_a_clean_file_reads_the_same_by_slices_as_field_by_field() -> None:
    content = ("\n".join(CLEAN) + "\n").encode()
    fast = _read(content)
    assert fast == _field_by_field(content)
    assert sum(len(p[3]) for p in fast) == 6 and all(not p[2] for p in fast)


@settings(max_examples=150, deadline=None)
@given(changes=st.lists(st.tuples(st.integers(1, len(CLEAN) - 2), st.integers(0, 425), NOISE), min_size=1, max_size=4))
def test_a_changed_segment_reads_the_same_by_slices_as_field_by_field(changes: list[tuple[int, int, str]]) -> None:
    lines = list(CLEAN)
    for line, position, char in changes:
        lines[line] = lines[line][:position] + char + lines[line][position + 1 :]
    content = ("\n".join(lines) + "\n").encode("utf-8")
    # The records, the openings and every refusal's record, field, position and reason are the same.
    assert _read(content) == _field_by_field(content)


def _recounted(lines: list[str]) -> bytes:
    """The file with its trailer rewritten to the totals its raw lines hold: a changed line reads as sent."""
    tally = Tally()
    for line in lines[1:-1]:
        tally.add_line(line.encode("utf-8"))
    trailer = {
        **tally.counts,
        "block_count": len(lines),
        "record_descriptor_word": RECORD_LENGTH,
        "record_identifier": TRAILER_IDENTIFIER,
    }
    return ("\n".join([*lines[:-1], encode(TRAILER, trailer)]) + "\n").encode("utf-8")


@settings(max_examples=150, deadline=None)
@given(
    changes=st.lists(
        st.tuples(
            st.integers(1, len(CLEAN) - 2), st.one_of(st.sampled_from(COUNTED), st.integers(0, 425)), COUNTED_NOISE
        ),
        min_size=1,
        max_size=4,
    )
)
def test_the_trailer_totals_counted_from_the_cut_values_are_those_of_the_raw_lines(
    changes: list[tuple[int, int, str]],
) -> None:
    lines = list(COUNTED_CLEAN)
    for line, position, char in changes:
        lines[line] = lines[line][:position] + char + lines[line][position + 1 :]
    content = _recounted(lines)
    # The trailer holds what the raw lines hold: a file whose lines all pass is taken whole by both paths,
    # and any refusal (of a line, or of the file for a line the totals cannot be recounted from) is the same.
    fast = _read(content)
    assert fast == _field_by_field(content)
    cutter = Cutter(BASE, metro2._TEXTS, metro2._NUMBERS)
    if all(line.startswith("0426") and cutter.cut(line) is not None for line in lines[1:-1]):
        # Every line was counted from its cut values, and the totals agree with the raw lines': not refused.
        assert all(len(p) == 4 for p in fast)


@pytest.mark.parametrize(
    ("field", "text", "code"),
    [
        ("current_balance", "00000800A", "invalid_field"),  # a letter in a number
        ("date_opened", "02302025", "invalid_field"),  # digits that are no date
        ("date_opened", "0115 025", "invalid_field"),  # digits and blanks: the cutter's pattern lets it through
        ("surname", "D\x7fE", "invalid_field"),  # a control character in a text field
        ("account_status", "1\u00e9", "not_ascii"),
    ],
)
def test_a_malformed_field_is_refused_naming_the_field_and_position_as_field_by_field(
    field: str, text: str, code: str
) -> None:
    where = BASE.field(field).start - 1
    lines = list(COUNTED_CLEAN)
    lines[2] = _put(lines[2], field, text)
    content = _recounted(lines)
    fast = _read(content)
    assert fast == _field_by_field(content)
    rejected = [r for p in fast if len(p) == 4 for r in p[2]]
    if code == "not_ascii":
        # A line that is not ASCII is refused whole, at the character's position, before any field is read.
        assert [(r.line, r.code, r.position) for r in rejected] == [(3, code, where + 2)]
    else:
        assert [(r.line, r.code, r.field, r.position) for r in rejected] == [(3, code, field, where + 1)]
