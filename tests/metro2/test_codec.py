"""The Metro 2 codec against lines built by hand from the layout's positions (moov-io/metro2, CRRG)."""

from __future__ import annotations

from datetime import date

import pytest

from fairlend.metro2 import codec
from fairlend.metro2.codec import EncodeError, FieldProblem
from fairlend.metro2.layout import BASE, HEADER, J1, J2, K2, L1, N1, SEGMENTS, TRAILER


def test_every_layout_has_the_length_the_crrg_gives_it() -> None:
    lengths = {layout.name: layout.length for layout in (HEADER, BASE, TRAILER, J1, J2, K2, L1, N1)}
    assert lengths == {"header": 426, "base": 426, "trailer": 426, "J1": 100, "J2": 200, "K2": 34, "L1": 54, "N1": 146}


@pytest.mark.parametrize(
    ("layout", "name", "start", "length"),
    [
        # moov-io/metro2 pkg/lib/specifications.go offsets, + 1 for the CRRG's 1-based positions.
        (BASE, "consumer_account_number", 43, 30),
        (BASE, "date_opened", 76, 8),
        (BASE, "account_status", 124, 2),
        (BASE, "payment_history_profile", 127, 24),
        (BASE, "compliance_condition_code", 153, 2),
        (BASE, "current_balance", 155, 9),
        (BASE, "date_first_delinquency", 190, 8),
        (BASE, "surname", 232, 25),
        (BASE, "social_security_number", 298, 9),
        (BASE, "date_birth", 307, 8),
        (BASE, "consumer_information_indicator", 326, 2),
        (BASE, "zip_code", 416, 9),
        (HEADER, "activity_date", 48, 8),
        (HEADER, "reporter_name", 80, 40),
        (HEADER, "prbc_program_identifier", 271, 10),
        (TRAILER, "total_base_records", 12, 9),
        (TRAILER, "block_count", 57, 9),
        (TRAILER, "total_status_code_97", 255, 9),
        (TRAILER, "total_telephone_numbers_all_segments", 399, 9),
        (J2, "zip_code", 188, 9),
        (K2, "purchased_name", 4, 30),
        (L1, "new_identification_number", 34, 20),
        (N1, "occupation", 128, 18),
    ],
)
def test_fields_sit_where_the_layout_says(layout, name: str, start: int, length: int) -> None:  # type: ignore[no-untyped-def]
    field = layout.field(name)
    assert (field.start, field.length) == (start, length)


def test_numbers_are_right_justified_zero_filled_and_text_left_justified_blank_filled() -> None:
    line = codec.encode(K2, {"segment_identifier": "K2", "purchased_indicator": 2, "purchased_name": "ACME BANK"})
    assert line == "K2" + "2" + "ACME BANK" + " " * 21 + " "
    line = codec.encode(
        BASE,
        {"record_descriptor_word": 426, "current_balance": 1234, "date_opened": date(2026, 3, 7), "surname": "DOE"},
    )
    assert line[0:4] == "0426"
    assert line[154:163] == "000001234"
    assert line[75:83] == "03072026"
    assert line[231:256] == "DOE" + " " * 22
    assert line[189:197] == "00000000"  # a date not given is zero-filled


def test_decoding_gives_back_what_was_encoded() -> None:
    values = {
        "segment_identifier": "J1",
        "surname": "ROE",
        "first_name": "JANE",
        "social_security_number": 123456789,
        "date_birth": date(1990, 1, 31),
        "ecoa_code": "2",
    }
    decoded = codec.decode(J1, codec.encode(J1, values))
    assert {k: decoded[k] for k in values} == values
    assert decoded["telephone_number"] == 0 and decoded["middle_name"] == ""


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"current_balance": -1}, "current_balance must be a whole number"),
        ({"current_balance": 10**9}, "current_balance holds 9 digits"),
        ({"surname": "X" * 26}, "surname holds 25 characters"),
        ({"surname": "MÜLLER"}, "surname must be printable ASCII"),
        ({"no_such_field": 1}, "base has no field no_such_field"),
    ],
)
def test_a_value_the_layout_cannot_hold_is_refused_when_encoding(values: dict[str, object], message: str) -> None:
    with pytest.raises(EncodeError, match=message):
        codec.encode(BASE, values)


def _line(**values: object) -> str:
    return codec.encode(BASE, {"record_descriptor_word": 426, **values})


@pytest.mark.parametrize(
    ("position", "replacement", "field", "code"),
    [
        (155, "00000012X", "current_balance", "invalid_field"),
        (76, "13452026", "date_opened", "invalid_field"),  # month 13
        (298, "12345678 ", "social_security_number", "invalid_field"),
        (232, "DOÉ", "surname", "not_ascii"),
    ],
)
def test_a_bad_field_is_named_with_its_record_and_position(
    position: int, replacement: str, field: str, code: str
) -> None:
    line = _line(date_opened=date(2026, 1, 1))
    bad = line[: position - 1] + replacement + line[position - 1 + len(replacement) :]
    with pytest.raises(FieldProblem) as caught:
        codec.decode(BASE, bad, record=7)
    assert (caught.value.record, caught.value.field, caught.value.position, caught.value.code) == (
        7,
        field,
        position,
        code,
    )


def test_appended_segments_are_found_by_their_identifier_and_an_unknown_one_is_refused() -> None:
    tail = codec.encode(J1, {"segment_identifier": "J1", "surname": "ROE"}) + codec.encode(
        N1, {"segment_identifier": "N1", "employer_name": "ACME"}
    )
    segments = codec.decode_segments(_line() + tail, 426, 3)
    assert [name for name, _ in segments] == ["J1", "N1"]
    assert segments[1][1]["employer_name"] == "ACME"
    with pytest.raises(FieldProblem) as caught:
        codec.decode_segments(_line() + "K9" + " " * 30, 426, 3)
    assert (caught.value.field, caught.value.position, caught.value.code) == (
        "segment_identifier",
        427,
        "unknown_segment",
    )
    assert set(SEGMENTS) == {"J1", "J2", "K2", "L1", "N1"}
