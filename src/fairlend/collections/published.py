"""The contact log and complaints as selectables for read models (as lending's `exposures.py` is for finance).

- `contact_attempts()`: `borrower_id`, `at`, `outcome`, `rules`, `collector_id` —
  contact attempts only: the rows that record a dispatched message's outcome
  (`resolves` set) are left out, so each attempt counts once.
- `complaints()`: `filed_at`, `answer_due`, `answered_at`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from fairlend.collections.tables import complaint, contact_log


def contact_attempts() -> Select[Any]:
    c = contact_log
    return select(
        c.c.borrower_id.label("borrower_id"),
        c.c.at.label("at"),
        c.c.outcome.label("outcome"),
        c.c.rules.label("rules"),
        c.c.collector_id.label("collector_id"),
    ).where(c.c.resolves == "")


def complaints() -> Select[Any]:
    c = complaint
    return select(
        c.c.filed_at.label("filed_at"), c.c.answer_due.label("answer_due"), c.c.answered_at.label("answered_at")
    )
