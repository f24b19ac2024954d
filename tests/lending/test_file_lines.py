"""Reading a repayment file's lines: each bad line refused with its code, a bad file refused whole."""

from __future__ import annotations

import io
from datetime import date

import pytest

from fairlend.errors import Invalid
from fairlend.lending.file_lines import (
    MAX_LINE_BYTES,
    FileFormat,
    FileLine,
    HashingReader,
    LineRefusal,
    PaymentLines,
    read_raw,
)

HEADER = "loan_reference,amount,value_date,external_reference\n"


def read(text: str | bytes) -> tuple[PaymentLines, list[FileLine | LineRefusal]]:
    data = text.encode() if isinstance(text, str) else text
    lines = PaymentLines(read_raw(HashingReader(io.BytesIO(data))), "CNY")
    return lines, list(lines)


def codes(text: str | bytes) -> list[str]:
    return [line.code if isinstance(line, LineRefusal) else "ok" for line in read(text)[1]]


def test_a_csv_line_is_read_into_minor_units_its_date_and_references() -> None:
    lines, [line] = read(HEADER + "loan_01abc,916.80,2026-03-02,PSP-2026/03:0001\n")
    assert lines.format is FileFormat.CSV and lines.count == 1
    assert line == FileLine(1, "loan_01abc", 91_680, "CNY", date(2026, 3, 2), "PSP-2026/03:0001")


def test_columns_may_come_in_any_order_with_a_bom_crlf_and_an_optional_currency() -> None:
    text = "\ufeffExternal_Reference,currency,value_date,amount,loan_reference\r\nR1,usd,2026-03-02,5,loan_1\r\n"
    _, [line] = read(text)
    assert line == FileLine(1, "loan_1", 500, "USD", date(2026, 3, 2), "R1")


def test_a_json_lines_file_takes_amounts_as_text_or_whole_numbers_never_as_fractions() -> None:
    text = (
        '{"loan_reference":"loan_1","amount":"1.50","value_date":"2026-03-02","external_reference":"A"}\n'
        '{"loan_reference":"loan_1","amount":7,"value_date":"2026-03-02","external_reference":"B"}\n'
        '{"loan_reference":"loan_1","amount":1.5,"value_date":"2026-03-02","external_reference":"C"}\n'
        '{"loan_reference":"loan_1","amount":"1","value_date":"2026-03-02"}\n'
        '{"loan_reference":"loan_1","amount":"1","value_date":"2026-03-02","external_reference":"D","x":1}\n'
        "[1, 2]\n"
        "not json\n"
    )
    lines, read_lines = read(text)
    assert lines.format is FileFormat.JSONL
    assert [getattr(x, "amount_minor", None) for x in read_lines[:2]] == [150, 700]
    assert codes(text) == [
        "ok",
        "ok",
        "amount_invalid",
        "line_fields",
        "line_fields",
        "line_malformed",
        "line_malformed",
    ]


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("loan_1,0.001,2026-03-02,R", "amount_too_precise"),  # a fraction of a fen
        ("loan_1,-5.00,2026-03-02,R", "amount_not_positive"),
        ("loan_1,0,2026-03-02,R", "amount_not_positive"),
        ("loan_1,100000000.01,2026-03-02,R", "amount_too_large"),
        ("loan_1,9" * 1 + "9" * 30 + ",2026-03-02,R", "amount_out_of_range"),
        ("loan_1,1e3,2026-03-02,R", "amount_invalid"),
        ("loan_1,１００,2026-03-02,R", "amount_invalid"),  # full-width digits
        ("loan_1,1 000,2026-03-02,R", "amount_invalid"),
        ("loan_1,10,2026-02-30,R", "value_date_invalid"),
        ("loan_1,10,02/03/2026,R", "value_date_invalid"),
        ("loan_1,10,2026-03-02,", "external_reference_invalid"),
        ("loan_1,10,2026-03-02,two words", "external_reference_invalid"),
        ("loan_1,10,2026-03-02," + "R" * 81, "external_reference_invalid"),
        (",10,2026-03-02,R", "loan_reference_invalid"),
        ("LOAN 1,10,2026-03-02,R", "loan_reference_invalid"),
        ("loan_1,10,2026-03-02", "line_malformed"),
        ('loan_1,"10,2026-03-02,R', "line_malformed"),
    ],
)
def test_each_bad_line_is_refused_with_its_own_code_and_the_next_line_still_read(line: str, code: str) -> None:
    assert codes(HEADER + line + "\nloan_2,1.00,2026-03-02,OK\n") == [code, "ok"]


def test_a_refused_line_keeps_what_could_be_read_of_it_for_the_result_file() -> None:
    _, [refused] = read(HEADER + "loan_1,abc,2026-03-02,PSP1\n")
    assert isinstance(refused, LineRefusal)
    assert (refused.number, refused.loan_id, refused.external_reference) == (1, "loan_1", "PSP1")


def test_a_line_longer_than_the_limit_is_refused_alone_and_not_held_whole() -> None:
    long_line = "loan_1,1.00,2026-03-02," + "R" * (50 * MAX_LINE_BYTES)
    assert codes(HEADER + long_line + "\nloan_2,1.00,2026-03-02,OK\n") == ["line_too_long", "ok"]


def test_blank_lines_are_skipped_and_not_counted() -> None:
    lines, read_lines = read(HEADER + "\n\nloan_1,1.00,2026-03-02,A\n\n")
    assert lines.count == 1 and [x.number for x in read_lines] == [1]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (HEADER.encode() + b"loan_1,1.00,2026-03-02,A\nloan_1,1.00,2026-03-02,\xff\xfe\n", "file_not_utf8"),
        (HEADER.encode(), "file_empty"),
        (b"", "file_empty"),
        (b"loan,amount,date,ref\nloan_1,1.00,2026-03-02,A\n", "file_columns"),
        ((HEADER.strip() + ",amount\n").encode(), "file_columns"),
        ((HEADER.strip() + ",note\n").encode(), "file_columns"),
    ],
)
def test_a_problem_of_the_whole_file_refuses_it_with_a_stable_code(data: bytes, code: str) -> None:
    with pytest.raises(Invalid) as refused:
        read(data)
    assert refused.value.code == code


def test_the_hash_covers_every_byte_read_line_ends_and_bom_included() -> None:
    plain = HEADER + "loan_1,1.00,2026-03-02,A\n"
    digests = set()
    for data in (plain.encode(), plain.replace("\n", "\r\n").encode(), b"\xef\xbb\xbf" + plain.encode()):
        reader = HashingReader(io.BytesIO(data))
        assert len(list(PaymentLines(read_raw(reader), "CNY"))) == 1
        digests.add(reader.hexdigest())
    assert len(digests) == 3


def test_the_survey_counts_the_lines_and_finds_whole_file_problems_without_checking_each_line() -> None:
    lines = PaymentLines(
        read_raw(HashingReader(io.BytesIO(csv_bytes("loan_1,abc,bad,R", "loan_2,1,2026-03-02,")))), "CNY"
    )
    lines.survey()
    assert (lines.count, lines.format) == (2, FileFormat.CSV)
    broken = PaymentLines(read_raw(HashingReader(io.BytesIO(csv_bytes("loan_1,1,2026-03-02,R") + b"\xff\n"))), "CNY")
    with pytest.raises(Invalid) as refused:
        broken.survey()
    assert refused.value.code == "file_not_utf8"


def csv_bytes(*lines: str) -> bytes:
    return (HEADER + "".join(f"{line}\n" for line in lines)).encode()
