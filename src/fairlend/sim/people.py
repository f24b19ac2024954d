"""Pure: the simulated people and how each of them behaves, drawn from one seeded generator.

Nothing here touches storage. The same seed gives the same names, ID numbers,
phones, cards, loans and behaviours, so a demo database can be rebuilt exactly.
ID numbers are valid `cn.ric` numbers (region, birth date, sequence, check
digit), bank cards sit in identity's development test range (`62220000…`,
Luhn-valid), and phones are valid mainland mobile numbers.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass
from datetime import date, timedelta

from stdnum import luhn
from stdnum.cn import ric

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"
# County-level codes that python-stdnum's cn.ric knows for every birth year the demo draws
# (Beijing Dongcheng, Xicheng, Chaoyang, Haidian; Shanghai Huangpu, Xuhui; Tianjin Heping).
# Many codes (Guangzhou Yuexiu, 440104, say) only exist from a later year: stdnum refuses them before.
REGIONS = ("110101", "110102", "110105", "110108", "310101", "310104", "120101")
# A card passes identity's development verifier when it starts so and passes Luhn (identity/README.md).
DEV_CARD_PREFIX = "62220000"
AMOUNTS_YUAN = (3_000, 5_000, 8_000, 10_000, 15_000, 20_000, 30_000, 50_000)
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
    amount_yuan: int
    term: int
    open_offset: int  # days after the start the loan is booked
    behaviour: Behaviour
    late_lag: int = 0


def id_number(region: str, born: date, sequence: int) -> str:
    body = f"{region}{born:%Y%m%d}{sequence % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def card_number(serial: int) -> str:
    body = DEV_CARD_PREFIX + f"{serial:010d}"  # 18 digits, the 19th is the check digit
    return body + luhn.calc_check_digit(body)


def phone_number(seed: int, index: int) -> str:
    # 139 + two seed digits + six of the borrower's index: distinct per seed, valid for phonenumbers.
    return f"139{seed % 100:02d}{index:06d}"


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


def make_borrowers(count: int, seed: int, start: date, *, open_within: int = 20) -> list[SimBorrower]:
    """`count` borrowers, adults on `start`, their loans booked within `open_within` days of it."""
    rng = random.Random(seed)
    kinds = behaviours(count, rng)
    people: list[SimBorrower] = []
    for i, kind in enumerate(kinds):
        born = date(1965, 1, 1) + timedelta(days=rng.randrange(0, 365 * 37))
        if (start - born).days < 365 * 19:  # keep every borrower comfortably over 18
            born = start - timedelta(days=365 * 25)
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        people.append(
            SimBorrower(
                index=i,
                name=name,
                phone=phone_number(seed, i + 1),
                birth_date=born,
                id_number=id_number(rng.choice(REGIONS), born, 100 + i),
                card_number=card_number(seed % 1000 * 1_000_000 + i + 1),
                amount_yuan=rng.choice(AMOUNTS_YUAN),
                # A prepayer needs installments left to prepay.
                term=rng.choice((6, 12)) if kind is Behaviour.PREPAY else rng.choice(TERMS),
                # The prepayer opens first, so its settlement and the collector's call fall inside short demos.
                open_offset=0 if kind is Behaviour.PREPAY else rng.randrange(0, max(1, open_within)),
                behaviour=kind,
                late_lag=rng.choice(LATE_LAGS) if kind is Behaviour.LATE else 0,
            )
        )
    return people
