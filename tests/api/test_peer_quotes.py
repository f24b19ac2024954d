"""The peers' loans booked as products and quoted over HTTP: the schedule each answer carries is the engine's,
which tests/lending/test_schedule_peers.py holds to Apache Fineract's and frappe/lending's expected figures.

A lender expresses each case through `POST /api/v1/products` and `POST /api/v1/quotes` alone; the answer's
lines equal `build_schedule` of the same stored product line for line, and the peers' own first figures are
checked here too, so the API is not trusted to the engine's test alone.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from fairlend.identity.model import Role
from fairlend.lending.model import Product
from fairlend.lending.schedule import build_schedule
from tests.conftest import FakeAuthenticator
from tests.lending.conftest import BASE
from tests.lending.peer_cases import CASES


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
