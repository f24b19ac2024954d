"""The bureau's two ways of reading a base segment give the same records and the same refusals."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from bench.metro2_intake import build_metro2_file
from hypothesis import given, settings
from hypothesis import strategies as st

from fairlend.bureau import metro2
from fairlend.metro2.cut import Cutter
from fairlend.metro2.file import FileRefused

TODAY = date(2026, 2, 1)
CLEAN = build_metro2_file(6, date(2026, 1, 31), overdue_every=2).decode().splitlines()
# Characters that break a field or a content rule, or none.
NOISE = st.sampled_from(["0", "1", "7", "9", " ", "A", "X", "-", "\x7f", "é"])


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
