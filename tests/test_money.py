from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fairlend.errors import Invalid
from fairlend.money import (
    Money,
    Rounding,
    allocate,
    parse_major,
    round_down,
    round_half_even,
    round_half_up,
    sum_money,
    to_minor,
)

amounts = st.integers(min_value=-(10**12), max_value=10**12)
weights = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=40).filter(lambda w: sum(w) > 0)


@given(amounts, weights)
def test_allocation_conserves_the_amount_and_stays_within_one_minor_unit(minor: int, ws: list[int]) -> None:
    shares = allocate(Money(minor, "CNY"), ws)
    assert sum(s.minor for s in shares) == minor
    total = sum(ws)
    for share, weight in zip(shares, ws, strict=True):
        exact = Fraction(minor * weight, total)
        assert abs(share.minor - exact) < 1


@given(amounts, weights)
def test_allocation_is_deterministic(minor: int, ws: list[int]) -> None:
    assert allocate(Money(minor, "USD"), ws) == allocate(Money(minor, "USD"), ws)


def test_allocation_breaks_ties_toward_the_earlier_weight() -> None:
    assert [m.minor for m in allocate(Money(100, "CNY"), [1, 1, 1])] == [34, 33, 33]
    assert [m.minor for m in allocate(Money(-100, "CNY"), [1, 1, 1])] == [-34, -33, -33]


def test_allocation_gives_zero_weight_nothing() -> None:
    assert [m.minor for m in allocate(Money(10, "CNY"), [0, 3, 1])] == [0, 8, 2]


@pytest.mark.parametrize("bad", [[], [0, 0], [-1, 2], [0.5, 0.5]])
def test_allocation_refuses_bad_weights(bad: list[float]) -> None:
    with pytest.raises(Invalid):
        allocate(Money(10, "CNY"), bad)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_a_float_is_never_accepted_as_money(value: float) -> None:
    with pytest.raises(Invalid):
        Money(value, "CNY")  # type: ignore[arg-type]
    with pytest.raises(Invalid):
        Money.of(value, "CNY")  # type: ignore[arg-type]
    with pytest.raises(Invalid):
        Money(100, "CNY") * value  # type: ignore[operator]


def test_mixing_currencies_raises() -> None:
    with pytest.raises(Invalid, match="currency_mismatch|cannot combine"):
        Money(1, "CNY") + Money(1, "USD")
    with pytest.raises(Invalid):
        _ = Money(1, "CNY") < Money(1, "USD")


def test_arithmetic_and_comparison_within_a_currency() -> None:
    a, b = Money.of("12.34", "CNY"), Money.of("0.66", "CNY")
    assert (a + b).minor == 1300
    assert (a - b).minor == 1168
    assert b < a and a >= b and -a == Money(-1234, "CNY")
    assert Money.of(5, "JPY").minor == 5


def test_booleans_are_not_amounts() -> None:
    with pytest.raises(Invalid):
        Money(True, "CNY")


def test_unknown_currency_is_refused() -> None:
    with pytest.raises(Invalid, match="unknown currency"):
        Money(1, "XXX")


@pytest.mark.parametrize(
    ("value", "mode", "minor"),
    [
        ("1.005", Rounding.HALF_UP, 101),
        ("1.005", Rounding.HALF_EVEN, 100),
        ("1.015", Rounding.HALF_EVEN, 102),
        ("1.009", Rounding.DOWN, 100),
        ("-1.005", Rounding.HALF_UP, -101),
        ("-1.009", Rounding.DOWN, -100),
    ],
)
def test_named_roundings(value: str, mode: Rounding, minor: int) -> None:
    assert to_minor(Decimal(value), "CNY", mode) == minor


def test_rounding_helpers_return_money() -> None:
    assert round_half_up(Decimal("2.675"), "USD") == Money(268, "USD")
    assert round_half_even(Decimal("2.665"), "USD") == Money(266, "USD")
    assert round_down(Decimal("2.679"), "USD") == Money(267, "USD")


def test_times_a_rate_uses_the_named_rounding() -> None:
    assert Money(10000, "CNY").times(Decimal("0.015"), Rounding.HALF_UP) == Money(150, "CNY")
    assert Money(333, "CNY").times(Decimal("0.5"), Rounding.HALF_EVEN) == Money(166, "CNY")


def test_formatting_by_locale() -> None:
    assert Money(123456, "CNY").format("zh_CN") == "¥1,234.56"
    assert Money(123456, "USD").format("en-US") == "$1,234.56"


@pytest.mark.parametrize("major", ["1e308", "-1e40", "1e20", "92233720368547758.08"])
def test_an_amount_too_large_for_storage_is_refused_with_a_stable_code(major: str) -> None:
    with pytest.raises(Invalid) as refused:
        Money.of(Decimal(major), "CNY")
    assert refused.value.code == "amount_out_of_range"


def test_the_largest_storable_amount_is_still_money() -> None:
    assert Money.of(Decimal("92233720368547758.07"), "CNY").minor == 2**63 - 1


# ---- amounts from outside: only ASCII digits, never finer than the minor unit ----------------


@pytest.mark.parametrize(("text", "currency"), [("1.005", "CNY"), ("0.001", "USD"), ("12.5", "JPY"), ("-3.141", "CNY")])
def test_an_amount_finer_than_the_minor_unit_is_refused_not_rounded(text: str, currency: str) -> None:
    with pytest.raises(Invalid) as refused:
        Money.of(text, currency)
    assert refused.value.code == "amount_too_precise"
    with pytest.raises(Invalid) as refused_decimal:
        Money.of(Decimal(text), currency)
    assert refused_decimal.value.code == "amount_too_precise"


@pytest.mark.parametrize(
    ("text", "minor"), [("1.0", 100), ("1.00", 100), ("1.000", 100), ("1", 100), ("0.01", 1), ("-2.50", -250)]
)
def test_trailing_zeros_past_the_minor_unit_are_the_same_amount(text: str, minor: int) -> None:
    assert Money.of(text, "CNY").minor == minor


@pytest.mark.parametrize(
    "text", ["１２", "١٢", "12\u00a0", " 12", "1e3", "1E3", "NaN", "Infinity", "+1", ".5", "5.", "1_000", "0x10", ""]
)
def test_only_ascii_digits_are_money(text: str) -> None:
    with pytest.raises(Invalid) as refused:
        Money.of(text, "CNY")
    assert refused.value.code == "amount_invalid"


def test_a_named_rounding_still_rounds_when_the_caller_asks_for_it() -> None:
    assert Money.of(Decimal("1.005"), "CNY", Rounding.HALF_UP).minor == 101
    assert Money.of(Decimal("1.005"), "CNY", Rounding.HALF_EVEN).minor == 100


@pytest.mark.parametrize(
    ("text", "minor"), [("8,500.00", 850_000), ("1,234,567", 123_456_700), (" 12.30 ", 1230), ("12", 1200)]
)
def test_a_form_amount_may_group_thousands_with_commas(text: str, minor: int) -> None:
    assert Money.parse(text, "CNY", grouping=True).minor == minor


@pytest.mark.parametrize("text", ["1,2,3", "12,34", "１,２３４", "1,234.5,6", ",123"])
def test_commas_only_group_thousands(text: str) -> None:
    with pytest.raises(Invalid) as refused:
        Money.parse(text, "CNY", grouping=True)
    assert refused.value.code == "amount_invalid"


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_every_amount_written_in_minor_units_parses_back_exactly(minor: int) -> None:
    money = Money(minor, "CNY")
    assert Money.parse(str(money.to_decimal()), "CNY") == money


# -- each refusal: its stable code, and the words a person reads (problem+json `detail`, the CLI's line) --

REFUSALS = [
    (lambda: Money(1, "XXX"), "unknown_currency", "unknown currency 'XXX'"),
    (lambda: to_minor(1, "CNY", Rounding.HALF_UP), "not_decimal", "expected a Decimal amount, got int"),
    (lambda: Money(Decimal(1), "CNY"), "money_not_integer", "money is an integer count of minor units, not Decimal"),
    (lambda: Money.of(1.5, "CNY"), "money_not_float", "a float is never accepted as money"),
    (lambda: Money.of(True, "CNY"), "money_not_float", "a float is never accepted as money"),
    (lambda: Money.of(Decimal("NaN"), "CNY"), "money_not_finite", "not a finite amount: Decimal('NaN')"),
    # Text is money only in ASCII digits with an optional sign and point: no NaN, no exponent.
    (
        lambda: Money.of("NaN", "CNY"),
        "amount_invalid",
        "an amount is written in ASCII digits with an optional point, such as 916.80",
    ),
    (lambda: Money.of(Decimal("-Infinity"), "CNY"), "money_not_finite", "not a finite amount: Decimal('-Infinity')"),
    (lambda: Money(1, "CNY") + 1, "money_type", "cannot combine Money with int"),
    (lambda: Money(1, "CNY") - Money(1, "USD"), "currency_mismatch", "cannot combine CNY with USD"),
    (lambda: Money(1, "CNY") < Money(2, "JPY"), "currency_mismatch", "cannot combine CNY with JPY"),
    (
        lambda: Money(1, "CNY") * Decimal("1.5"),
        "money_factor",
        "money is multiplied only by an int; use a named rounding for rates",
    ),
    (
        lambda: Money(1, "CNY") * True,
        "money_factor",
        "money is multiplied only by an int; use a named rounding for rates",
    ),
    (lambda: Money.of(Decimal("1e40"), "CNY"), "amount_out_of_range", "amount out of range: 1E+40"),
    (
        lambda: Money.of("92233720368547758.08", "CNY"),
        "amount_out_of_range",
        "amount out of range: 92233720368547758.08",
    ),
    (lambda: Money.of(Decimal("1e999999"), "CNY"), "amount_out_of_range", "amount out of range: 1E+999999"),
    (lambda: Money.of([12], "CNY"), "amount_invalid", "not an amount: list"),  # type: ignore[arg-type]
    (lambda: parse_major(12), "amount_invalid", 'an amount is text such as "916.80", not int'),  # type: ignore[arg-type]
    (
        lambda: Money.of("1.005", "CNY"),
        "amount_too_precise",
        "1.005 is finer than the smallest unit of CNY (0.01); it is refused, not rounded",
    ),
    (
        lambda: Money.of("12.5", "JPY"),
        "amount_too_precise",
        "12.5 is finer than the smallest unit of JPY (1); it is refused, not rounded",
    ),
    (lambda: allocate(Money(1, "CNY"), []), "allocate_no_weights", "cannot allocate over no weights"),
    (
        lambda: allocate(Money(1, "CNY"), [1, 0.5]),
        "allocate_float_weight",
        "weights are ints or Decimals, never floats",
    ),
    (lambda: allocate(Money(1, "CNY"), [True]), "allocate_float_weight", "weights are ints or Decimals, never floats"),
    (lambda: allocate(Money(1, "CNY"), [2, -1]), "allocate_negative_weight", "weights must not be negative"),
    (lambda: allocate(Money(1, "CNY"), [0, Decimal(0)]), "allocate_zero_weights", "weights must not all be zero"),
]


@pytest.mark.parametrize(("call", "code", "detail"), REFUSALS)
def test_every_refusal_has_its_stable_code_and_says_why(call: object, code: str, detail: str) -> None:
    with pytest.raises(Invalid) as refused:
        call()  # type: ignore[operator]
    assert (refused.value.code, refused.value.detail) == (code, detail)


def test_the_storage_bounds_are_inclusive_on_both_sides() -> None:
    top = Decimal(2**63 - 1).scaleb(-2)
    assert to_minor(top, "CNY", Rounding.HALF_UP) == 2**63 - 1
    assert to_minor(-top, "CNY", Rounding.HALF_UP) == -(2**63 - 1)
    for beyond in (top + Decimal("0.01"), -top - Decimal("0.01")):
        with pytest.raises(Invalid) as refused:
            to_minor(beyond, "CNY", Rounding.HALF_UP)
        assert refused.value.code == "amount_out_of_range"


def test_zero_is_falsy_and_every_other_amount_is_truthy() -> None:
    assert Money.zero("CNY") == Money(0, "CNY") and Money.zero("JPY").currency == "JPY"
    assert not Money.zero("CNY") and Money.zero("CNY").is_zero
    assert Money(1, "CNY") and Money(-1, "CNY") and Money(2, "CNY")


def test_ordering_is_strict_and_total_within_a_currency() -> None:
    one, two = Money(1, "CNY"), Money(2, "CNY")
    assert not one < one and one <= one and one >= one and not one > one
    assert one < two and two > one and not two < one
    assert max([two, one, Money(-5, "CNY")]) == two and sorted([two, one]) == [one, two]


def test_money_times_an_int_either_way_round() -> None:
    assert Money(150, "CNY") * 3 == 3 * Money(150, "CNY") == Money(450, "CNY")
    assert abs(Money(-7, "CNY")) == Money(7, "CNY") and Money(-7, "CNY").is_negative


def test_the_default_format_is_american_english() -> None:
    assert Money(123456, "USD").format() == "$1,234.56"
    assert Money(123456, "CNY").format() == "CN¥1,234.56"
    assert str(Money(123456, "CNY")) == "1234.56 CNY"


def test_allocation_gives_the_leftover_unit_to_the_largest_remainder_not_the_largest_share() -> None:
    # 10 x 61/100 = 6.1 and 10 x 39/100 = 3.9: the unit left over goes to the .9, not to the bigger share.
    assert [m.minor for m in allocate(Money(10, "CNY"), [61, 39])] == [6, 4]
    assert [m.minor for m in allocate(Money(-10, "CNY"), [61, 39])] == [-6, -4]
    assert [m.minor for m in allocate(Money(0, "CNY"), [1, 2])] == [0, 0]
    assert [m.minor for m in allocate(Money(7, "CNY"), [Fraction(1, 3), Decimal("0.5")])] == [3, 4]


def test_sum_money_adds_every_amount_and_an_empty_sum_is_zero() -> None:
    assert sum_money([Money(1, "CNY"), Money(20, "CNY"), Money(-300, "CNY")], "CNY") == Money(-279, "CNY")
    assert sum_money([], "USD") == Money(0, "USD")


def test_an_amount_is_at_most_sixty_four_characters_of_text() -> None:
    assert Money.parse("0" * 62 + "12", "CNY").minor == 1200
    with pytest.raises(Invalid) as refused:
        Money.parse("0" * 63 + "12", "CNY")
    assert refused.value.code == "amount_invalid"


@pytest.mark.parametrize("text", ["X12", "12\u00a0", "\u300012", "12\n"])
def test_a_form_amount_loses_only_spaces_and_tabs_around_it(text: str) -> None:
    assert Money.parse("\t 12 \t", "CNY", grouping=True).minor == 1200
    with pytest.raises(Invalid) as refused:
        Money.parse(text, "CNY", grouping=True)
    assert refused.value.code == "amount_invalid"


def test_typed_amounts_group_thousands_only_when_asked() -> None:
    with pytest.raises(Invalid) as refused:
        Money.parse("1,000", "CNY")
    assert refused.value.code == "amount_invalid"
    assert Money.parse("1,000", "CNY", grouping=True).minor == 100_000
