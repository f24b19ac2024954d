"""Metro 2's record layouts, unpacked character format: one declarative table per record (pure).

The CDIA's Credit Reporting Resource Guide (CRRG) is not public; the
positions, lengths and types here follow the open-source moov-io/metro2
implementation (pkg/lib/specifications.go, `*CharacterFormat` and
`*SegmentFormat`), which implements the CRRG layout. Positions are 1-based
as the CRRG prints them (moov's offsets + 1). The same table encodes and
decodes (codec.py), so the two directions cannot drift apart.

Kinds: `N` numeric, right-justified and zero-filled; `A` alphanumeric,
left-justified and blank-filled; `D` a date MMDDYYYY, zero-filled when
absent; `T` a timestamp MMDDYYYYHHMMSS, zero-filled when absent.
"""

from __future__ import annotations

from dataclasses import dataclass

RECORD_LENGTH = 426  # header, base segment and trailer in the character format


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    start: int  # 1-based position in the record or segment, as the CRRG numbers it
    length: int
    kind: str  # N, A, D or T


@dataclass(frozen=True, slots=True)
class Layout:
    name: str
    length: int
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


def _layout(name: str, specs: list[tuple[str, int, str]]) -> Layout:
    """A layout from (name, length, kind) in record order: each start is where the previous field ended."""
    fields: list[Field] = []
    start = 1
    for field_name, length, kind in specs:
        fields.append(Field(field_name, start, length, kind))
        start += length
    return Layout(name, start - 1, tuple(fields))


HEADER = _layout(
    "header",
    [
        ("record_descriptor_word", 4, "N"),
        ("record_identifier", 6, "A"),  # HEADER
        ("cycle_identifier", 2, "A"),
        ("innovis_program_identifier", 10, "A"),
        ("equifax_program_identifier", 10, "A"),
        ("experian_program_identifier", 5, "A"),
        ("transunion_program_identifier", 10, "A"),
        ("activity_date", 8, "D"),
        ("date_created", 8, "D"),
        ("program_date", 8, "D"),
        ("program_revision_date", 8, "D"),
        ("reporter_name", 40, "A"),
        ("reporter_address", 96, "A"),
        ("reporter_telephone_number", 10, "N"),
        ("software_vendor_name", 40, "A"),
        ("software_version_number", 5, "A"),
        ("prbc_program_identifier", 10, "A"),
        ("reserved", 146, "A"),
    ],
)

BASE = _layout(
    "base",
    [
        ("record_descriptor_word", 4, "N"),
        ("processing_indicator", 1, "N"),
        ("time_stamp", 14, "T"),
        ("correction_indicator", 1, "N"),
        ("identification_number", 20, "A"),
        ("cycle_identifier", 2, "A"),
        ("consumer_account_number", 30, "A"),
        ("portfolio_type", 1, "A"),
        ("account_type", 2, "A"),
        ("date_opened", 8, "D"),
        ("credit_limit", 9, "N"),
        ("highest_credit", 9, "N"),
        ("terms_duration", 3, "A"),
        ("terms_frequency", 1, "A"),
        ("scheduled_monthly_payment_amount", 9, "N"),
        ("actual_payment_amount", 9, "N"),
        ("account_status", 2, "A"),
        ("payment_rating", 1, "A"),
        ("payment_history_profile", 24, "A"),
        ("special_comment", 2, "A"),
        ("compliance_condition_code", 2, "A"),
        ("current_balance", 9, "N"),
        ("amount_past_due", 9, "N"),
        ("original_charge_off_amount", 9, "N"),
        ("date_account_information", 8, "D"),
        ("date_first_delinquency", 8, "D"),
        ("date_closed", 8, "D"),
        ("date_last_payment", 8, "D"),
        ("interest_type_indicator", 1, "A"),
        ("reserved", 17, "A"),
        ("surname", 25, "A"),
        ("first_name", 20, "A"),
        ("middle_name", 20, "A"),
        ("generation_code", 1, "A"),
        ("social_security_number", 9, "N"),
        ("date_birth", 8, "D"),
        ("telephone_number", 10, "N"),
        ("ecoa_code", 1, "A"),
        ("consumer_information_indicator", 2, "A"),
        ("country_code", 2, "A"),
        ("first_line_address", 32, "A"),
        ("second_line_address", 32, "A"),
        ("city", 20, "A"),
        ("state", 2, "A"),
        ("zip_code", 9, "A"),
        ("address_indicator", 1, "A"),
        ("residence_code", 1, "A"),
    ],
)

# Associated consumers: J1 at the base's address, J2 at another.
_CONSUMER = [
    ("segment_identifier", 2, "A"),
    ("reserved1", 1, "A"),
    ("surname", 25, "A"),
    ("first_name", 20, "A"),
    ("middle_name", 20, "A"),
    ("generation_code", 1, "A"),
    ("social_security_number", 9, "N"),
    ("date_birth", 8, "D"),
    ("telephone_number", 10, "N"),
    ("ecoa_code", 1, "A"),
    ("consumer_information_indicator", 2, "A"),
]
J1 = _layout("J1", [*_CONSUMER, ("reserved2", 1, "A")])
J2 = _layout(
    "J2",
    [
        *_CONSUMER,
        ("country_code", 2, "A"),
        ("first_line_address", 32, "A"),
        ("second_line_address", 32, "A"),
        ("city", 20, "A"),
        ("state", 2, "A"),
        ("zip_code", 9, "A"),
        ("address_indicator", 1, "A"),
        ("residence_code", 1, "A"),
        ("reserved2", 2, "A"),
    ],
)
# Purchased from / sold to: indicator 1 purchased from, 2 sold to, 9 remove a previously reported name.
K2 = _layout(
    "K2",
    [
        ("segment_identifier", 2, "A"),
        ("purchased_indicator", 1, "N"),
        ("purchased_name", 30, "A"),
        ("reserved", 1, "A"),
    ],
)
# Account number change: indicator 1 account number, 2 identification number, 3 both.
L1 = _layout(
    "L1",
    [
        ("segment_identifier", 2, "A"),
        ("change_indicator", 1, "N"),
        ("new_consumer_account_number", 30, "A"),
        ("new_identification_number", 20, "A"),
        ("reserved", 1, "A"),
    ],
)
N1 = _layout(
    "N1",
    [
        ("segment_identifier", 2, "A"),
        ("employer_name", 30, "A"),
        ("first_line_employer_address", 32, "A"),
        ("second_line_employer_address", 32, "A"),
        ("employer_city", 20, "A"),
        ("employer_state", 2, "A"),
        ("zip_code", 9, "A"),
        ("occupation", 18, "A"),
        ("reserved", 1, "A"),
    ],
)
SEGMENTS = {layout.name: layout for layout in (J1, J2, K2, L1, N1)}

# The trailer's per-status totals, in record order.
TRAILER_STATUSES = (
    "DF", "DA", "05", "11", "13", "61", "62", "63", "64", "65", "71", "78", "80", "82", "83", "84", "88", "89",
    "93", "94", "95", "96", "97",
)  # fmt: skip
_TRAILER_TOTALS = [
    "total_base_records",
    "reserved1",
    "total_status_code_DF",
    "total_consumer_segments_J1",
    "total_consumer_segments_J2",
    "block_count",
    *(f"total_status_code_{s}" for s in TRAILER_STATUSES if s != "DF"),
    "total_ecoa_code_Z",
    "total_employment_segments",
    "total_original_creditor_segments",
    "total_purchased_to_segments",
    "total_mortgage_information_segments",
    "total_payment_information_segments",
    "total_change_segments",
    "total_social_numbers_all_segments",
    "total_social_numbers_base_segments",
    "total_social_numbers_J1_segments",
    "total_social_numbers_J2_segments",
    "total_dates_birth_all_segments",
    "total_dates_birth_base_segments",
    "total_dates_birth_J1_segments",
    "total_dates_birth_J2_segments",
    "total_telephone_numbers_all_segments",
]
TRAILER = _layout(
    "trailer",
    [
        ("record_descriptor_word", 4, "N"),
        ("record_identifier", 7, "A"),  # TRAILER
        *((name, 9, "A" if name == "reserved1" else "N") for name in _TRAILER_TOTALS),
        ("reserved2", 19, "A"),
    ],
)
