import gc
from datetime import date

import pytest
import sqlalchemy as sa

from fairlend.bureau import intake
from fairlend.bureau.service import BureauService
from fairlend.bureau.tables import bureau_account, bureau_month, bureau_record
from tests.bureau.conftest import ID_CN, ID_US, Records, lines


def _count(bureau: BureauService, table: sa.Table) -> int:
    with bureau._uow(read_only=True) as uow:
        return int(uow.conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_good_lines_are_applied_and_bad_ones_rejected_with_line_and_reason(bureau: BureauService) -> None:
    inst = bureau.register_institution("Bank A")
    r = Records("L1")
    content = (
        lines(
            r.opened(date(2026, 1, 5)),
            {
                "record_id": "x1",
                "type": "status",
                "account_ref": "L1",
                "date": "2026-13-01",
                "balance": 1,
                "days_overdue": 0,
            },
            r.status(date(2026, 1, 31)),
            {
                "record_id": "x2",
                "type": "status",
                "account_ref": "NOPE",
                "date": "2026-01-31",
                "balance": 1,
                "days_overdue": 0,
            },
            {"record_id": "x3", "type": "repayment", "account_ref": "L1", "date": "2026-02-05", "amount": 10.5},
        )
        + b"\n{not json\n"
    )
    ack = bureau.submit(inst.institution_id, content)
    assert (ack.lines, ack.applied, ack.duplicates) == (6, 2, 0)
    assert [(o.line, o.code) for o in ack.rejected] == [
        (2, "invalid_field"),
        (4, "unknown_account"),
        (5, "invalid_field"),
        (6, "not_json"),
    ]
    assert "date" in ack.rejected[0].reason and ack.rejected[1].record_id == "x2"
    report = bureau.report(ID_CN)
    # The report month (the business date, March) has no record yet: unknown.
    assert report.accounts[0].grid[:3] == ("#", "#", "N") and report.accounts[0].account_ref == "L1"


def test_applying_the_same_file_twice_changes_nothing(bureau: BureauService) -> None:
    inst = bureau.register_institution("Bank A")
    r = Records("L1")
    content = lines(r.opened(date(2026, 1, 5)), r.status(date(2026, 1, 31)))
    first = bureau.submit(inst.institution_id, content)
    counts = [_count(bureau, t) for t in (bureau_record, bureau_account, bureau_month)]
    again = bureau.submit(inst.institution_id, content)
    assert again.replayed and again.submission_id == first.submission_id and again.applied == first.applied
    # The same records in a different file are duplicates: skipped, not errors.
    reordered = bureau.submit(inst.institution_id, content + b"\n")
    assert (reordered.applied, reordered.duplicates, reordered.rejected) == (0, 2, ())
    assert [_count(bureau, t) for t in (bureau_record, bureau_account, bureau_month)] == counts


def test_a_negative_record_without_a_prior_notice_is_refused_in_cn(bureau: BureauService) -> None:
    inst = bureau.register_institution("Bank A")
    r = Records("L1")
    ack = bureau.submit(inst.institution_id, lines(r.opened(date(2026, 1, 5)), r.status(date(2026, 2, 20), 15)))
    assert [(o.line, o.code) for o in ack.rejected] == [(2, "negative_notice_missing")]
    assert "CN-11" in ack.rejected[0].reason
    ok = bureau.submit(inst.institution_id, lines(r.notice(date(2026, 2, 18)), r.status(date(2026, 2, 20), 15)))
    assert ok.rejected == () and ok.applied == 2
    assert bureau.report(ID_CN).accounts[0].grid[1] == "1"


def test_a_notice_after_the_first_negative_record_does_not_count_in_cn(bureau: BureauService) -> None:
    inst = bureau.register_institution("Bank A")
    r = Records("L1")
    ack = bureau.submit(
        inst.institution_id,
        lines(r.opened(date(2026, 1, 5)), r.notice(date(2026, 2, 25)), r.status(date(2026, 2, 20), 15)),
    )
    assert [o.code for o in ack.rejected] == ["negative_notice_missing"]


def test_us_records_the_negative_record_and_flags_the_missing_notice(us_bureau: BureauService) -> None:
    inst = us_bureau.register_institution("Bank US")
    r = Records("U1", ID_US, "USD")
    ack = us_bureau.submit(inst.institution_id, lines(r.opened(date(2025, 10, 5)), r.status(date(2026, 2, 20), 45)))
    assert ack.rejected == () and [w.code for w in ack.warnings] == ["negative_notice_due"]
    account = us_bureau.report(ID_US).accounts[0]
    assert (account.account_status, account.payment_rating, account.notice_status) == ("71", "1", "due")


def test_a_status_code_that_contradicts_the_days_overdue_is_refused(bureau: BureauService) -> None:
    inst = bureau.register_institution("Bank A")
    r = Records("L1")
    ack = bureau.submit(
        inst.institution_id,
        lines(r.opened(date(2026, 1, 5)), r.notice(date(2026, 1, 6)), r.status(date(2026, 2, 20), 45, status_code="1")),
    )
    assert [o.code for o in ack.rejected] == ["status_code_mismatch"]


def test_settled_after_overdue_shows_c_keeps_the_overdue_months_and_dates_their_removal(bureau: BureauService) -> None:
    inst = bureau.register_institution("Bank A")
    r = Records("L1")
    bureau.submit(
        inst.institution_id,
        lines(
            r.opened(date(2025, 10, 5)),
            r.notice(date(2025, 12, 1)),
            r.status(date(2025, 12, 31), 25),
            r.status(date(2026, 1, 31), 56),
            r.settled(date(2026, 2, 10)),
        ),
    )
    account = bureau.report(ID_CN).accounts[0]
    assert account.grid[:5] == ("", "C", "2", "1", "#")
    assert account.state == "settled" and account.balance.minor == 0
    (negative,) = account.negative_records
    assert negative.ended_on == date(2026, 2, 10) and negative.removal_on == date(2031, 2, 10)
    assert negative.started_on == date(2025, 12, 7)
    summary = bureau.report(ID_CN).summary
    assert (summary.worst_status_24m, summary.months_since_last_delinquency, summary.open_accounts) == ("2", 2, 0)


def test_charge_off_is_g_and_stays_without_a_removal_date_in_cn(bureau: BureauService) -> None:
    inst = bureau.register_institution("Bank A")
    r = Records("L1")
    ack = bureau.submit(
        inst.institution_id,
        lines(
            r.opened(date(2025, 6, 5)),
            r.notice(date(2025, 7, 1)),
            r.status(date(2025, 12, 31), 100),
            r.charged_off(date(2026, 2, 1)),
        ),
    )
    assert ack.rejected == ()
    account = bureau.report(ID_CN).accounts[0]
    assert account.grid[0] == "" and account.grid[1] == "G" and account.state == "charged_off"
    assert account.negative_records[0].charged_off and account.negative_records[0].removal_on is None


def test_the_same_person_at_two_institutions_has_one_credit_file(bureau: BureauService) -> None:
    a = bureau.register_institution("Bank A")
    b = bureau.register_institution("Bank B")
    bureau.submit(a.institution_id, lines(Records("L1").opened(date(2026, 1, 5))))
    bureau.submit(b.institution_id, lines(Records("L1", " 110101199003074477 ").opened(date(2026, 2, 5), 500_000)))
    report = bureau.report(ID_CN)
    assert sorted(a.institution_name for a in report.accounts) == ["Bank A", "Bank B"]
    assert report.summary.accounts == 2 and report.summary.total_balance[0].minor == 1_500_000
    assert report.id_number_masked == "110***********4477" and report.name_masked == "张*"


def test_intake_turns_the_garbage_collector_back_on_even_when_applying_fails(
    bureau: BureauService, monkeypatch: pytest.MonkeyPatch
) -> None:
    inst = bureau.register_institution("Bank A")
    r = Records("L1")
    content = lines(r.opened(date(2026, 1, 5)), r.status(date(2026, 1, 31)))

    def fail(*_args: object, **_kwargs: object) -> None:
        assert not gc.isenabled()  # paused while the file is applied
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(intake, "write", fail)  # the batch's bulk writes, as intake calls them
    with pytest.raises(RuntimeError):
        bureau.submit(inst.institution_id, content)
    assert gc.isenabled()
    monkeypatch.undo()
    assert bureau.submit(inst.institution_id, content).applied == 2
    assert gc.isenabled()


def test_a_record_the_rules_refused_can_be_sent_again_and_is_applied(bureau: BureauService) -> None:
    inst = bureau.register_institution("Bank A")
    r = Records("L1")
    opened, late = r.opened(date(2026, 1, 5)), r.status(date(2026, 2, 20), 15)
    refused = bureau.submit(inst.institution_id, lines(opened, late))
    assert [o.code for o in refused.rejected] == ["negative_notice_missing"] and refused.applied == 1
    # The refused record's id is not held: after the notice, the same record is applied, not a duplicate.
    ack = bureau.submit(inst.institution_id, lines(r.notice(date(2026, 2, 18)), late))
    assert (ack.applied, ack.duplicates, ack.rejected) == (2, 0, ())
    assert _count(bureau, bureau_record) == 3
    again = bureau.submit(inst.institution_id, lines(late, r.status(date(2026, 2, 28), 23)))
    assert (again.applied, again.duplicates) == (1, 1)


def test_a_later_file_for_the_same_month_keeps_its_worst_code_and_records_the_cure(bureau: BureauService) -> None:
    inst = bureau.register_institution("Bank A")
    a, b = Records("L1"), Records("L2")
    bureau.submit(
        inst.institution_id,
        lines(a.opened(date(2025, 11, 5)), b.opened(date(2025, 11, 6)), a.notice(date(2025, 12, 1))),
    )
    for day, overdue, balance in (
        (date(2025, 12, 31), 0, 900_000),
        (date(2026, 1, 20), 15, 900_000),  # a daily file in January
        (date(2026, 1, 31), 0, 800_000),  # January's month-end: the overdue was repaid
    ):
        ack = bureau.submit(inst.institution_id, lines(a.status(day, overdue, balance), b.status(day)))
        assert (ack.applied, ack.rejected) == (2, ())
    first, second = sorted(bureau.report(ID_CN).accounts, key=lambda x: x.account_ref)
    assert first.grid[:5] == ("#", "#", "1", "N", "#") and second.grid[:5] == ("#", "#", "N", "N", "#")
    # The account shows its latest month, which keeps the overdue it had.
    assert (first.balance.minor, first.account_status) == (800_000, "1")
    with bureau._uow(read_only=True) as uow:
        rows = uow.conn.execute(
            sa.select(
                bureau_month.c.month,
                bureau_month.c.code,
                bureau_month.c.worst,
                bureau_month.c.days_overdue,
                bureau_month.c.balance,
                bureau_month.c.as_of,
                bureau_month.c.first_overdue_on,
                bureau_month.c.cured_on,
            )
            .join(bureau_account, bureau_account.c.id == bureau_month.c.account_id)
            .where(bureau_account.c.account_ref == "L1")
            .order_by(bureau_month.c.month)
        ).all()
    assert [tuple(r) for r in rows] == [
        (202512, "N", "N", 0, 900_000, date(2025, 12, 31), None, None),
        (202601, "1", "1", 0, 800_000, date(2026, 1, 31), date(2026, 1, 6), date(2026, 1, 31)),
    ]


def test_a_held_accounts_state_is_written_back_whether_only_its_status_or_also_its_rare_columns_changed(
    bureau: BureauService,
) -> None:
    # A later file's status writes the status columns alone; a notice and a settlement change the rare ones
    # (notice, closing) too, which must then be written with the rest.
    inst = bureau.register_institution("Bank A")
    r = Records("L1")

    def stored() -> tuple[object, ...]:
        with bureau._uow(read_only=True) as uow:
            a = bureau_account.c
            row = uow.conn.execute(
                sa.select(a.state, a.balance, a.days_overdue, a.as_of, a.codes, a.notice_on, a.closed_on)
            ).one()
        return tuple(row)

    bureau.submit(inst.institution_id, lines(r.opened(date(2025, 10, 5))))
    bureau.submit(inst.institution_id, lines(r.notice(date(2025, 11, 1))))
    bureau.submit(inst.institution_id, lines(r.status(date(2025, 11, 30), 25, balance=800_000)))
    assert stored() == ("open", 800_000, 25, date(2025, 11, 30), "#1", date(2025, 11, 1), None)
    bureau.submit(inst.institution_id, lines(r.status(date(2025, 12, 31), 0, balance=700_000)))
    assert stored() == ("open", 700_000, 0, date(2025, 12, 31), "#1N", date(2025, 11, 1), None)
    bureau.submit(inst.institution_id, lines(r.settled(date(2026, 1, 10))))
    assert stored() == ("settled", 0, 0, date(2026, 1, 10), "#1NC", date(2025, 11, 1), date(2026, 1, 10))
