"""Products and quotes over HTTP: the bodies and answers of api/routers/lending.py.

Amounts are major units as decimal text in bodies, and come back as
{"amount", "minor", "currency"}.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from fairlend.api.amounts import Amount
from fairlend.lending.model import Product
from fairlend.lending.products import Quote
from fairlend.money import Money


class MoneyPublic(BaseModel):
    amount: str  # major units, exact: "916.80"
    minor: int
    currency: str

    @classmethod
    def of(cls, money: Money) -> MoneyPublic:
        return cls(amount=str(money.to_decimal()), minor=money.minor, currency=money.currency)


class ProductPublic(BaseModel):
    code: str
    version: int
    name: str
    currency: str
    terms: dict[str, Any]

    @classmethod
    def of(cls, product: Product) -> ProductPublic:
        return cls(
            code=product.code,
            version=product.version,
            name=product.name,
            currency=product.currency,
            terms=product.to_dict(),
        )


class QuoteCreate(BaseModel):
    product_code: str
    amount: Amount = Field(gt=0, description="major units, e.g. 10000.00")
    rate: Decimal | None = Field(default=None, ge=0, le=10)
    term: int | None = Field(default=None, ge=1, le=600)
    open_date: date | None = None
    first_due_date: date | None = None
    version: int | None = None
    installment: Amount | None = Field(
        default=None, gt=0, description="a fixed installment in major units instead of the term: the term is derived"
    )


class ScheduleSettingsPublic(BaseModel):
    """The product's schedule settings the quote was computed with (docs/lending.md)."""

    method: str
    interest_method: str
    frequency: str
    day_count: str
    rounding: str
    installment_rounding: int
    emi_method: str
    rebalance_installment: bool
    grace_principal_periods: int
    grace_interest_periods: int
    interest_free_periods: int

    @classmethod
    def of(cls, product: Product) -> ScheduleSettingsPublic:
        return cls(**{name: product.to_dict()[name] for name in cls.model_fields})


class ScheduleLinePublic(BaseModel):
    seq: int
    due_date: date
    principal: MoneyPublic
    interest: MoneyPublic
    total: MoneyPublic
    balance_after: MoneyPublic


class QuotePublic(BaseModel):
    product_code: str
    product_version: int
    amount: MoneyPublic
    principal: MoneyPublic
    fee: MoneyPublic
    disbursed: MoneyPublic
    installment: MoneyPublic
    total_interest: MoneyPublic
    total_repayment: MoneyPublic
    apr: Decimal
    apr_method: str
    apr_cap: Decimal
    apr_cap_rule: str
    term: int
    maturity_date: date
    settings: ScheduleSettingsPublic
    schedule: list[ScheduleLinePublic]

    @classmethod
    def of(cls, quote: Quote) -> QuotePublic:
        s = quote.schedule
        m = s.money
        return cls(
            product_code=quote.product.code,
            product_version=quote.product.version,
            amount=MoneyPublic.of(m(s.amount)),
            principal=MoneyPublic.of(m(s.principal)),
            fee=MoneyPublic.of(m(s.fee)),
            disbursed=MoneyPublic.of(m(s.disbursed)),
            installment=MoneyPublic.of(m(s.installment)),
            total_interest=MoneyPublic.of(m(s.total_interest)),
            total_repayment=MoneyPublic.of(m(s.total_repayment)),
            apr=s.apr,
            apr_method=quote.apr_method,
            apr_cap=quote.apr_cap,
            apr_cap_rule=quote.apr_cap_rule,
            term=len(s.lines),
            maturity_date=s.maturity,
            settings=ScheduleSettingsPublic.of(quote.product),
            schedule=[
                ScheduleLinePublic(
                    seq=line.seq,
                    due_date=line.due,
                    principal=MoneyPublic.of(m(line.principal)),
                    interest=MoneyPublic.of(m(line.interest)),
                    total=MoneyPublic.of(m(line.total)),
                    balance_after=MoneyPublic.of(m(line.balance_after)),
                )
                for line in s.lines
            ],
        )
