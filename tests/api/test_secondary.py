"""The secondary market's API: orders and trades, problems with stable codes, replays, no other party named."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.identity.model import Role
from tests.conftest import FakeAuthenticator
from tests.market.support import yuan
from tests.market.trading_support import book, cash, close_days, counts

M = "/api/v1/market"


def _as(auth: FakeAuthenticator, investor: str, key: str | None = None) -> dict[str, str]:
    headers = auth.headers(Role.INVESTOR, investor)
    return {**headers, "Idempotency-Key": key} if key else headers


def _problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


def test_a_note_is_listed_browsed_with_its_price_and_yield_bought_and_shown_in_both_investors_trades(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator, clock: FixedClock
) -> None:
    b = book(container)
    b.world.investor("inv_cat", cash=3_000)
    close_days(container, clock, 31)
    container.lending.repay(b.loan_id, yuan(1_000))
    close_days(container, clock, 1)
    note = b.note_of("inv_ann")
    made = api.post(
        f"{M}/orders",
        json={"note_id": note, "amount": "1000", "premium_bps": -150},
        headers=_as(fake_auth, "inv_ann", "o1"),
    )
    assert made.status_code == 201, made.text
    order = made.json()
    assert order["mine"] and not order["whole"] and order["status_at_listing"] == "current"
    assert order["quote"]["price"]["amount"] and order["quote"]["ytm"] is not None

    listed = api.get(f"{M}/orders", headers=_as(fake_auth, "inv_cat")).json()
    assert [o["id"] for o in listed] == [order["id"]] and listed[0]["mine"] is False
    assert "seller_id" not in listed[0] and "inv_ann" not in str(listed[0])
    detail = api.get(f"{M}/orders/{order['id']}", headers=_as(fake_auth, "inv_cat")).json()
    assert len(detail["history"]) == 1 and detail["history"][0]["kind"] == "repayment"
    staff = api.get(f"{M}/orders/{order['id']}", headers=fake_auth.headers(Role.COMPLIANCE, "op_compliance"))
    assert staff.status_code == 200

    price = detail["quote"]["price"]["amount"]
    bought = api.post(
        f"{M}/trades", json={"order_id": order["id"], "max_price": price}, headers=_as(fake_auth, "inv_cat", "t1")
    )
    assert bought.status_code == 201, bought.text
    trade = bought.json()
    assert trade["side"] == "bought" and trade["price"]["amount"] == price
    again = api.post(
        f"{M}/trades", json={"order_id": order["id"], "max_price": price}, headers=_as(fake_auth, "inv_cat", "t1")
    )
    assert again.status_code == 201 and again.json()["id"] == trade["id"]  # a replay buys nothing twice
    assert cash(container, "inv_cat") == 300_000 - trade["price"]["minor"]
    (sold,) = api.get(f"{M}/trades", headers=_as(fake_auth, "inv_ann")).json()
    assert sold["side"] == "sold" and sold["id"] == trade["id"] and sold["note_id"] == note
    assert api.get(f"{M}/orders?status=filled&mine=true", headers=_as(fake_auth, "inv_ann")).json()[0]["quote"] is None
    assert container.verify() == []


def test_bad_orders_and_purchases_answer_problems_with_stable_codes_and_write_nothing(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    b = book(container)
    b.world.investor("inv_cat", cash=100)
    note = b.note_of("inv_ann")
    before = counts(container)
    for n, (body, status, code) in enumerate(
        [
            ({"note_id": note, "amount": "1010", "premium_bps": 0}, 422, "not_multiple_of_note"),
            ({"note_id": note, "amount": "50.001", "premium_bps": 0}, 422, "amount_too_precise"),
            ({"note_id": note, "amount": "-50", "premium_bps": 0}, 422, "amount_not_positive"),
            ({"note_id": note, "amount": "6050", "premium_bps": 0}, 409, "over_note_outstanding"),
            ({"note_id": note, "premium_bps": 10**12}, 422, "price_out_of_range"),
            ({"note_id": note, "premium_bps": -9_901}, 422, "price_out_of_range"),
            ({"note_id": b.note_of("inv_bob"), "premium_bps": 0}, 404, "note_not_found"),
        ]
    ):
        _problem(api.post(f"{M}/orders", json=body, headers=_as(fake_auth, "inv_ann", f"bad{n}")), status, code)
    _problem(
        api.post(f"{M}/orders", json={"note_id": note, "premium_bps": 0}, headers=_as(fake_auth, "inv_ann")),
        400,
        "idempotency_key_required",
    )
    assert counts(container) == before

    order = api.post(
        f"{M}/orders",
        json={"note_id": note, "amount": "500", "premium_bps": 0},
        headers=_as(fake_auth, "inv_ann", "ok"),
    ).json()
    before = counts(container)
    buy = {"order_id": order["id"]}
    _problem(api.post(f"{M}/trades", json=buy, headers=_as(fake_auth, "inv_ann", "own")), 403, "own_order")
    _problem(api.post(f"{M}/trades", json=buy, headers=_as(fake_auth, "inv_cat", "poor")), 409, "insufficient_cash")
    _problem(
        api.post(f"{M}/trades", json={**buy, "max_price": "10"}, headers=_as(fake_auth, "inv_cat", "lim")),
        409,
        "price_changed",
    )
    _problem(
        api.post(f"{M}/trades", json={"order_id": "ord_x"}, headers=_as(fake_auth, "inv_cat", "nx")),
        404,
        "order_not_found",
    )
    assert counts(container) == before
    cancelled = api.post(f"{M}/orders/{order['id']}/cancel", headers=_as(fake_auth, "inv_ann"))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    _problem(api.post(f"{M}/trades", json=buy, headers=_as(fake_auth, "inv_cat", "late")), 409, "order_not_open")
    _problem(api.post(f"{M}/orders/{order['id']}/cancel", headers=_as(fake_auth, "inv_ann")), 409, "order_not_open")
    _problem(api.post(f"{M}/orders/{order['id']}/cancel", headers=_as(fake_auth, "inv_bob")), 404, "order_not_found")
    assert container.verify() == []


def test_a_disclosed_standing_must_be_acknowledged_through_the_api(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator, clock: FixedClock
) -> None:
    b = book(container)
    b.world.investor("inv_cat", cash=10_000)
    close_days(container, clock, 31 + 40)
    order = api.post(
        f"{M}/orders",
        json={"note_id": b.note_of("inv_bob"), "premium_bps": -3_000},
        headers=_as(fake_auth, "inv_bob", "late"),
    ).json()
    assert order["status_at_listing"] == "late_31_plus" and order["disclosed_at_listing"]
    assert order["quote"]["disclosed"] and order["quote"]["status"] == "late_31_plus"
    refused = api.post(f"{M}/trades", json={"order_id": order["id"]}, headers=_as(fake_auth, "inv_cat", "a"))
    _problem(refused, 409, "status_not_acknowledged")
    assert refused.json()["standing"] == "late_31_plus"
    done = api.post(
        f"{M}/trades",
        json={"order_id": order["id"], "acknowledged_status": "late_31_plus"},
        headers=_as(fake_auth, "inv_cat", "b"),
    )
    assert done.status_code == 201 and done.json()["status"] == "late_31_plus"
    assert container.verify() == []
