"""The peers' loans booked as products and quoted over HTTP: the schedule each answer carries is the engine's,
which tests/lending/test_schedule_peers.py holds to Apache Fineract's and frappe/lending's expected figures.

A lender expresses each case through `POST /api/v1/products` and `POST /api/v1/quotes` alone; the answer's
lines equal `build_schedule` of the same stored product line for line, and the peers' own first figures are
checked here too, so the API is not trusted to the engine's test alone.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fairlend.identity.model import Role
from fairlend.lending.model import Product
from fairlend.lending.schedule import build_schedule
from tests.conftest import FakeAuthenticator
from tests.lending.conftest import BASE

RS = {"rate": "0.12", "term": 18, "installment_rounding": 100}
P100 = {"rate": "0.094822", "rounding": "half_even"}
# name -> (product fields, amount, open date, the peer's first line: principal, interest, total in minor units)
CASES: dict[str, tuple[dict[str, Any], str, date, tuple[int | None, int | None, int]]] = {
    "fineract-rs01-flat": ({**RS, "interest_method": "flat"}, "5000", date(2022, 11, 1), (27_800, 5_000, 32_800)),
    "fineract-rs03-actual-days": ({**RS, "day_count": "act/365"}, "5000", date(2022, 11, 1), (25_568, 4_932, 30_500)),
    "fineract-rs05-grace": ({**RS, "grace_principal_periods": 3}, "5000", date(2022, 11, 1), (0, 5_000, 5_000)),
    "fineract-rs07-deferred": (
        {**RS, "grace_principal_periods": 6, "grace_interest_periods": 3},
        "5000",
        date(2022, 11, 1),
        (0, 20_000, 20_000),
    ),
    "fineract-c3164-act-act": (
        {
            "rate": "0.1065",
            "term": 5,
            "day_count": "act/act",
            "emi_method": "progressive",
            "rebalance_installment": True,
        },
        "331.77",
        date(2023, 12, 12),
        (6_514, 300, 6_814),
    ),
    "fineract-15-days": (
        {**P100, "term": 6, "frequency": "15_days", "day_count": "act/360"},
        "100",
        date(2024, 1, 1),
        (1_650, 40, 1_690),
    ),
    "fineract-weekly-364": (
        {**P100, "term": 6, "frequency": "weekly", "day_count": "act/364"},
        "100",
        date(2024, 1, 1),
        (1_659, 18, 1_677),
    ),
    "frappe-whole-unit-emi": (
        {"rate": "0.084", "term": 20, "day_count": "act/365", "installment_rounding": 100},
        "280000",
        date(2025, 1, 27),
        (None, None, 1_505_200),  # frappe asserts the installment alone
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_peers_loan_stored_and_quoted_over_http_gives_the_engines_schedule_and_the_peers_first_line(
    api: TestClient, fake_auth: FakeAuthenticator, name: str
) -> None:
    fields, amount, opened, (principal, interest, total) = CASES[name]
    body = {**BASE.to_dict(), **fields, "code": name}
    body.pop("version")
    stored = api.post("/api/v1/products", json=body, headers=fake_auth.headers(Role.ADMIN, "op_a"))
    assert stored.status_code == 201, stored.text
    quoted = api.post(
        "/api/v1/quotes",
        json={"product_code": name, "amount": amount, "open_date": opened.isoformat()},
        headers=fake_auth.headers(Role.BORROWER, "brw_a"),
    )
    assert quoted.status_code == 200, quoted.text
    lines = [
        (ln["principal"]["minor"], ln["interest"]["minor"], ln["total"]["minor"]) for ln in quoted.json()["schedule"]
    ]
    product = Product.from_dict({**stored.json()["terms"]})
    engine = build_schedule(product, int(Decimal(amount) * 100), opened).lines
    assert lines == [(ln.principal, ln.interest, ln.total) for ln in engine]
    first = lines[0]
    assert first[2] == total and (principal is None or first[:2] == (principal, interest))
