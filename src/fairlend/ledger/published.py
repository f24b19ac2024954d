"""The journal as a selectable for read models (as lending's `exposures.py` is for finance).

- `first_entry_dates(kinds, after=None)`: `reference`, `business_date` — for each reference (a
  loan's id, for the lending entries), the first business date of an entry of one
  of `kinds` (e.g. `loan_charge_off`). One grouped pass over the journal, so a
  reader joins it once instead of looking up each reference (`reference` has no index);
  `after`: only the entries dated after that day (the `business_date` index: a read model
  that stored the earlier ones reads the few since, not the whole journal).
- `kind_lines(kind)`: `reference`, `type`, `currency`, `owner_id`, `amount` — what the
  entries of one kind posted, summed per reference and account (raw: debit positive);
  market's verify holds each distribution batch's holder rows against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select

from fairlend.ledger.tables import ledger_account, ledger_entry, ledger_posting


def first_entry_dates(kinds: Sequence[str], after: date | None = None) -> Select[Any]:
    e = ledger_entry
    q = select(e.c.reference.label("reference"), func.min(e.c.business_date).label("business_date")).where(
        e.c.kind.in_(list(kinds))
    )
    if after is not None:
        q = q.where(e.c.business_date > after)
    return q.group_by(e.c.reference)


def kind_lines(kind: str) -> Select[Any]:
    e, p, a = ledger_entry, ledger_posting, ledger_account
    return (
        select(
            e.c.reference.label("reference"),
            a.c.type.label("type"),
            a.c.currency.label("currency"),
            a.c.owner_id.label("owner_id"),
            func.sum(p.c.amount).label("amount"),
        )
        .select_from(p.join(e, e.c.id == p.c.entry_id).join(a, a.c.id == p.c.account_id))
        .where(e.c.kind == kind)
        .group_by(e.c.reference, a.c.type, a.c.currency, a.c.owner_id)
    )
