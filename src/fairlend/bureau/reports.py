"""Building a credit report from a credit file: a handful of set-based reads.

A person with 50 accounts of 60 months each costs five queries (accounts,
institutions, months, disputes, inquiries), so a report stays within
milliseconds; the grid, the summary and the removal dates come from the
pure model.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import Connection, String, bindparam, or_, select, type_coerce

from fairlend.bureau.consent import InquiryKind, InquiryPurpose, inquiry_visible_since
from fairlend.bureau.documents import (
    AccountReport,
    CreditReport,
    DisputeMark,
    InquiryRecord,
    NegativeRecord,
    summarise,
)
from fairlend.bureau.model import (
    NEGATIVE_CODES,
    AccountState,
    MonthRow,
    grid_from_codes,
    index_of_yyyymm,
    month_index,
    month_label,
)
from fairlend.bureau.negatives import check_negative_notice, negative_episodes
from fairlend.bureau.sealing import BureauSealer, purpose
from fairlend.bureau.tables import bureau_account, bureau_dispute, bureau_inquiry, bureau_institution, bureau_month
from fairlend.ids import new_id
from fairlend.jurisdiction.model import BureauProfile
from fairlend.money import Money


def _raw(column: Any) -> Any:
    # SQLite hands dates back as text; SQLAlchemy's regex-based parsing of
    # thousands of them dominated a report, so parse with fromisoformat instead.
    return type_coerce(column, String()).label(column.name)


# Only the months that carry negative information (or its end, or a dispute's
# suppression) are read; the grid itself comes from the account's code string.
_MONTHS = select(
    bureau_month.c.account_id,
    bureau_month.c.month,
    bureau_month.c.worst,
    bureau_month.c.account_status,
    bureau_month.c.rating,
    bureau_month.c.days_overdue,
    _raw(bureau_month.c.as_of),
    _raw(bureau_month.c.first_overdue_on),
    _raw(bureau_month.c.cured_on),
    bureau_month.c.suppressed,
).where(
    bureau_month.c.account_id.in_(bindparam("ids", expanding=True)),
    or_(
        bureau_month.c.days_overdue > 0,
        bureau_month.c.cured_on.is_not(None),
        bureau_month.c.suppressed.is_(True),
        bureau_month.c.worst.in_(sorted(NEGATIVE_CODES)),
    ),
)


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def build_report(
    conn: Connection, profile: BureauProfile, profile_code: str, file_row: Any, today: date, sealer: BureauSealer
) -> CreditReport:
    file_id = file_row.id
    # Each account and inquiry comes with its institution's name (joined: one lookup fewer a report).
    accounts = list(
        conn.execute(
            select(bureau_account, bureau_institution.c.name.label("institution_name"))
            .outerjoin(bureau_institution, bureau_institution.c.id == bureau_account.c.institution_id)
            .where(bureau_account.c.file_id == file_id, bureau_account.c.removed_on.is_(None))
            .order_by(bureau_account.c.open_date, bureau_account.c.id)
        ).mappings()
    )
    visible = [a for a in accounts if not a["suppressed"]]
    ids = [a["id"] for a in visible]
    months: dict[str, list[Any]] = defaultdict(list)
    if ids:
        for row in conn.execute(_MONTHS, {"ids": ids}):
            months[row[0]].append(row)
    disputes = list(
        conn.execute(
            select(bureau_dispute).where(bureau_dispute.c.file_id == file_id).order_by(bureau_dispute.c.opened_on)
        ).mappings()
    )
    since = inquiry_visible_since(profile, today)
    inquiries = list(
        conn.execute(
            select(bureau_inquiry, bureau_institution.c.name.label("institution_name"))
            .outerjoin(bureau_institution, bureau_institution.c.id == bureau_inquiry.c.institution_id)
            .where(bureau_inquiry.c.file_id == file_id, bureau_inquiry.c.inquired_on > since)
            .order_by(bureau_inquiry.c.inquired_at.desc(), bureau_inquiry.c.id.desc())
        ).mappings()
    )
    names: dict[str, str] = {
        str(row["institution_id"]): str(row["institution_name"])
        for row in (*accounts, *inquiries)
        if row["institution_id"] and row["institution_name"] is not None
    }
    names[""] = "self (bureau counter)"
    open_by_account: dict[str, list[str]] = defaultdict(list)
    for d in disputes:
        if d["status"] == "open":
            open_by_account[d["account_id"]].append(d["id"])

    report_month = month_index(today)
    account_reports = [
        _account_report(profile, a, months.get(a["id"], []), names, open_by_account, report_month, today)
        for a in visible
    ]
    return CreditReport(
        report_id=new_id("brpt"),
        profile=profile_code,
        generated_on=today,
        name_masked=file_row.name_masked,
        id_number_masked=file_row.id_masked,
        summary=summarise(profile, account_reports),
        accounts=tuple(account_reports),
        inquiries=tuple(
            InquiryRecord(
                inquiry_id=i["id"],
                inquired_on=i["inquired_on"],
                institution_id=i["institution_id"],
                institution_name=names.get(i["institution_id"], i["institution_id"]),
                kind=InquiryKind(i["kind"]),
                purpose=InquiryPurpose(i["purpose"]),
                free=bool(i["free"]),
            )
            for i in inquiries
        ),
        disputes=tuple(dispute_mark(d, sealer) for d in disputes),
    )


def dispute_mark(d: Any, sealer: BureauSealer) -> DisputeMark:
    """A stored dispute row as the person and the institution see it: the reason opened."""
    return DisputeMark(
        dispute_id=d["id"],
        institution_id=d["institution_id"],
        account_ref=d["account_ref"],
        month=month_label(index_of_yyyymm(d["month"])) if d["month"] else "",
        status=d["status"],
        opened_on=d["opened_on"],
        deadline=d["deadline"],
        reason=sealer.open_text(d["key_id"], d["reason"], purpose(bureau_dispute.name, "reason", d["id"])),
    )


def _account_report(
    profile: BureauProfile,
    account: Any,
    rows: list[Any],
    names: dict[str, str],
    open_disputes: dict[str, list[str]],
    report_month: int,
    today: date,
) -> AccountReport:
    model_rows: list[MonthRow] = []
    hidden: set[int] = set()
    for r in rows:
        index = index_of_yyyymm(r[1])
        if r[9]:
            hidden.add(index)
            continue
        as_of = _day(r[6])
        assert as_of is not None
        model_rows.append(MonthRow(index, r[2], r[5], as_of, _day(r[7]), _day(r[8])))
    state = AccountState(account["state"])
    closed = month_index(account["closed_on"]) if account["closed_on"] else None
    grid = grid_from_codes(
        profile,
        account["codes"],
        opened=month_index(account["open_date"]),
        closed=closed,
        report_month=report_month,
        hidden=frozenset(hidden),
    )
    account_status, rating = account["account_status"], account["rating"]
    negatives = tuple(
        NegativeRecord(
            started_on=e.started_on,
            ended_on=e.ended_on,
            charged_off=e.charged_off,
            removal_on=e.removal_on(profile),
            first_month=month_label(e.first_month),
            last_month=month_label(e.last_month),
        )
        for e in negative_episodes(profile, model_rows)
    )
    notice = ""
    if account["first_negative_on"] is not None:
        notice = check_negative_notice(
            profile, first_negative_on=account["first_negative_on"], notice_on=account["notice_on"], today=today
        ).value
    currency = account["currency"]
    return AccountReport(
        institution_id=account["institution_id"],
        institution_name=names.get(account["institution_id"], account["institution_id"]),
        account_ref=account["account_ref"],
        account_type=account["account_type"],
        currency=currency,
        amount=Money(account["amount"], currency),
        open_date=account["open_date"],
        term_months=account["term_months"],
        state=state,
        balance=Money(account["balance"], currency),
        amount_overdue=Money(account["amount_overdue"], currency),
        days_overdue=account["days_overdue"],
        account_status=account_status,
        payment_rating=rating,
        grid=grid,
        grid_start=month_label(report_month),
        negative_records=negatives,
        open_disputes=tuple(open_disputes.get(account["id"], ())),
        suppressed_months=tuple(month_label(i) for i in sorted(hidden)),
        notice_status=notice,
        special_comment=account["special_comment"],
        modified_on=_day(account["modified_on"]),
    )
