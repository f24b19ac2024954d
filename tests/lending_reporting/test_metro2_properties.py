"""For any loan history, the exported Metro 2 records parse back to the same status, balances and profile."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from fairlend.jurisdiction.loader import load_profile
from fairlend.lending_reporting.metro2 import Consumer, base_segment, fold
from fairlend.metro2 import codes
from fairlend.metro2.file import Reading, read, write

CODES = load_profile("us").bureau.modification_codes
OPENED = date(2024, 1, 10)


@st.composite
def histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """An opening, then status records on increasing days, perhaps a settlement or a charge-off at the end."""
    records: list[dict[str, Any]] = [
        {
            "record_id": "a:opened", "type": "account_opened", "account_ref": "a", "date": OPENED.isoformat(),
            "person": {"name": "Ann Lee", "id_number": "987654321"}, "account_type": "loan", "currency": "USD",
            "amount": 500_000, "term_months": 24, "due_schedule": {"installment_amount": 22_000},
        }
    ]  # fmt: skip
    day = OPENED
    for n in range(draw(st.integers(1, 25))):
        day += timedelta(days=draw(st.integers(1, 45)))
        days = draw(st.sampled_from([0, 0, 0, 5, 30, 45, 61, 95, 125, 155, 200]))
        balance = draw(st.integers(1, 500_000))
        overdue = draw(st.integers(1, balance)) if days else 0
        records.append(
            {"record_id": f"a:{n}", "type": "status", "account_ref": "a", "date": day.isoformat(), "balance": balance,
             "amount_overdue": overdue, "days_overdue": days}
        )  # fmt: skip
    ending = draw(st.sampled_from(["open", "open", "settlement", "charge_off"]))
    if ending != "open":
        day += timedelta(days=1)
        extra = {"amount": records[-1]["balance"]} if ending == "charge_off" else {}
        records.append(
            {"record_id": f"a:{ending}", "type": ending, "account_ref": "a", "date": day.isoformat(), **extra}
        )
    return records


def _worst_by_month(records: list[dict[str, Any]]) -> dict[int, str]:
    """The oracle: each month's worst character, straight from the records (not through fold)."""
    worst: dict[int, str] = {}
    for r in records[1:]:
        day = date.fromisoformat(r["date"])
        key = day.year * 12 + day.month - 1
        c = {"status": codes.rating_for(r.get("days_overdue", 0)), "charge_off": "L"}.get(r["type"], "0")
        worst[key] = codes.worse(worst.get(key, "0"), c)
    return worst


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_any_history_parses_back_to_its_status_balances_and_profile(records: list[dict[str, Any]]) -> None:
    as_of = date.fromisoformat(records[-1]["date"])
    account = fold(records, CODES)["a"]
    segment = base_segment(account, as_of, Consumer.from_name("Ann Lee", "987654321"))
    content = "".join(write({"activity_date": as_of, "date_created": as_of}, [segment])).encode()
    reading = Reading()
    (_, parsed), = list(read(content.split(b"\n"), reading))  # fmt: skip
    base = parsed.base  # type: ignore[union-attr]

    last = records[-1]
    if last["type"] == "settlement":
        assert (base["account_status"], base["current_balance"], base["amount_past_due"]) == ("13", 0, 0)
    elif last["type"] == "charge_off":
        dollars = codes.whole_dollars(last["amount"])
        assert base["account_status"] == "97" and base["original_charge_off_amount"] == dollars
    else:
        assert base["account_status"] == codes.status_for(last["days_overdue"])
        assert base["current_balance"] == codes.whole_dollars(last["balance"])
        assert base["amount_past_due"] == codes.whole_dollars(last["amount_overdue"])
        # CR-5: a delinquent status always carries its date of first delinquency, never one after it.
        if last["days_overdue"] >= 30:
            assert base["date_first_delinquency"] is not None and base["date_first_delinquency"] <= as_of
    assert base["payment_history_profile"] == codes.history_profile(_worst_by_month(records), as_of, OPENED)
    assert reading.trailer["total_base_records"] == 1


def test_the_histories_reach_every_delinquent_status_and_both_endings() -> None:
    """The property is not vacuous: the generator reaches 84, a cure after delinquency, and both closings."""
    find(histories(), lambda rs: rs[-1].get("days_overdue", 0) >= 180)
    find(histories(), lambda rs: rs[-1]["type"] == "charge_off" and len(rs) > 3)
    find(histories(), lambda rs: any(r.get("days_overdue", 0) >= 30 for r in rs) and rs[-1].get("days_overdue") == 0)
    find(histories(), lambda rs: rs[-1]["type"] == "settlement")
