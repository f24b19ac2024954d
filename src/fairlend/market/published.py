"""The market's investors as a selectable for read models (as lending's `exposures.py` is for finance).

- `investors()`: `investor_id`, in id order.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from fairlend.market.tables import market_investor


def investors() -> Select[Any]:
    return select(market_investor.c.investor_id.label("investor_id")).order_by(market_investor.c.investor_id)
