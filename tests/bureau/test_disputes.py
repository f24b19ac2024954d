from datetime import date, timedelta

import pytest

from fairlend.bureau.service import BureauService
from fairlend.clock import FixedClock
from fairlend.errors import Conflict, NotFound
from tests.bureau.conftest import ID_CN, ID_US, Records, lines


def _overdue_account(bureau: BureauService) -> str:
    inst = bureau.register_institution("Bank A")
    r = Records("L1")
    bureau.submit(
        inst.institution_id,
        lines(
            r.opened(date(2025, 10, 5)),
            r.notice(date(2026, 1, 10)),
            r.status(date(2026, 1, 31), 20),
            r.status(date(2026, 2, 28), 48),
        ),
    )
    return inst.institution_id


def test_a_dispute_is_marked_at_once_and_the_institution_sees_it(bureau: BureauService) -> None:
    inst = _overdue_account(bureau)
    dispute = bureau.file_dispute(ID_CN, inst, "L1", "I paid on time", month="2026-02")
    assert dispute.deadline == date(2026, 3, 2) + timedelta(days=20) and dispute.status == "open"
    report = bureau.report(ID_CN)
    assert report.accounts[0].open_disputes == (dispute.dispute_id,)
    assert [d.dispute_id for d in bureau.disputes_for(inst)] == [dispute.dispute_id]
    assert bureau.has_open_dispute(inst, "L1") and not bureau.has_open_dispute(inst, "L2")


def test_a_correction_replaces_the_disputed_record_and_the_person_is_told(bureau: BureauService) -> None:
    inst = _overdue_account(bureau)
    dispute = bureau.file_dispute(ID_CN, inst, "L1", "I paid on time", month="2026-02")
    answered = bureau.answer_dispute(
        inst, dispute.dispute_id, "corrected", correction={"days_overdue": 0, "balance": 800_000, "amount_overdue": 0}
    )
    assert answered.status == "corrected"
    account = bureau.report(ID_CN).accounts[0]
    assert account.grid[1:3] == ("N", "1") and account.open_disputes == ()
    assert not bureau.has_open_dispute(inst, "L1")
    (notice,) = bureau.outcome_notices(ID_CN)
    assert notice.outcome == "corrected" and notice.dispute_id == dispute.dispute_id
    with pytest.raises(Conflict):
        bureau.answer_dispute(inst, dispute.dispute_id, "verified")


def test_a_verified_record_stays(bureau: BureauService) -> None:
    inst = _overdue_account(bureau)
    dispute = bureau.file_dispute(ID_CN, inst, "L1", "not mine", month="2026-02")
    bureau.answer_dispute(inst, dispute.dispute_id, "verified", note="signed contract on file")
    assert bureau.report(ID_CN).accounts[0].grid[1] == "2"
    assert "signed contract" in bureau.outcome_notices(ID_CN)[0].text


def test_an_unanswered_dispute_past_its_deadline_suppresses_the_record(
    bureau: BureauService, clock: FixedClock
) -> None:
    inst = _overdue_account(bureau)
    dispute = bureau.file_dispute(ID_CN, inst, "L1", "I paid on time", month="2026-02")
    assert bureau.expire_disputes(dispute.deadline) == []  # the deadline day is still in time
    clock.set_business_date(dispute.deadline + timedelta(days=1))
    assert bureau.expire_disputes(dispute.deadline + timedelta(days=1)) == [dispute.dispute_id]
    account = bureau.report(ID_CN).accounts[0]
    assert account.suppressed_months == ("2026-02",) and account.grid[1:3] == ("#", "1")
    assert [n.outcome for n in bureau.outcome_notices(ID_CN)] == ["suppressed"]
    assert not bureau.has_open_dispute(inst, "L1")


def test_a_whole_account_dispute_left_unanswered_hides_the_account(bureau: BureauService, clock: FixedClock) -> None:
    inst = _overdue_account(bureau)
    dispute = bureau.file_dispute(ID_CN, inst, "L1", "never borrowed from them")
    bureau.run_daily(dispute.deadline + timedelta(days=1))
    assert bureau.report(ID_CN).accounts == ()


def test_us_disputes_get_45_days_when_the_person_adds_information(us_bureau: BureauService) -> None:
    inst = us_bureau.register_institution("Bank US")
    us_bureau.submit(inst.institution_id, lines(Records("U1", ID_US, "USD").opened(date(2026, 1, 5))))
    plain = us_bureau.file_dispute(ID_US, inst.institution_id, "U1", "wrong amount")
    more = us_bureau.file_dispute(ID_US, inst.institution_id, "U1", "wrong amount", added_information=True)
    assert (plain.deadline - plain.opened_on).days == 30 and (more.deadline - more.opened_on).days == 45


def test_a_dispute_about_someone_elses_record_is_refused(bureau: BureauService) -> None:
    inst = _overdue_account(bureau)
    with pytest.raises(NotFound):
        bureau.file_dispute("110101199001011234", inst, "L1", "not mine")
