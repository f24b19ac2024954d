"""Products as versioned data, and quotes against them.

Storing a product whose code exists makes its next version; loans keep the
version they were written on, so changing a product never changes a loan.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.exc import IntegrityError

from fairlend.db.uow import UnitOfWorkFactory
from fairlend.errors import Invalid, NotFound, PolicyViolation
from fairlend.jurisdiction.model import Profile
from fairlend.lending.model import Product
from fairlend.lending.schedule import Schedule, build_schedule, check_apr_cap
from fairlend.lending.schedule.cap import rounding_up_finding
from fairlend.lending.tables import loan_product
from fairlend.money import Money

_LATEST = (
    select(loan_product.c.terms)
    .where(loan_product.c.code == bindparam("code"))
    .order_by(loan_product.c.version.desc())
    .limit(1)
)
_VERSION = select(loan_product.c.terms).where(
    loan_product.c.code == bindparam("code"), loan_product.c.version == bindparam("version")
)


@dataclass(frozen=True, slots=True)
class Quote:
    product: Product
    schedule: Schedule
    apr_method: str  # the profile's rule for the APR: nominal or effective
    apr_cap: Decimal = Decimal(0)
    apr_cap_rule: str = ""
    approved: Money | None = None  # a multi-disbursement loan's approved amount: the schedule is its first tranche's


ProductCache = dict[tuple[str, int], Product]
_DEFINE_ATTEMPTS = 5


def load_product(conn: Connection, code: str, version: int | None = None, cache: ProductCache | None = None) -> Product:
    """A product version; `cache` keeps versions read before (a stored version never changes)."""
    if cache is not None and version is not None and (code, version) in cache:
        return cache[(code, version)]
    if version is None:
        terms = conn.execute(_LATEST, {"code": code}).scalar()
    else:
        terms = conn.execute(_VERSION, {"code": code, "version": version}).scalar()
    if terms is None:
        raise NotFound("product_not_found", f"no product {code!r}" + (f" version {version}" if version else ""))
    product = Product.from_dict(terms)
    if cache is not None and len(cache) < 10_000:
        cache[(product.code, product.version)] = product
    return product


class Products:
    def __init__(self, uow: UnitOfWorkFactory, profile: Profile) -> None:
        self._uow = uow
        self._profile = profile

    def define(self, product: Product) -> Product:
        """Store a product; a known code gets its next version. Refused: another currency, a penalty rate
        above the overdue-interest cap, and interest rounded up where it can price a loan above the APR cap
        (`product_rounding_up_above_cap`, naming the cap's rule: schedule/cap.py)."""
        pricing = self._profile.pricing
        if product.currency != self._profile.currency:
            raise Invalid("product_currency", f"this platform lends in {self._profile.currency}")
        if product.penalty_rate > pricing.overdue_interest_cap:
            raise PolicyViolation(
                "penalty_rate_above_cap",
                f"the penalty rate {product.penalty_rate} is above the overdue-interest cap "
                f"{pricing.overdue_interest_cap} ({pricing.overdue_interest_cap_rule})",
                rules=[pricing.overdue_interest_cap_rule],
            )
        finding = rounding_up_finding(product, pricing)
        if finding is not None:
            raise Invalid(
                finding.code,
                finding.detail,
                rules=[finding.rule],
                cap=str(finding.cap),
                min_amount_needed=finding.min_amount_needed,
            )
        # Two definitions of one code at once (two admins; two first applications that each found
        # origination's product missing) read the same latest version: the second insert collides on
        # the primary key, and it takes the next version instead of failing.
        collisions = 0
        while True:
            try:
                return self._store_next_version(product)
            except IntegrityError:
                collisions += 1
                if collisions >= _DEFINE_ATTEMPTS:
                    raise

    def _store_next_version(self, product: Product) -> Product:
        with self._uow() as uow:
            current = uow.conn.execute(
                select(func.max(loan_product.c.version)).where(loan_product.c.code == product.code)
            ).scalar()
            stored = replace(product, version=int(current or 0) + 1)
            uow.conn.execute(
                loan_product.insert().values(
                    code=stored.code,
                    version=stored.version,
                    name=stored.name,
                    currency=stored.currency,
                    terms=stored.to_dict(),
                    created_at=uow.clock.now(),
                )
            )
            uow.commit()
        return stored

    def get(self, code: str, version: int | None = None) -> Product:
        with self._uow(read_only=True) as uow:
            return load_product(uow.conn, code, version)

    def all(self) -> list[Product]:
        """The latest version of every product."""
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(select(loan_product.c.terms).order_by(loan_product.c.code, loan_product.c.version))
            latest: dict[str, Product] = {}
            for (terms,) in rows:
                product = Product.from_dict(terms)
                latest[product.code] = product
        return list(latest.values())

    def quote(
        self,
        product: Product,
        amount: Money,
        open_date: date,
        *,
        rate: Decimal | None = None,
        term: int | None = None,
        first_due_date: date | None = None,
        fee: Money | None = None,
        installment: Money | None = None,
    ) -> Quote:
        """The schedule and APR; refused when the APR is above the profile's cap."""
        for money in (amount, installment):
            if money is not None and money.currency != product.currency:
                raise Invalid("currency_mismatch", f"product {product.code} lends in {product.currency}")
        schedule = build_schedule(
            product,
            amount.minor,
            open_date,
            rate=rate,
            term=term,
            first_due=first_due_date,
            apr_method=self._profile.pricing.apr_method,
            fee=None if fee is None else fee.minor,
            installment=None if installment is None else installment.minor,
        )
        check_apr_cap(schedule.apr, self._profile.pricing)
        pricing = self._profile.pricing
        return Quote(product, schedule, pricing.apr_method.value, pricing.apr_cap, pricing.apr_cap_rule)
