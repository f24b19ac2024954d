"""Product schedule settings over HTTP: stored with a product, shown in each quote with the APR under the profile's rules."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient

from fairlend.identity.model import Role
from tests.api.problems import refusal
from tests.conftest import FakeAuthenticator
from tests.lending.conftest import BASE

FLAT_GRACE = {
    **BASE.to_dict(),
    "code": "flat-grace",
    "rate": "0.10",
    "term": 6,
    "interest_method": "flat",
    "grace_principal_periods": 1,
    "frequency": "semimonth",
    "day_count": "act/act",
}


def _define(api: TestClient, fake_auth: FakeAuthenticator, body: dict[str, object]) -> dict[str, object]:
    body = {k: v for k, v in body.items() if k != "version"}
    response = api.post("/api/v1/products", json=body, headers=fake_auth.headers(Role.ADMIN, "op_a"))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_product_with_schedule_settings_is_stored_and_quoted_with_them(
    api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    stored = _define(api, fake_auth, FLAT_GRACE)
    terms = stored["terms"]
    assert isinstance(terms, dict) and terms["interest_method"] == "flat" and terms["grace_principal_periods"] == 1
    response = api.post(
        "/api/v1/quotes",
        json={"product_code": "flat-grace", "amount": "6000", "open_date": "2026-01-01"},
        headers=fake_auth.headers(Role.BORROWER, "brw_a"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["settings"]["interest_method"] == "flat" and body["settings"]["frequency"] == "semimonth"
    assert (body["apr_method"], body["apr_cap"], body["apr_cap_rule"]) == ("nominal", "0.24", "CN-21")
    assert body["term"] == 6 and len(body["schedule"]) == 6
    first, second = body["schedule"][:2]
    assert first["principal"]["minor"] == 0 and first["due_date"] == "2026-01-16"  # grace, half a month
    assert {line["interest"]["minor"] for line in body["schedule"]} == {2_500}  # 6,000 x 10 % / 24, flat
    assert second["total"] == body["installment"]


def test_a_quote_with_a_fixed_installment_derives_the_term(api: TestClient, fake_auth: FakeAuthenticator) -> None:
    _define(api, fake_auth, {**BASE.to_dict(), "rate": "0.12"})
    response = api.post(
        "/api/v1/quotes",
        json={"product_code": "cash-12", "amount": "10000", "installment": "1000", "open_date": "2026-01-01"},
        headers=fake_auth.headers(Role.BORROWER, "brw_a"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["term"] == 11 and body["installment"]["amount"] == "1000.00"
    assert body["schedule"][-1]["total"]["amount"] == "589.85"


def test_bad_schedule_settings_are_problems_and_store_nothing(api: TestClient, fake_auth: FakeAuthenticator) -> None:
    admin = fake_auth.headers(Role.ADMIN, "op_a")
    bad = {**FLAT_GRACE, "grace_principal_periods": 6}
    bad.pop("version")
    assert refusal(api.post("/api/v1/products", json=bad, headers=admin)) == (422, "product_grace_invalid")
    unknown = {**FLAT_GRACE, "interest_method": "compound"}
    unknown.pop("version")
    assert refusal(api.post("/api/v1/products", json=unknown, headers=admin)) == (422, "product_field_invalid")
    assert api.get("/api/v1/products", headers=admin).json() == []
    _define(api, fake_auth, {**BASE.to_dict(), "rate": "0.12"})
    too_small = api.post(
        "/api/v1/quotes",
        json={"product_code": "cash-12", "amount": "10000", "installment": "100"},
        headers=fake_auth.headers(Role.BORROWER, "brw_a"),
    )
    assert refusal(too_small) == (422, "installment_too_small")


def test_interest_recalculation_is_a_product_setting_shown_in_the_quote_and_refused_on_flat_interest(
    api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    stored = _define(api, fake_auth, {**BASE.to_dict(), "code": "recalc", "interest_recalculation": "compounding"})
    assert isinstance(stored["terms"], dict) and stored["terms"]["interest_recalculation"] == "compounding"
    response = api.post(
        "/api/v1/quotes",
        json={"product_code": "recalc", "amount": "10000", "open_date": "2026-01-01"},
        headers=fake_auth.headers(Role.BORROWER, "brw_a"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["settings"]["interest_recalculation"] == "compounding"
    admin = fake_auth.headers(Role.ADMIN, "op_a")
    flat = {**FLAT_GRACE, "code": "flat-recalc", "interest_recalculation": "daily"}
    flat.pop("version")
    assert refusal(api.post("/api/v1/products", json=flat, headers=admin)) == (422, "product_recalculation_invalid")
    unknown = {**flat, "interest_method": "declining_balance", "interest_recalculation": "weekly"}
    assert refusal(api.post("/api/v1/products", json=unknown, headers=admin)) == (422, "product_field_invalid")
    assert api.get("/api/v1/products/flat-recalc", headers=admin).status_code == 404


def test_a_product_rounding_up_at_the_cap_is_a_422_problem_naming_the_cap_s_rule_and_stores_nothing(
    api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    admin = fake_auth.headers(Role.ADMIN, "op_a")
    at_cap = {**BASE.to_dict(), "code": "up-24", "rate": "0.24", "rounding": "up", "min_amount": 100_000_000}
    at_cap.pop("version")
    response = api.post("/api/v1/products", json=at_cap, headers=admin)
    assert refusal(response) == (422, "product_rounding_up_above_cap")
    assert response.json()["rules"] == ["CN-21"] and "min_amount_needed" not in response.json()
    near = {**at_cap, "rate": "0.2399", "min_amount": 100_000}
    refused = api.post("/api/v1/products", json=near, headers=admin)
    assert refusal(refused) == (422, "product_rounding_up_above_cap")
    assert api.get("/api/v1/products", headers=admin).json() == []
    needed = refused.json()["min_amount_needed"]
    _define(api, fake_auth, {**near, "min_amount": needed})
    assert [p["code"] for p in api.get("/api/v1/products", headers=admin).json()] == ["up-24"]


def test_fifteen_days_on_a_364_day_year_a_rounded_installment_and_a_chosen_first_due_date_over_http(
    api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    body = {
        **BASE.to_dict(),
        "code": "d15",
        "rate": "0.12",
        "term": 4,
        "frequency": "15_days",
        "day_count": "act/364",
        "installment_rounding": 100,
        "rounding": "down",
        "grace_interest_periods": 1,
        "interest_free_periods": 0,
    }
    body.pop("version")
    _define(api, fake_auth, body)
    response = api.post(
        "/api/v1/quotes",
        json={"product_code": "d15", "amount": "4000", "open_date": "2026-01-01", "first_due_date": "2026-01-20"},
        headers=fake_auth.headers(Role.BORROWER, "brw_a"),
    )
    assert response.status_code == 200, response.text
    quote = response.json()
    assert quote["settings"]["frequency"] == "15_days" and quote["settings"]["day_count"] == "act/364"
    lines = quote["schedule"]
    assert [line["due_date"] for line in lines] == ["2026-01-20", "2026-02-04", "2026-02-19", "2026-03-06"]
    # The broken first period is 19 days over 364 (rounded down: 25.05), collected with the second (grace on
    # interest); the installment is a whole yuan, the last taking the residue.
    minor = [(line["principal"]["minor"], line["interest"]["minor"]) for line in lines]
    first = int(Decimal(400_000) * Decimal("0.12") * 19 / 364)
    own = int(Decimal(400_000 - minor[0][0]) * Decimal("0.12") * 15 / 364)
    assert minor[0][1] == 0 and minor[1][1] == first + own
    assert (minor[0][0] + first) % 100 == 0 and sum(p for p, _ in minor) == 400_000
    assert quote["installment"]["minor"] % 100 == 0


def test_a_products_due_day_sets_every_loans_due_dates_and_a_borrowers_own_first_due_date_wins_over_http(
    api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    body = {**BASE.to_dict(), "code": "on-10th", "term": 3, "due_day": 10, "first_period_min_days": 15}
    body.pop("version")
    terms = _define(api, fake_auth, body)["terms"]
    assert isinstance(terms, dict) and (terms["due_day"], terms["first_period_min_days"]) == (10, 15)
    borrower = fake_auth.headers(Role.BORROWER, "brw_a")

    def dues(**extra: str) -> list[str]:
        quote = {"product_code": "on-10th", "amount": "3000", "open_date": "2026-01-28", **extra}
        response = api.post("/api/v1/quotes", json=quote, headers=borrower)
        assert response.status_code == 200, response.text
        assert response.json()["settings"]["due_day"] == 10
        return [line["due_date"] for line in response.json()["schedule"]]

    assert dues() == ["2026-03-10", "2026-04-10", "2026-05-10"]  # 10 Feb is 13 days away: too soon
    assert dues(first_due_date="2026-02-20") == ["2026-02-20", "2026-03-20", "2026-04-20"]
    weekly = {**body, "code": "weekly-10th", "frequency": "weekly"}
    refused = api.post("/api/v1/products", json=weekly, headers=fake_auth.headers(Role.ADMIN, "op_a"))
    assert refusal(refused) == (422, "product_due_day_invalid")
