"""The journal as a selectable for read models (as lending's `exposures.py` is for finance).

- `first_entry_dates(kinds)`: `reference`, `business_date` — for each reference (a
  loan's id, for the lending entries), the first business date of an entry of one
  of `kinds` (e.g. `loan_charge_off`). One grouped pass over the journal, so a
  reader joins it once instead of looking up each reference (`reference` has no index).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select

from fairlend.ledger.tables import ledger_entry


def first_entry_dates(kinds: Sequence[str]) -> Select[Any]:
    return (
        select(
            ledger_entry.c.reference.label("reference"), func.min(ledger_entry.c.business_date).label("business_date")
        )
        .where(ledger_entry.c.kind.in_(list(kinds)))
        .group_by(ledger_entry.c.reference)
    )
