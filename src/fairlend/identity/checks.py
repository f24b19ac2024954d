"""Checks on what people give us: mobile numbers, ID numbers, bank cards, files.

Each check raises `Invalid` with a stable code and never touches storage, so a
refused input changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import phonenumbers
from stdnum import luhn
from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError
from stdnum.us import ssn

from fairlend.errors import Invalid
from fairlend.identity.model import age_on, mask_phone

MAX_CERTIFICATE_BYTES = 10 * 1024 * 1024
MINIMUM_AGE = 18

# Content types by their first bytes: a file is what it is, not what it is called.
MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


@dataclass(frozen=True, slots=True)
class Phone:
    e164: str
    national: str
    masked: str


def normalise_phone(raw: str, region: str) -> Phone:
    """A mobile number of the profile's region, in E.164; `phone_wrong_region` otherwise."""
    try:
        parsed = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException:
        raise Invalid("invalid_phone", "this is not a telephone number") from None
    if not phonenumbers.is_valid_number(parsed):
        raise Invalid("invalid_phone", "this is not a valid telephone number")
    if phonenumbers.region_code_for_number(parsed) != region:
        raise Invalid("phone_wrong_region", f"a mobile number of region {region} is needed")
    kind = phonenumbers.number_type(parsed)
    if kind not in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise Invalid("phone_not_mobile", "a mobile number is needed to receive one-time codes")
    national = str(parsed.national_number)
    return Phone(
        phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), national, mask_phone(national)
    )


@dataclass(frozen=True, slots=True)
class IdNumber:
    number: str  # compact form
    scheme: str
    birth_date: date | None  # None where the scheme carries no birth date (us.ssn)


def check_id_number(raw: str, scheme: str, declared_birth_date: date, business_date: date) -> IdNumber:
    """Check an ID number for the profile's scheme, its birth date and the applicant's age."""
    if scheme == "cn.ric":
        try:
            number = ric.validate(raw)
        except InvalidChecksum:
            raise Invalid("invalid_id_number", "the ID number's check character is wrong") from None
        except InvalidComponent:
            raise Invalid("invalid_id_number", "the ID number's birth date or region does not exist") from None
        except ValidationError:
            raise Invalid("invalid_id_number", "this is not an 18-character resident ID number") from None
        born = ric.get_birth_date(number)
        if born != declared_birth_date:
            raise Invalid("id_birth_date_mismatch", "the birth date in the ID number differs from the one given")
        if born > business_date:
            raise Invalid("invalid_id_number", "the ID number's birth date is in the future")
    elif scheme == "us.ssn":
        try:
            number = ssn.validate(raw)
        except ValidationError:
            raise Invalid("invalid_id_number", "this is not a valid social security number") from None
        born = None
    else:
        raise Invalid("unknown_id_scheme", f"no ID number check for scheme {scheme!r}")
    if age_on(declared_birth_date, business_date) < MINIMUM_AGE:
        raise Invalid("under_age", f"applicants must be at least {MINIMUM_AGE} years old")
    return IdNumber(number, scheme, born)


def check_card_number(raw: str) -> str:
    digits = "".join(ch for ch in raw if not ch.isspace() and ch != "-")
    if not (digits.isascii() and digits.isdigit()) or not 12 <= len(digits) <= 19:
        raise Invalid("invalid_card_number", "a bank card number has 12 to 19 digits")
    if not luhn.is_valid(digits):
        raise Invalid("card_failed_luhn", "the card number fails its check digit (Luhn)")
    return digits


def check_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not 1 <= len(name) <= 100:
        raise Invalid("invalid_name", "a name has 1 to 100 characters")
    return name


def sniff_content_type(content: bytes) -> str:
    """The file's real type from its magic bytes; `file_type_mismatch` if it is none we accept."""
    if len(content) > MAX_CERTIFICATE_BYTES:
        raise Invalid("file_too_large", f"an uploaded file is at most {MAX_CERTIFICATE_BYTES // (1024 * 1024)} MB")
    if not content:
        raise Invalid("file_empty", "the file is empty")
    for magic, content_type in MAGIC:
        if content.startswith(magic):
            return content_type
    raise Invalid("file_type_mismatch", "the file is not a PDF, JPEG or PNG")


def check_claimed_type(content_type: str, claimed: str | None, filename: str | None) -> None:
    """A file whose name or declared type says something other than its content is refused."""
    if claimed and claimed not in ("application/octet-stream", content_type):
        raise Invalid("file_type_mismatch", f"the file claims to be {claimed} but its content is {content_type}")
    if filename and "." in filename:
        extension = filename.rsplit(".", 1)[1].lower()
        allowed = {EXTENSIONS[content_type]} | ({"jpeg"} if content_type == "image/jpeg" else set())
        if extension in {"pdf", "jpg", "jpeg", "png"} and extension not in allowed:
            raise Invalid("file_type_mismatch", f"the file is named .{extension} but its content is {content_type}")
