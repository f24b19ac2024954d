"""Negative information at the bureau (pure): episodes and their removal, the notice, the dispute deadline.

Each rule is a plain function of data and the profile's `bureau` section:
the retention of negative records (CN-12, CR-6), when the borrower must be
told (CN-11, CR-8), the dispute deadline (CN-15, CR-7).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from fairlend.bureau.model import MonthRow, add_years, scheme_for
from fairlend.jurisdiction.model import BureauProfile, NegativeNotice, RetentionStart

# -- negative records and their removal ---------------------------------------


@dataclass(frozen=True, slots=True)
class NegativeEpisode:
    """A run of negative months on one account: one piece of negative information."""

    first_month: int
    last_month: int
    started_on: date  # first day overdue (CR-5's date of first delinquency)
    ended_on: date | None  # the overdue ended (repaid, settled); None while it lasts
    charged_off: bool

    def removal_on(self, profile: BureauProfile) -> date | None:
        return removal_date(profile, started_on=self.started_on, ended_on=self.ended_on)


def removal_date(profile: BureauProfile, *, started_on: date, ended_on: date | None) -> date | None:
    """The day a negative record leaves the file.

    CN-12: `negative_retention_years` after the negative event ended (none
    while it lasts). CR-6: `negative_retention_years` from 180 days after
    the date of first delinquency, whether or not it ended.
    """
    if profile.negative_retention_start is RetentionStart.OVERDUE_ENDED:
        return add_years(ended_on, profile.negative_retention_years) if ended_on else None
    return add_years(started_on + timedelta(days=180), profile.negative_retention_years)


def negative_episodes(profile: BureauProfile, rows: Sequence[MonthRow]) -> tuple[NegativeEpisode, ...]:
    """Group an account's months (any order) into negative episodes, oldest first."""
    scheme = scheme_for(profile)
    episodes: list[NegativeEpisode] = []
    current: dict[str, object] | None = None

    def close(ended_on: date | None) -> None:
        nonlocal current
        if current is not None:
            episodes.append(
                NegativeEpisode(
                    first_month=current["first"],  # type: ignore[arg-type]
                    last_month=current["last"],  # type: ignore[arg-type]
                    started_on=current["started"],  # type: ignore[arg-type]
                    ended_on=ended_on,
                    charged_off=bool(current["charged_off"]),
                )
            )
        current = None

    for row in sorted(rows, key=lambda r: r.month):
        negative = row.code in scheme.negative_codes
        if negative:
            if current is None:
                started = row.first_overdue_on or row.as_of - timedelta(days=max(row.days_overdue - 1, 0))
                current = {"first": row.month, "last": row.month, "started": started, "charged_off": False}
            current["last"] = row.month
            if row.code in ("G", "L"):
                current["charged_off"] = True
            if row.cured_on is not None:
                close(row.cured_on)
        elif current is not None:
            close(row.cured_on or row.as_of)
    close(None)
    return tuple(episodes)


# -- negative notice (CN-11, CR-8) ----------------------------------------------


class NoticeCheck(enum.StrEnum):
    OK = "ok"
    MISSING_BEFORE = "missing_before"  # CN-11: refuse the record
    DUE = "due"  # CR-8: still inside the window
    LATE = "late"  # CR-8: the window passed without a notice


def check_negative_notice(
    profile: BureauProfile, *, first_negative_on: date, notice_on: date | None, today: date
) -> NoticeCheck:
    if profile.negative_notice is NegativeNotice.BEFORE:
        return (
            NoticeCheck.OK if notice_on is not None and notice_on <= first_negative_on else NoticeCheck.MISSING_BEFORE
        )
    deadline = first_negative_on + timedelta(days=profile.negative_notice_days)
    if notice_on is not None and notice_on <= deadline:
        return NoticeCheck.OK
    if notice_on is None and today <= deadline:
        return NoticeCheck.DUE
    return NoticeCheck.LATE


# -- disputes (CN-15, CR-7) -------------------------------------------------------


def dispute_deadline(profile: BureauProfile, opened_on: date, *, added_information: bool = False) -> date:
    """CN-15: 20 days; CR-7: 30 days, 45 when the person adds information."""
    days = profile.dispute_deadline_extended_days if added_information else profile.dispute_deadline_days
    return opened_on + timedelta(days=days)
