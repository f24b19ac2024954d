"""The reporting file's line parser: the status fast path agrees with the general one."""

from datetime import date

from fairlend.bureau.records import Record, RecordType, parse_object


def test_a_plain_status_line_parses_to_the_record_the_general_path_gives() -> None:
    line = {
        "record_id": "r1",
        "type": "status",
        "account_ref": "L1",
        "date": "2026-01-31",
        "balance": 5,
        "amount_overdue": 3,
        "days_overdue": 2,
    }
    fast = parse_object(line, 7)
    general = parse_object({**line, "payment_due": True}, 7)  # an eighth key: not the fast path
    assert type(fast) is Record and fast._asdict() == general._asdict()
    assert (fast.type, fast.day, fast.balance, fast.amount_overdue, fast.days_overdue, fast.line) == (
        RecordType.STATUS,
        date(2026, 1, 31),
        5,
        3,
        2,
        7,
    )


def test_a_refused_value_is_echoed_only_when_it_cannot_be_a_persons() -> None:
    import pytest

    from fairlend.bureau.records import RecordError

    opened = {
        "record_id": "r1",
        "type": "account_opened",
        "account_ref": "L1",
        "date": "2026-01-31",
        "person": {"name": "张三", "id_number": "110101199003074477"},
        "account_type": "loan",
        "currency": "CNY",
        "amount": 100,
        "term_months": 12,
        "due_schedule": {},
    }
    # An export that shifted its columns: the ID number in the date, the name in the currency.
    reasons = []
    for shifted in ({"date": "110101199003074477"}, {"currency": "张三"}, {"amount": "13907000001"}):
        with pytest.raises(RecordError) as refused:
            parse_object({**opened, **shifted}, 1)
        reasons.append(refused.value.reason)
    assert reasons == [
        "date must be a date like 2026-03-01, got a str of 18 characters",
        "unknown currency a str of 2 characters",
        "amount must be a whole number (minor units / days), got a str of 11 characters",
    ]
    with pytest.raises(RecordError) as typo:
        parse_object({**opened, "date": "2026-13-01"}, 1)
    assert typo.value.code == "invalid_field" and typo.value.reason.endswith("got '2026-13-01'")
