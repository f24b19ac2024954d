"""A due date with one installment is shown exactly as the general grouping shows it (the fast path of a loan read)."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any, cast

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fairlend.lending.queries import _grouped_view, _one_installment_view, money_in

TODAY = date(2026, 3, 15)
AMOUNTS = st.integers(min_value=0, max_value=10**9)
NEAR = st.integers(min_value=-40, max_value=40).map(lambda days: TODAY + timedelta(days=days))


@st.composite
def installments(draw: st.DrawFn) -> Any:
    due = draw(NEAR)
    return SimpleNamespace(
        seq=draw(st.integers(min_value=1, max_value=600)),
        due_date=due,
        late_day=(due + timedelta(days=draw(st.integers(min_value=0, max_value=5)))).toordinal(),
        billed=draw(st.booleans()),
        paid_on=draw(st.none() | NEAR),
        principal=draw(AMOUNTS),
        interest=draw(AMOUNTS),
        fee=draw(AMOUNTS),
        principal_paid=draw(AMOUNTS),
        interest_paid=draw(AMOUNTS),
        fee_paid=draw(AMOUNTS),
    )


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # a busy shared machine draws slowly
@given(installments(), NEAR)
def test_one_installment_on_a_due_date_shows_the_grouped_status_and_amounts(installment: Any, today: date) -> None:
    money = money_in("CNY")
    one = _one_installment_view(cast(Any, installment), today, money)
    assert one == _grouped_view([cast(Any, installment)], today, money)
