from datetime import date

import pytest

from fairlend.errors import Invalid
from fairlend.identity.checks import (
    MAX_CERTIFICATE_BYTES,
    check_card_number,
    check_claimed_type,
    check_id_number,
    normalise_phone,
    sniff_content_type,
)
from tests.identity.helpers import cn_id_number, dev_card

TODAY = date(2026, 3, 2)


def _code(call: object, *args: object) -> str:
    with pytest.raises(Invalid) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value.code


def test_a_valid_resident_id_number_passes_with_its_birth_date() -> None:
    number = cn_id_number(date(1990, 3, 7))
    checked = check_id_number(number, "cn.ric", date(1990, 3, 7), TODAY)
    assert checked.number == number and checked.birth_date == date(1990, 3, 7)


def test_a_wrong_check_character_is_an_invalid_id_number() -> None:
    number = cn_id_number(date(1990, 3, 7))
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    assert _code(check_id_number, wrong, "cn.ric", date(1990, 3, 7), TODAY) == "invalid_id_number"


def test_an_unknown_region_or_impossible_birth_date_is_an_invalid_id_number() -> None:
    assert _code(
        check_id_number, cn_id_number(date(1990, 3, 7), region="990000"), "cn.ric", date(1990, 3, 7), TODAY
    ) == ("invalid_id_number")
    body = "11010119901332001"
    from stdnum.cn import ric

    assert _code(check_id_number, body + ric.calc_check_digit(body + "0"), "cn.ric", date(1990, 3, 7), TODAY) == (
        "invalid_id_number"
    )
    assert _code(check_id_number, "1234", "cn.ric", date(1990, 3, 7), TODAY) == "invalid_id_number"


def test_a_birth_date_that_disagrees_with_the_id_number_is_refused() -> None:
    number = cn_id_number(date(1990, 3, 7))
    assert _code(check_id_number, number, "cn.ric", date(1990, 3, 8), TODAY) == "id_birth_date_mismatch"


def test_an_applicant_under_18_on_the_business_date_is_refused_and_18_today_passes() -> None:
    seventeen = date(2008, 3, 3)
    assert _code(check_id_number, cn_id_number(seventeen), "cn.ric", seventeen, TODAY) == "under_age"
    eighteen = date(2008, 3, 2)
    assert check_id_number(cn_id_number(eighteen), "cn.ric", eighteen, TODAY).birth_date == eighteen


def test_a_us_social_security_number_is_checked_with_us_ssn() -> None:
    assert check_id_number("536-90-4399", "us.ssn", date(1980, 1, 1), TODAY).number == "536904399"
    assert _code(check_id_number, "000-12-3456", "us.ssn", date(1980, 1, 1), TODAY) == "invalid_id_number"


def test_cards_must_pass_luhn() -> None:
    card = dev_card()
    assert check_card_number(card[:4] + " " + card[4:]) == card
    broken = card[:-1] + str((int(card[-1]) + 1) % 10)
    assert _code(check_card_number, broken) == "card_failed_luhn"
    assert _code(check_card_number, "abc") == "invalid_card_number"


def test_a_mobile_number_of_another_region_is_refused() -> None:
    assert normalise_phone("13912345678", "CN").e164 == "+8613912345678"
    assert normalise_phone("13912345678", "CN").masked == "139****5678"
    assert _code(normalise_phone, "+12025550123", "CN") == "phone_wrong_region"
    assert _code(normalise_phone, "12345", "CN") == "invalid_phone"
    assert _code(normalise_phone, "01012345678", "CN") == "phone_not_mobile"


def test_files_are_known_by_their_bytes_not_their_names() -> None:
    assert sniff_content_type(b"%PDF-1.7 rest") == "application/pdf"
    assert sniff_content_type(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert sniff_content_type(b"\x89PNG\r\n\x1a\nrest") == "image/png"
    assert _code(sniff_content_type, b"MZ\x90\x00 an executable") == "file_type_mismatch"
    assert _code(sniff_content_type, b"%PDF-" + b"0" * MAX_CERTIFICATE_BYTES) == "file_too_large"
    assert _code(check_claimed_type, "image/png", None, "salary.pdf") == "file_type_mismatch"
    assert _code(check_claimed_type, "image/png", "application/pdf", None) == "file_type_mismatch"
    check_claimed_type("image/jpeg", "image/jpeg", "scan.JPEG")
