"""Fixtures for the bureau: its service on the `cn` and `us` profiles, record builders."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from fairlend.bootstrap import Container
from fairlend.bureau.client import InProcessBureau
from fairlend.bureau.sealing import BureauSealer
from fairlend.bureau.service import BureauService, derive_blind_key
from fairlend.clock import FixedClock
from fairlend.jurisdiction.loader import load_profile

ID_CN = "110101199003074477"
ID_US = "123-45-6789"
US_SEAL_KEY = ("us1", bytes(range(32)))


@pytest.fixture
def bureau(container: Container) -> BureauService:
    assert isinstance(container.bureau, InProcessBureau)
    return container.bureau.service


@pytest.fixture
def us_bureau(container: Container, clock: FixedClock) -> BureauService:
    sealer = BureauSealer.derived_from([US_SEAL_KEY])
    return BureauService(container.uow, load_profile("us"), clock, derive_blind_key("test-us"), sealer)


def lines(*records: dict[str, Any]) -> bytes:
    return "\n".join(json.dumps(r) for r in records).encode()


class Records:
    """Builds reporting records with unique ids, one account at a time."""

    def __init__(self, account_ref: str = "L1", id_number: str = ID_CN, currency: str = "CNY") -> None:
        self.ref = account_ref
        self.id_number = id_number
        self.currency = currency
        self._n = 0

    def _id(self) -> str:
        self._n += 1
        return f"{self.ref}-{self._n}"

    def opened(self, day: date, amount: int = 1_000_000, **extra: Any) -> dict[str, Any]:
        return {
            "record_id": self._id(),
            "type": "account_opened",
            "account_ref": self.ref,
            "date": day.isoformat(),
            "person": {"name": "张三", "id_number": self.id_number},
            "account_type": "loan",
            "currency": self.currency,
            "amount": amount,
            "term_months": 12,
            "due_schedule": {"frequency": "monthly", "installments": 12, "installment_amount": 91680},
            **extra,
        }

    def status(self, day: date, days_overdue: int = 0, balance: int = 900_000, **extra: Any) -> dict[str, Any]:
        return {
            "record_id": self._id(),
            "type": "status",
            "account_ref": self.ref,
            "date": day.isoformat(),
            "balance": balance,
            "amount_overdue": 91680 if days_overdue else 0,
            "days_overdue": days_overdue,
            **extra,
        }

    def notice(self, day: date) -> dict[str, Any]:
        return {"record_id": self._id(), "type": "negative_notice", "account_ref": self.ref, "date": day.isoformat()}

    def settled(self, day: date, **extra: Any) -> dict[str, Any]:
        return {
            "record_id": self._id(),
            "type": "settlement",
            "account_ref": self.ref,
            "date": day.isoformat(),
            **extra,
        }

    def charged_off(self, day: date, amount: int = 800_000) -> dict[str, Any]:
        return {
            "record_id": self._id(),
            "type": "charge_off",
            "account_ref": self.ref,
            "date": day.isoformat(),
            "amount": amount,
        }

    def repayment(self, day: date, amount: int, **extra: Any) -> dict[str, Any]:
        return {
            "record_id": self._id(),
            "type": "repayment",
            "account_ref": self.ref,
            "date": day.isoformat(),
            "amount": amount,
            **extra,
        }


@pytest.fixture
def records() -> Callable[..., Records]:
    return Records
