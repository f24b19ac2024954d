"""Pure: the simulated people and how each of them behaves, drawn from one seeded generator.

Nothing here touches storage. The same seed gives the same names, ID numbers,
phones, cards, loans and behaviours, so a demo database can be rebuilt exactly.
Under the `cn` profile ID numbers are valid `cn.ric` numbers (region, birth
date, sequence, check digit) and phones valid mainland mobile numbers; under
`us` they are valid `us.ssn` numbers and US numbers in the 555 exchange. Bank
cards sit in identity's development test range (`62220000…`, Luhn-valid).
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass
from datetime import date, timedelta

from stdnum import luhn
from stdnum.cn import ric
from stdnum.us import ssn

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"
# County-level codes that python-stdnum's cn.ric knows for every birth year the demo draws
# (Beijing Dongcheng, Xicheng, Chaoyang, Haidian; Shanghai Huangpu, Xuhui; Tianjin Heping).
# Many codes (Guangzhou Yuexiu, 440104, say) only exist from a later year: stdnum refuses them before.
REGIONS = ("110101", "110102", "110105", "110108", "310101", "310104", "120101")
# A card passes identity's development verifier when it starts so and passes Luhn (identity/README.md).
DEV_CARD_PREFIX = "62220000"
AMOUNTS_YUAN = (3_000, 5_000, 8_000, 10_000, 15_000, 20_000, 30_000, 50_000)
FIRST_NAMES_US = (
    "James",
    "Mary",
    "Robert",
    "Linda",
    "Michael",
    "Maria",
    "David",
    "Susan",
    "Carlos",
    "Aisha",
    "Wei",
    "Emily",
)
LAST_NAMES_US = (
    "Smith",
    "Johnson",
    "Garcia",
    "Brown",
    "Nguyen",
    "Miller",
    "Davis",
    "Lopez",
    "Wilson",
    "Chen",
    "Taylor",
)
AREA_CODES_US = ("201", "212", "312", "415", "617", "713")
AMOUNTS_USD = (1_000, 2_000, 3_000, 5_000, 8_000, 12_000)
TERMS = (3, 6, 12)
# Days a late payer pays after each due date.
LATE_LAGS = (6, 12, 20)


class Behaviour(enum.StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    NEVER = "never"  # stops paying: delinquent
    PREPAY = "prepay"  # pays the first installment, then settles the whole loan early


@dataclass(frozen=True, slots=True)
class SimBorrower:
    index: int
    name: str
    phone: str  # national form, e.g. 13907000001
    birth_date: date
    id_number: str
    card_number: str
    amount_yuan: int  # in the profile's major unit (yuan, or dollars under `us`)
    term: int
    open_offset: int  # days after the start the loan is booked
    behaviour: Behaviour
    late_lag: int = 0


def id_number(region: str, born: date, sequence: int) -> str:
    body = f"{region}{born:%Y%m%d}{sequence % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def ssn_number(rng: random.Random) -> str:
    """A number `stdnum.us.ssn` accepts (no area 000, 666 or 9xx, no group 00, no serial 0000)."""
    while True:
        candidate = f"{rng.randrange(1, 666):03d}-{rng.randrange(1, 100):02d}-{rng.randrange(1, 10_000):04d}"
        if ssn.is_valid(candidate):
            return candidate


def card_number(serial: int) -> str:
    body = DEV_CARD_PREFIX + f"{serial:010d}"  # 18 digits, the 19th is the check digit
    return body + luhn.calc_check_digit(body)


def phone_number(seed: int, index: int, scheme: str = "cn.ric") -> str:
    if scheme == "us.ssn":
        # An area code, the fictional 555 exchange, one seed digit and three of the index.
        return f"{AREA_CODES_US[index // 1000 % len(AREA_CODES_US)]}555{seed % 10}{index % 1000:03d}"
    # 139 + two seed digits + six of the borrower's index: distinct per seed, valid for phonenumbers.
    return f"139{seed % 100:02d}{index:06d}"


def person_name(rng: random.Random, scheme: str = "cn.ric") -> str:
    if scheme == "us.ssn":
        return f"{rng.choice(FIRST_NAMES_US)} {rng.choice(LAST_NAMES_US)}"
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def behaviours(count: int, rng: random.Random) -> list[Behaviour]:
    """Most pay on time, some late, a few never, exactly one prepays (when there are at least four)."""
    if count <= 0:
        return []
    never = max(1, count // 10) if count >= 3 else 0
    late = max(1, count * 3 // 20) if count >= 3 else 0
    prepay = 1 if count >= 2 else 0
    on_time = count - never - late - prepay
    if on_time < 1:
        # Tiny demos: keep one of each of the story's roles that fits.
        late = max(0, late + on_time - 1)
        on_time = count - never - late - prepay
    kinds = (
        [Behaviour.PREPAY] * prepay
        + [Behaviour.NEVER] * never
        + [Behaviour.LATE] * late
        + [Behaviour.ON_TIME] * on_time
    )
    rng.shuffle(kinds)
    return kinds


def make_borrowers(
    count: int, seed: int, start: date, *, open_within: int = 20, scheme: str = "cn.ric"
) -> list[SimBorrower]:
    """`count` borrowers, adults on `start`, their loans booked within `open_within` days of it.

    `scheme` is the profile's ID number scheme: it decides names, ID numbers, phones and amounts."""
    us = scheme == "us.ssn"
    rng = random.Random(seed)
    kinds = behaviours(count, rng)
    people: list[SimBorrower] = []
    for i, kind in enumerate(kinds):
        born = date(1965, 1, 1) + timedelta(days=rng.randrange(0, 365 * 37))
        if (start - born).days < 365 * 19:  # keep every borrower comfortably over 18
            born = start - timedelta(days=365 * 25)
        name = person_name(rng, scheme)
        region = rng.choice(REGIONS)
        people.append(
            SimBorrower(
                index=i,
                name=name,
                phone=phone_number(seed, i + 1, scheme),
                birth_date=born,
                id_number=ssn_number(rng) if us else id_number(region, born, 100 + i),
                card_number=card_number(seed % 1000 * 1_000_000 + i + 1),
                amount_yuan=rng.choice(AMOUNTS_USD if us else AMOUNTS_YUAN),
                # A prepayer needs installments left to prepay.
                term=rng.choice((6, 12)) if kind is Behaviour.PREPAY else rng.choice(TERMS),
                # The prepayer opens first, so its settlement and the collector's call fall inside short demos.
                open_offset=0 if kind is Behaviour.PREPAY else rng.randrange(0, max(1, open_within)),
                behaviour=kind,
                late_lag=rng.choice(LATE_LAGS) if kind is Behaviour.LATE else 0,
            )
        )
    return people
