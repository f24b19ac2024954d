"""Retention of negative records (CN-12, CR-6) and the bureau's `fairlend verify` checks.

The daily job removes each negative record on its removal day, not a day
early, and logs what it removed in `bureau_retention_log`. A report and the
job read the same months, so they agree on every removal date.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update

from fairlend.bureau.documents import RetentionRemoval
from fairlend.bureau.model import NEGATIVE_CODES, MonthRow, index_of_yyyymm, month_index, scheme_for, yyyymm
from fairlend.bureau.negatives import negative_episodes
from fairlend.bureau.tables import bureau_account, bureau_month, bureau_retention_log
from fairlend.db.uow import UnitOfWorkFactory
from fairlend.jurisdiction.model import BureauProfile

log = logging.getLogger("fairlend.bureau.retention")


def run_retention(uow_factory: UnitOfWorkFactory, profile: BureauProfile, on: date) -> list[RetentionRemoval]:
    """Remove negative records whose retention ended on or before `on` (CN-12, CR-6), and log them."""
    scheme = scheme_for(profile)
    removed: list[RetentionRemoval] = []
    with uow_factory() as uow:
        conn = uow.conn
        accounts = {
            r.id: r
            for r in conn.execute(
                select(
                    bureau_account.c.id,
                    bureau_account.c.file_id,
                    bureau_account.c.open_date,
                    bureau_account.c.codes,
                ).where(bureau_account.c.first_negative_on.is_not(None), bureau_account.c.removed_on.is_(None))
            )
        }
        rows: dict[str, list[Any]] = defaultdict(list)
        ids = list(accounts)
        for start in range(0, len(ids), 2000):
            # The same months a report reads for negative records, so both agree on removal dates.
            for r in conn.execute(
                select(bureau_month).where(
                    bureau_month.c.account_id.in_(ids[start : start + 2000]),
                    or_(
                        bureau_month.c.days_overdue > 0,
                        bureau_month.c.cured_on.is_not(None),
                        bureau_month.c.worst.in_(sorted(NEGATIVE_CODES)),
                    ),
                    bureau_month.c.suppressed.is_(False),
                )
            ).mappings():
                rows[r["account_id"]].append(r)
        for account_id, months in rows.items():
            model_rows = [month_row(m) for m in months]
            codes = accounts[account_id].codes
            opened = month_index(accounts[account_id].open_date)
            for episode in negative_episodes(profile, model_rows):
                removal_on = episode.removal_on(profile)
                if removal_on is None or removal_on > on:
                    continue
                shown = {index_of_yyyymm(m["month"]): m["code"] for m in months}
                in_episode = [
                    r.month
                    for r in model_rows
                    if episode.first_month <= r.month <= episode.last_month and r.code in scheme.negative_codes
                ]
                # A month shown as negative goes; one shown otherwise (a "C") stays, its overdue forgotten.
                negative_indexes = [i for i in in_episode if shown[i] in scheme.negative_codes]
                negative_months = [yyyymm(i) for i in negative_indexes]
                conn.execute(
                    delete(bureau_month).where(
                        and_(bureau_month.c.account_id == account_id, bureau_month.c.month.in_(negative_months))
                    )
                )
                conn.execute(
                    update(bureau_month)
                    .where(
                        bureau_month.c.account_id == account_id,
                        bureau_month.c.month.in_([yyyymm(i) for i in in_episode]),
                    )
                    .values(worst=bureau_month.c.code)
                )
                for index in negative_indexes:
                    position = index - opened
                    if 0 <= position < len(codes):
                        codes = codes[:position] + scheme.unknown + codes[position + 1 :]
                conn.execute(update(bureau_account).where(bureau_account.c.id == account_id).values(codes=codes))
                if episode.charged_off:
                    conn.execute(update(bureau_account).where(bureau_account.c.id == account_id).values(removed_on=on))
                removal = RetentionRemoval(
                    account_id=account_id,
                    file_id=accounts[account_id].file_id,
                    started_on=episode.started_on,
                    ended_on=episode.ended_on,
                    removal_on=removal_on,
                    months_removed=len(negative_months),
                    charged_off=episode.charged_off,
                )
                conn.execute(
                    insert(bureau_retention_log).values(
                        account_id=account_id,
                        file_id=removal.file_id,
                        started_on=removal.started_on,
                        ended_on=removal.ended_on,
                        removal_on=removal_on,
                        removed_on=on,
                        months_removed=removal.months_removed,
                        charged_off=removal.charged_off,
                    )
                )
                removed.append(removal)
        uow.commit()
    return removed


def verify(uow_factory: UnitOfWorkFactory, profile: BureauProfile, today: date) -> list[tuple[str, str]]:
    """What `fairlend verify` should hear about: (subject, problem) pairs.

    Each account's code string must agree with its month rows, and no
    negative record may outlive its removal date (the daily job did not run).
    """
    found: list[tuple[str, str]] = []
    scheme = scheme_for(profile)
    with uow_factory(read_only=True) as uow:
        accounts = {
            r.id: r
            for r in uow.conn.execute(
                select(bureau_account.c.id, bureau_account.c.open_date, bureau_account.c.codes).where(
                    bureau_account.c.removed_on.is_(None)
                )
            )
        }
        rows: dict[str, list[Any]] = defaultdict(list)
        for m in uow.conn.execute(select(bureau_month)).mappings():
            rows[m["account_id"]].append(m)
    for account_id, months in rows.items():
        account = accounts.get(account_id)
        if account is None:
            continue
        opened = month_index(account.open_date)
        for m in months:
            position = index_of_yyyymm(m["month"]) - opened
            shown = account.codes[position] if 0 <= position < len(account.codes) else scheme.unknown
            if shown != m["code"]:
                found.append((account_id, f"month {m['month']} is {m['code']} but the grid shows {shown}"))
        model_rows = [month_row(m) for m in months if not m["suppressed"]]
        for episode in negative_episodes(profile, model_rows):
            removal_on = episode.removal_on(profile)
            if removal_on is not None and removal_on < today:
                found.append((account_id, f"negative record due for removal on {removal_on} is still held"))
    return found


def month_row(stored: Mapping[str, Any]) -> MonthRow:
    """A stored bureau month as the pure model's MonthRow."""
    return MonthRow(
        index_of_yyyymm(stored["month"]),
        stored["worst"],
        stored["days_overdue"],
        stored["as_of"],
        stored["first_overdue_on"],
        stored["cured_on"],
    )
