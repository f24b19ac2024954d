"""The fast path cuts exactly what the field-by-field decoder reads, and passes nothing it refuses."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from fairlend.metro2 import cut
from fairlend.metro2.codec import FieldProblem, decode, encode
from fairlend.metro2.cut import Cutter
from fairlend.metro2.layout import BASE

TEXTS = ("consumer_account_number", "surname", "account_status", "payment_history_profile")
NUMBERS = ("current_balance", "social_security_number")
GOOD = encode(
    BASE,
    {
        "record_descriptor_word": 426,
        "processing_indicator": 1,
        "consumer_account_number": "A1",
        "date_opened": date(2025, 1, 15),
        "account_status": "71",
        "payment_history_profile": "0" * 12 + "B" * 12,
        "current_balance": 8_000,
        "date_account_information": date(2026, 1, 31),
        "date_birth": date(1980, 2, 29),
        "surname": "DOE",
        "social_security_number": 123_456_789,
    },
)
# Characters that break a field of some kind, or none: digits, blanks, letters, a sign, DEL, non-ASCII.
NOISE = st.sampled_from(["0", "1", "9", " ", "A", "z", "-", "\x7f", "é", "\t"])


def _decoded(text: str) -> tuple[tuple[str, ...], tuple[int, ...], tuple[date | None, ...]] | None:
    try:
        values = decode(BASE, text, record=2)
    except FieldProblem:
        return None
    return (
        tuple(values[n] for n in TEXTS),
        tuple(values[n] for n in NUMBERS),
        tuple(values[n] for n in Cutter(BASE, TEXTS, NUMBERS).dates),
    )


def test_a_clean_segment_is_cut_into_the_values_the_decoder_reads() -> None:
    values = Cutter(BASE, TEXTS, NUMBERS).cut(GOOD)
    assert values == _decoded(GOOD)
    assert values is not None and values[0] == ("A1", "DOE", "71", "0" * 12 + "B" * 12)
    assert values[2][-1] == date(1980, 2, 29)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.integers(0, BASE.length - 1), NOISE), min_size=1, max_size=3))
def test_after_any_change_the_fast_path_reads_what_the_decoder_reads_or_hands_the_line_to_it(
    changes: list[tuple[int, str]],
) -> None:
    chars = list(GOOD)
    for position, char in changes:
        chars[position] = char
    text = "".join(chars)
    # Whatever the decoder refuses the cutter never passes (None: the decoder names the field);
    # whatever it reads, the cutter reads the same.
    assert Cutter(BASE, TEXTS, NUMBERS).cut(text) == _decoded(text)


def test_a_date_that_does_not_exist_or_mixes_blanks_and_a_line_of_another_length_go_to_the_decoder() -> None:
    cutter = Cutter(BASE, TEXTS, NUMBERS)
    opened = BASE.field("date_opened").start - 1
    assert cutter.cut(GOOD[:opened] + "02302025" + GOOD[opened + 8 :]) is None
    # The line's pattern lets digits and blanks through in a date; the memo takes only all of one or the other.
    assert cutter.cut(GOOD[:opened] + "0115 025" + GOOD[opened + 8 :]) is None
    stamp = BASE.field("time_stamp").start - 1
    assert cutter.cut(GOOD[:stamp] + "0" * 13 + " " + GOOD[stamp + 14 :]) is None
    assert cutter.cut(GOOD + "J1") is None
    assert cutter.cut(GOOD[:-1]) is None


def test_the_date_memo_starts_over_when_full_so_memory_stays_flat() -> None:
    cutter = Cutter(BASE, TEXTS, NUMBERS)
    memo = cutter._date_memo  # the bound is the behaviour under test
    for day in range(1, cut.MEMO_LIMIT + 50):
        memo[f"{day:08d}"]
    assert len(memo) <= cut.MEMO_LIMIT
    assert cutter.cut(GOOD) == _decoded(GOOD)
