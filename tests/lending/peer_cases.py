"""The peers' loans as product fields: Apache Fineract's and frappe/lending's test cases that the API and the
CLI tests book and quote through each surface (tests/lending/test_schedule_peers.py holds the engine to the
peers' whole schedules)."""

from __future__ import annotations

from datetime import date
from typing import Any

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
