"""Money as an integer count of minor units with an ISO 4217 currency.

Never a float: constructing or multiplying Money with a float raises. Splitting
an amount uses the largest-remainder method so that no minor unit is created
or lost, and rounding from a `Decimal` always names its mode.

Amounts from outside (the API, web forms, the command line, files) are exact
or refused: `Money.of` without a rounding refuses an amount finer than the
currency's minor unit (`amount_too_precise`) instead of rounding it, and text
is money only when written in ASCII digits with an optional sign and point
(`amount_invalid`): Python's `Decimal` would also take full-width and other
scripts' digits, exponents, "NaN" and surrounding spaces.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal, DecimalException
from fractions import Fraction
from functools import total_ordering

from fairlend.errors import Invalid

# Minor-unit exponents of the currencies fairlend knows. Kept here rather than
# asked of Babel so that the pure core never depends on locale data.
# The largest amount, in minor units, that storage holds (a signed 64-bit integer).
MAX_MINOR = 2**63 - 1

CURRENCY_EXPONENTS: dict[str, int] = {
    "CNY": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "HKD": 2,
    "JPY": 0,
    "KRW": 0,
}


# An amount as written by a person or a program: ASCII digits, an optional sign and decimal point.
_AMOUNT_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)
# The same with thousands grouped by commas, as people type them into a form ("8,500.00").
_GROUPED_AMOUNT_TEXT = re.compile(r"-?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?", re.ASCII)
# Far longer than any amount storage holds; refused before Decimal parses it.
MAX_AMOUNT_TEXT = 64


class Rounding(enum.StrEnum):
    """How a `Decimal` amount becomes whole minor units."""

    HALF_UP = "half_up"
    HALF_EVEN = "half_even"
    DOWN = "down"
    UP = "up"  # away from zero: a schedule rounded up never under-collects

    @property
    def decimal_mode(self) -> str:
        return {
            Rounding.HALF_UP: ROUND_HALF_UP,
            Rounding.HALF_EVEN: ROUND_HALF_EVEN,
            Rounding.DOWN: ROUND_DOWN,
            Rounding.UP: ROUND_UP,
        }[self]


def exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise Invalid("unknown_currency", f"unknown currency {currency!r}") from None


def to_minor(major: Decimal, currency: str, rounding: Rounding) -> int:
    """Round an amount in major units (yuan, dollars) to whole minor units."""
    if not isinstance(major, Decimal):
        raise Invalid("not_decimal", f"expected a Decimal amount, got {type(major).__name__}")
    try:
        scaled = major.scaleb(exponent(currency))
        minor = int(scaled.quantize(Decimal(1), rounding=rounding.decimal_mode))
    except DecimalException:
        # More digits than the decimal context holds (InvalidOperation), or an exponent past its
        # limit (Overflow, e.g. "1e999999"): no real amount is that large.
        raise Invalid("amount_out_of_range", f"amount out of range: {major}") from None
    if not -MAX_MINOR <= minor <= MAX_MINOR:
        # Minor units are stored as signed 64-bit integers; a larger amount cannot be kept.
        raise Invalid("amount_out_of_range", f"amount out of range: {major}")
    return minor


def parse_major(text: str, *, grouping: bool = False) -> Decimal:
    """An amount in major units written as text: ASCII digits, an optional "-" and ".", nothing else.

    With `grouping`, thousands may be separated by commas and the text may be surrounded by
    spaces (a web form); never full-width or other scripts' digits, exponents, "NaN" or "+".
    """
    if not isinstance(text, str):
        raise Invalid("amount_invalid", f'an amount is text such as "916.80", not {type(text).__name__}')
    candidate = text.strip(" \t") if grouping else text
    if len(candidate) <= MAX_AMOUNT_TEXT:
        if _AMOUNT_TEXT.fullmatch(candidate):
            return Decimal(candidate)
        if grouping and _GROUPED_AMOUNT_TEXT.fullmatch(candidate):
            return Decimal(candidate.replace(",", ""))
    raise Invalid("amount_invalid", "an amount is written in ASCII digits with an optional point, such as 916.80")


def exact_minor(major: Decimal, currency: str) -> int:
    """Whole minor units of an amount that has no finer part; refused (never rounded) otherwise."""
    minor = to_minor(major, currency, Rounding.DOWN)
    if Decimal(minor) != major.scaleb(exponent(currency)):
        unit = Decimal(1).scaleb(-exponent(currency))
        raise Invalid(
            "amount_too_precise",
            f"{major} is finer than the smallest unit of {currency} ({unit}); it is refused, not rounded",
        )
    return minor


def round_half_up(major: Decimal, currency: str) -> Money:
    return Money(to_minor(major, currency, Rounding.HALF_UP), currency)


def round_half_even(major: Decimal, currency: str) -> Money:
    return Money(to_minor(major, currency, Rounding.HALF_EVEN), currency)


def round_down(major: Decimal, currency: str) -> Money:
    return Money(to_minor(major, currency, Rounding.DOWN), currency)


@total_ordering
@dataclass(frozen=True, slots=True)
class Money:
    """An amount of one currency, in minor units (fen, cents)."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        # bool is an int subclass; True yuan is a bug, not an amount.
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise Invalid(
                "money_not_integer",
                f"money is an integer count of minor units, not {type(self.minor).__name__}",
            )
        exponent(self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def of(cls, major: Decimal | str | int, currency: str, rounding: Rounding | None = None) -> Money:
        """Money from major units given as a Decimal, a decimal string (`parse_major`) or an int.

        Exact unless a rounding is named: an amount finer than the currency's minor unit is
        refused with `amount_too_precise`, so "1.005" yuan never silently becomes 1.01.
        """
        if isinstance(major, (float, bool)):
            raise Invalid("money_not_float", "a float is never accepted as money")
        if isinstance(major, str):
            value = parse_major(major)
        elif isinstance(major, int):
            value = Decimal(major)
        elif isinstance(major, Decimal):
            value = major
        else:
            raise Invalid("amount_invalid", f"not an amount: {type(major).__name__}")
        if not value.is_finite():
            raise Invalid("money_not_finite", f"not a finite amount: {major!r}")
        if rounding is None:
            return cls(exact_minor(value, currency), currency)
        return cls(to_minor(value, currency, rounding), currency)

    @classmethod
    def parse(cls, text: str, currency: str, *, grouping: bool = False) -> Money:
        """Money typed by someone: ASCII digits only, exact to the minor unit (see `parse_major`)."""
        return cls.of(parse_major(text, grouping=grouping), currency)

    def _same(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise Invalid("money_type", f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise Invalid("currency_mismatch", f"cannot combine {self.currency} with {other.currency}")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.minor + self._same(other).minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.minor - self._same(other).minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.minor), self.currency)

    def __mul__(self, factor: int) -> Money:
        if not isinstance(factor, int) or isinstance(factor, bool):
            raise Invalid("money_factor", "money is multiplied only by an int; use a named rounding for rates")
        return Money(self.minor * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.minor < self._same(other).minor

    def __bool__(self) -> bool:
        return self.minor != 0

    @property
    def is_zero(self) -> bool:
        return self.minor == 0

    @property
    def is_negative(self) -> bool:
        return self.minor < 0

    def to_decimal(self) -> Decimal:
        """The amount in major units, exactly."""
        return Decimal(self.minor).scaleb(-exponent(self.currency))

    def times(self, rate: Decimal, rounding: Rounding) -> Money:
        """This amount times a rate, rounded with the named mode."""
        return Money(to_minor(self.to_decimal() * rate, self.currency, rounding), self.currency)

    def format(self, locale: str = "en_US") -> str:
        """Render for people, e.g. ¥1,234.56 in zh_CN and $1,234.56 in en_US."""
        from babel.numbers import format_currency  # Babel's locale data loads lazily

        return format_currency(self.to_decimal(), self.currency, locale=locale.replace("-", "_"))

    def __str__(self) -> str:
        return f"{self.to_decimal()} {self.currency}"


def allocate(amount: Money, weights: Sequence[int | Decimal | Fraction]) -> list[Money]:
    """Split `amount` in proportion to `weights` by the largest-remainder method.

    The shares sum to `amount` exactly and each is within one minor unit of its
    exact proportional share. Ties in the remainders go to the earlier weight,
    so the result never depends on anything but the inputs.
    """
    if not weights:
        raise Invalid("allocate_no_weights", "cannot allocate over no weights")
    fractions: list[Fraction] = []
    for weight in weights:
        if isinstance(weight, (float, bool)):
            raise Invalid("allocate_float_weight", "weights are ints or Decimals, never floats")
        fraction = Fraction(weight)
        if fraction < 0:
            raise Invalid("allocate_negative_weight", "weights must not be negative")
        fractions.append(fraction)
    total = sum(fractions, Fraction(0))
    if total == 0:
        raise Invalid("allocate_zero_weights", "weights must not all be zero")

    sign = -1 if amount.minor < 0 else 1
    units = abs(amount.minor)
    exact = [units * f / total for f in fractions]
    floors = [int(e) for e in exact]  # exact shares are non-negative, so int() floors
    leftover = units - sum(floors)
    # Largest remainder first; equal remainders go to the lower index.
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:leftover]:
        floors[i] += 1
    return [Money(sign * share, amount.currency) for share in floors]


def sum_money(amounts: Sequence[Money], currency: str) -> Money:
    total = Money.zero(currency)
    for amount in amounts:
        total = total + amount
    return total
