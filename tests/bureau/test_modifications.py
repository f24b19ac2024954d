"""A modified account at the bureau: `modification` records and a settlement for less (docs/bureau-reporting.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from fairlend.bureau.records import PlanEvent, RecordError, parse_object
from fairlend.bureau.service import BureauService
from tests.bureau.conftest import ID_CN, ID_US, Records, lines


def _modification(r: Records, day: date, event: str = "started", **extra: Any) -> dict[str, Any]:
    return {"record_id": f"{r.ref}-m-{event}-{day}", "type": "modification", "account_ref": r.ref,
            "date": day.isoformat(), "event": event, **extra}  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({}, "missing_field"),  # a plan that starts names its kind
        ({"kind": "haircut"}, "invalid_field"),
        ({"kind": "interest_stop", "event": "paused"}, "invalid_field"),
    ],
)
def test_a_bad_modification_record_is_refused_with_its_code(fields: dict[str, Any], code: str) -> None:
    data = {"record_id": "m1", "type": "modification", "account_ref": "L1", "date": "2026-03-02", **fields}
    with pytest.raises(RecordError) as refused:
        parse_object(data, 1)
    assert refused.value.code == code


def test_a_modification_that_ends_a_plan_needs_no_kind() -> None:
    data = {"record_id": "m1", "type": "modification", "account_ref": "L1", "date": "2026-03-02", "event": "broken"}
    assert parse_object(data, 1).plan_event is PlanEvent.BROKEN


def test_cn_the_plans_code_shows_while_it_governs_and_goes_when_it_breaks(bureau: BureauService) -> None:
    inst = bureau.register_institution("Bank A")
    r = Records("L1")
    ack = bureau.submit(
        inst.institution_id,
        lines(r.opened(date(2026, 1, 5)), _modification(r, date(2026, 2, 10), kind="interest_stop")),
    )
    assert ack.applied == 2 and ack.rejected == ()
    (account,) = bureau.report(ID_CN).accounts
    assert (account.special_comment, account.modified_on) == ("个性化分期", date(2026, 2, 10))
    # Re-aged and completed are facts the status records carry; the code stays.
    bureau.submit(inst.institution_id, lines(_modification(r, date(2026, 2, 20), "reaged")))
    assert bureau.report(ID_CN).accounts[0].special_comment == "个性化分期"
    bureau.submit(inst.institution_id, lines(_modification(r, date(2026, 2, 25), "broken")))
    (account,) = bureau.report(ID_CN).accounts
    assert (account.special_comment, account.modified_on) == ("", date(2026, 2, 10))


def test_us_a_settlement_for_less_shows_au_and_an_ordinary_one_clears_the_plans_code(
    us_bureau: BureauService,
) -> None:
    inst = us_bureau.register_institution("Bank A")
    less, full = Records("L1", ID_US, "USD"), Records("L2", ID_US, "USD")
    us_bureau.submit(
        inst.institution_id,
        lines(
            less.opened(date(2026, 1, 5)),
            full.opened(date(2026, 1, 5)),
            _modification(less, date(2026, 2, 1), kind="discounted_settlement"),
            _modification(full, date(2026, 2, 1), kind="payment_holiday"),
        ),
    )
    assert {a.account_ref: a.special_comment for a in us_bureau.report(ID_US).accounts} == {"L1": "AC", "L2": "CP"}
    ack = us_bureau.submit(
        inst.institution_id,
        lines(less.settled(date(2026, 2, 9), for_less=True), full.settled(date(2026, 2, 9))),
    )
    assert ack.rejected == ()
    accounts = {a.account_ref: a for a in us_bureau.report(ID_US).accounts}
    assert {ref: (a.account_status, a.special_comment) for ref, a in accounts.items()} == {
        "L1": ("13", "AU"),
        "L2": ("13", ""),
    }
    # Nothing starts on a closed account; an end reported after the settlement changes nothing.
    ack = us_bureau.submit(
        inst.institution_id,
        lines(_modification(less, date(2026, 2, 10), kind="term_extension"), _modification(less, date(2026, 2, 10), "completed")),
    )  # fmt: skip
    assert [o.code for o in ack.rejected] == ["account_closed"] and ack.applied == 1
    assert us_bureau.report(ID_US).accounts[0].special_comment == "AU"


def test_a_settlement_for_less_must_say_so_with_a_boolean(bureau: BureauService) -> None:
    inst = bureau.register_institution("Bank A")
    r = Records("L1")
    ack = bureau.submit(
        inst.institution_id, lines(r.opened(date(2026, 1, 5)), r.settled(date(2026, 2, 1), for_less="yes"))
    )
    assert [o.code for o in ack.rejected] == ["invalid_field"]
