"""Hardship requests as a selectable for read models (as lending's `exposures.py` is for finance).

- `hardship_requests()`: `requested_on`, `answer_due`, `answered_on` (NULL while open).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from fairlend.hardship.tables import hardship_request


def hardship_requests() -> Select[Any]:
    h = hardship_request
    return select(
        h.c.requested_on.label("requested_on"),
        h.c.answer_due.label("answer_due"),
        h.c.answered_on.label("answered_on"),
    )
