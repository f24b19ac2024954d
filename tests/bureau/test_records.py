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
