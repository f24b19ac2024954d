"""One account's life as fairlend reports it in JSON (lending_reporting's records), for the Metro 2 tests.

Opened 2025-06-05 ($1,200 over 12 months, $106.61 a month); the July 5 payment missed, 30 days late on
2025-08-04; caught up on 2025-08-20; disputed in September; paid off on 2025-11-10.
"""

from __future__ import annotations

from typing import Any

REF = "loan_life"
SSN = "123456789"
OPENED = {
    "record_id": f"{REF}:opened",
    "type": "account_opened",
    "account_ref": REF,
    "date": "2025-06-05",
    "person": {"name": "John Q Doe", "id_number": SSN, "id_scheme": "us.ssn"},
    "account_type": "loan",
    "currency": "USD",
    "amount": 120_000,
    "term_months": 12,
    "due_schedule": {"frequency": "monthly", "installments": 12, "installment_amount": 10_661},
}


def status(day: str, balance: int, overdue: int, days: int, tag: str) -> dict[str, Any]:
    return {
        "record_id": f"{REF}:{tag}:{day}",
        "type": "status",
        "account_ref": REF,
        "date": day,
        "balance": balance,
        "amount_overdue": overdue,
        "days_overdue": days,
    }


LIFE: list[dict[str, Any]] = [
    OPENED,
    status("2025-06-30", 120_000, 0, 0, "month_end"),
    status("2025-07-06", 120_000, 10_661, 1, "delinquency"),
    status("2025-07-31", 120_000, 10_661, 26, "month_end"),
    status("2025-08-04", 120_000, 10_661, 30, "delinquency"),
    {
        "record_id": f"{REF}:repayment:r1",
        "type": "repayment",
        "account_ref": REF,
        "date": "2025-08-20",
        "amount": 21_322,
        "balance": 101_500,
        "days_overdue": 0,
    },
    status("2025-08-31", 101_500, 0, 0, "month_end"),
    status("2025-09-30", 92_000, 0, 0, "month_end"),
    status("2025-10-31", 82_500, 0, 0, "month_end"),
    {
        "record_id": f"{REF}:repayment:r2",
        "type": "repayment",
        "account_ref": REF,
        "date": "2025-11-10",
        "amount": 82_500,
        "balance": 0,
        "days_overdue": 0,
    },
    {"record_id": f"{REF}:settled", "type": "settlement", "account_ref": REF, "date": "2025-11-10"},
]
