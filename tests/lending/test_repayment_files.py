"""Repayment files through lending's service, on SQLite and PostgreSQL: applied, duplicates, refusals, once."""

from __future__ import annotations

import io
import threading
import time
import tracemalloc
from datetime import date

import pytest
import sqlalchemy as sa

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.db.uow import UnitOfWork
from fairlend.errors import Conflict, DomainError, NotFound
from fairlend.events import DomainEvent
from fairlend.ledger.model import AccountType
from fairlend.lending import files
from fairlend.lending.file_lines import LineResult, LineStatus, RepaymentFileView
from fairlend.lending.model import LoanState, Product
from tests.lending.conftest import product
from tests.lending.helpers import balance, cny, eod_through, events

HEADER = "loan_reference,amount,value_date,external_reference\n"
TODAY = "2026-04-10"


def csv(*lines: str) -> bytes:
    return (HEADER + "".join(f"{line}\n" for line in lines)).encode()


def imported(container: Container, data: bytes, name: str = "psp.csv") -> RepaymentFileView:
    return container.lending.files.import_file(io.BytesIO(data), name=name, imported_by="op_finance")


def results(container: Container, view: RepaymentFileView) -> list[tuple[str, str]]:
    return [(r.status.value, r.code) for r in container.lending.files.results(view.file_id)]


def counts(container: Container) -> dict[str, int]:
    tables = ("loan_repayment", "ledger_entry", "ledger_posting", "outbox", "repayment_file", "repayment_file_line")
    with container.engine.connect() as conn:
        return {t: int(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() or 0) for t in tables}


@pytest.fixture
def loans(container: Container, clock: FixedClock, cash12: Product) -> list[str]:
    """Three loans: all a week overdue on 2026-04-10 (the first installment was due 2026-04-02)."""
    made = [container.lending.book_loan(f"brw_{k}", "cash-12", cny("10000")) for k in "abc"]
    eod_through(container, clock, date(2026, 4, 9))
    assert clock.business_date() == date.fromisoformat(TODAY)
    return made


def test_a_file_posts_each_line_as_the_single_repayment_would_and_the_books_stay_true(
    container: Container, loans: list[str]
) -> None:
    overdue = container.lending.loan_facts(loans[0]).overdue_amount
    view = imported(
        container,
        csv(
            f"{loans[0]},{overdue.to_decimal()},{TODAY},PSP-1",
            f"{loans[1]},500.00,{TODAY},PSP-2",
            f"{loans[2]},0.01,2026-04-09,PSP-3",
        ),
    )
    assert (view.lines, view.applied, view.duplicates, view.refused) == (3, 3, 0, 0)
    assert view.totals == {"CNY": overdue.minor + 50_001}
    assert view.business_date == date(2026, 4, 10) and not view.already_imported
    first = container.lending.loan_facts(loans[0])
    assert (first.days_past_due, first.bucket, first.overdue_amount.minor) == (0, "current", 0)
    posted = events(container, "lending.RepaymentPosted")
    assert [p["amount"]["minor"] for p in posted] == [overdue.minor, 50_000, 1]
    # The processor's reference is the repayment's reference.
    with container.engine.connect() as conn:
        reference = conn.execute(sa.text("SELECT reference FROM loan_repayment WHERE loan_id = :id"), {"id": loans[1]})
        assert reference.scalars().all() == ["PSP-2"]
    changes = events(container, "lending.LoanDelinquencyChanged")
    assert (changes[-1]["loan_id"], changes[-1]["bucket"]) == (loans[0], "current")
    assert container.verify() == []


def test_the_same_file_again_changes_nothing_and_answers_the_first_import(
    container: Container, loans: list[str]
) -> None:
    data = csv(f"{loans[0]},100.00,{TODAY},PSP-1", f"nope_{loans[1]},1.00,{TODAY},PSP-2")
    first = imported(container, data)
    before = counts(container)
    again = imported(container, data, name="renamed.csv")
    assert again.already_imported and again.file_id == first.file_id and again.name == "psp.csv"
    assert (again.applied, again.refused) == (1, 1)
    assert counts(container) == before
    assert container.verify() == []


def test_a_reference_applied_before_is_a_duplicate_and_one_refused_before_is_not(
    container: Container, loans: list[str]
) -> None:
    imported(container, csv(f"{loans[0]},100.00,{TODAY},PSP-1", f"loan_nobody,1.00,{TODAY},PSP-2"))
    second = imported(
        container,
        csv(
            f"{loans[1]},100.00,{TODAY},PSP-1",  # the same payment, reported again: against another loan, even
            f"{loans[1]},7.00,{TODAY},PSP-2",  # refused last time (no such loan): applied now
            f"{loans[2]},3.00,{TODAY},PSP-3",
            f"{loans[2]},3.00,{TODAY},PSP-3",  # twice in one file: applied once
        ),
    )
    assert results(container, second) == [
        ("duplicate", "reference_already_applied"),
        ("applied", ""),
        ("applied", ""),
        ("duplicate", "reference_already_applied"),
    ]
    assert [r.amount.minor for r in container.lending.repayments_of(loans[1])] == [700]
    assert [r.amount.minor for r in container.lending.repayments_of(loans[2])] == [300]


def test_lines_the_loan_refuses_carry_the_single_repayments_code_and_leave_nothing(
    container: Container, loans: list[str], clock: FixedClock
) -> None:
    container.lending.products.define(product(code="fixed", prepayment_allowed=False))
    fixed = container.lending.book_loan("brw_f", "fixed", cny("10000"), open_date=date(2026, 3, 1))
    later = container.lending.book_loan("brw_l", "cash-12", cny("10000"))  # opened today, 2026-04-10
    view = imported(
        container,
        csv(
            f"{loans[0]},20000.00,{TODAY},PSP-SETTLE",  # beyond the payoff: settles, the rest held
            f"{loans[0]},1.00,{TODAY},PSP-AFTER",  # the loan settled a line ago
            f"{fixed},5000.00,{TODAY},PSP-FIXED",  # a prepayment the product forbids
            f"loan_unknown,1.00,{TODAY},PSP-UNKNOWN",
            f"{loans[1]},1.00,2026-04-11,PSP-FUTURE",
            f"{later},1.00,2026-04-09,PSP-EARLY",  # received before the loan was opened
            f"{loans[1]},1.00,{TODAY},PSP-OK",
        ),
    )
    assert results(container, view) == [
        ("applied", ""),
        ("refused", "loan_not_active"),
        ("refused", "prepayment_not_allowed"),
        ("refused", "loan_not_found"),
        ("refused", "value_date_in_future"),
        ("refused", "value_date_before_loan"),
        ("applied", ""),
    ]
    assert container.lending.loan_facts(loans[0]).state is LoanState.SETTLED
    assert container.lending.repayments_of(fixed) == [] and container.lending.repayments_of(later) == []
    assert balance(container, AccountType.BORROWER_CREDIT, "brw_a") < 0
    assert container.verify() == []


def test_money_for_a_charged_off_loan_is_booked_as_a_recovery(container: Container, loans: list[str]) -> None:
    owed = container.lending.charge_off(loans[2])
    view = imported(
        container, csv(f"{loans[2]},100.00,{TODAY},PSP-R1", f"{loans[2]},{owed.to_decimal()},{TODAY},PSP-R2")
    )
    assert results(container, view) == [("applied", ""), ("applied", "")]
    kinds = [(r.kind.value, r.amount.minor) for r in container.lending.repayments_of(loans[2])]
    assert kinds == [("recovery", 10_000), ("recovery", owed.minor)]
    assert balance(container, AccountType.RECOVERY_INCOME) == -owed.minor  # all of it, no more
    assert balance(container, AccountType.BORROWER_CREDIT, "brw_c") == -10_000  # the excess held
    [settled] = events(container, "lending.LoanSettled")
    assert settled["after_charge_off"] is True
    assert container.verify() == []


def test_settling_a_loan_stops_collections_inside_the_files_transaction(container: Container, loans: list[str]) -> None:
    seen: list[str] = []

    def halt(uow: UnitOfWork, event: DomainEvent) -> None:
        state = uow.conn.execute(sa.text("SELECT state FROM loan WHERE id = :id"), {"id": event.aggregate_id})
        seen.append(f"{event.aggregate_id}:{state.scalar()}")

    container.bus.subscribe("lending.LoanSettled", halt)
    imported(container, csv(f"{loans[0]},20000.00,{TODAY},PSP-1", f"{loans[1]},1.00,{TODAY},PSP-2"))
    assert seen == [f"{loans[0]}:settled"]
    # Collections' own subscriber (P-2) recorded the settlement and cancelled the loan's tasks in it.
    [cancelled] = events(container, "collections.TasksCancelled")
    assert cancelled["loan_id"] == loans[0]
    with container.engine.connect() as conn:
        recorded = conn.execute(sa.text("SELECT loan_id FROM settled_loan")).scalars().all()
    assert recorded == [loans[0]]


def test_a_failing_settlement_subscriber_rolls_the_whole_file_back(container: Container, loans: list[str]) -> None:
    def refuse(uow: UnitOfWork, event: DomainEvent) -> None:
        raise RuntimeError("collections could not cancel its tasks")

    container.bus.subscribe("lending.LoanSettled", refuse)
    before = counts(container)
    with pytest.raises(RuntimeError):
        imported(container, csv(f"{loans[1]},1.00,{TODAY},PSP-1", f"{loans[0]},20000.00,{TODAY},PSP-2"))
    assert counts(container) == before
    assert container.lending.loan_facts(loans[0]).state is LoanState.ACTIVE


@pytest.mark.parametrize(
    ("tail", "code"),
    [
        (b"loan_x,1.00,2026-04-10,PSP-\xff\n", "file_not_utf8"),
        (b"\n" * 3, None),
    ],
)
def test_a_file_refused_whole_at_its_last_line_writes_nothing(
    container: Container, loans: list[str], tail: bytes, code: str | None
) -> None:
    good = csv(*[f"{loans[k % 3]},1.00,{TODAY},PSP-{k}" for k in range(50)])
    before = counts(container)
    if code is None:  # the same file with blank lines: applied, so the refusal above is the last line's doing
        assert imported(container, good + tail).applied == 50
        return
    with pytest.raises(DomainError) as refused:
        imported(container, good + tail)
    assert refused.value.code == code
    assert counts(container) == before


def test_a_file_that_changes_while_it_is_read_is_refused_and_writes_nothing(
    container: Container, loans: list[str]
) -> None:
    class Shifting(io.BytesIO):
        """The first read sees one file, the second (after seek(0)) another of the same shape."""

        def seek(self, offset: int, whence: int = 0) -> int:
            self.__init__(csv(f"{loans[0]},9.99,{TODAY},PSP-1"))  # type: ignore[misc]
            return 0

    before = counts(container)
    with pytest.raises(Conflict) as refused:
        container.lending.files.import_file(Shifting(csv(f"{loans[0]},1.00,{TODAY},PSP-1")), name="f", imported_by="op")
    assert refused.value.code == "file_changed"
    assert counts(container) == before


def test_a_loan_paid_on_both_sides_of_a_chunks_end_pays_from_where_the_last_line_left_it(
    container: Container, loans: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "CHUNK", 2)
    twin = loans[1]
    lines = [f"{loans[0]},{amount},{TODAY},PSP-{k}" for k, amount in enumerate(("300", "300", "300", "9000"))]
    view = imported(container, csv(*lines))
    assert view.applied == 4
    for amount in ("300", "300", "300", "9000"):
        container.lending.repay(twin, cny(amount))
    paid = list(container.lending.loan_detail(loans[0]).schedule)
    twin_paid = list(container.lending.loan_detail(twin).schedule)
    assert paid == twin_paid
    assert container.lending.loan_facts(loans[0]).outstanding_principal == (
        container.lending.loan_facts(twin).outstanding_principal
    )
    assert container.verify() == []


def test_results_are_kept_in_line_order_and_read_again_by_the_files_id(
    container: Container, loans: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "RESULTS_PAGE", 3)
    lines = [f"{loans[k % 3]},0.0{1 + k % 9},{TODAY},PSP-{k}" for k in range(10)] + ["loan_x,1,2026-04-10,"]
    view = imported(container, csv(*lines))
    got: list[LineResult] = list(container.lending.files.results(view.file_id))
    assert [r.line for r in got] == list(range(1, 12))
    assert [r.status for r in got] == [LineStatus.APPLIED] * 10 + [LineStatus.REFUSED]
    assert got[10].code == "external_reference_invalid" and got[10].loan_id == "loan_x"
    assert all(r.repayment_id.startswith("rpy_") for r in got[:10])
    assert container.lending.files.get(view.file_id) == view
    with pytest.raises(NotFound) as missing:
        container.lending.files.get("rpf_missing")
    assert missing.value.code == "repayment_file_not_found"


@pytest.mark.backends("sqlite")  # the memory is this process's, whichever database holds the rows
def test_memory_stays_flat_as_the_file_grows(
    container: Container, loans: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "CHUNK", 100)

    def peak(lines: int, tag: str) -> int:
        stream = io.BytesIO(csv(*[f"{loans[k % 3]},0.01,{TODAY},{tag}-{k}" for k in range(lines)]))
        tracemalloc.start()
        try:
            container.lending.files.import_file(stream, name=tag, imported_by="op")
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    peak(200, "W")  # the first import fills the process's caches (compiled statements, products)
    small, large = peak(500, "S"), peak(4000, "L")
    # Eight times the lines; the peak is a chunk's worth, not the file's (the file's own bytes
    # are the test's: the service reads them a line at a time).
    assert large < small * 1.5, (small, large)


def test_a_file_sent_while_end_of_day_runs_waits_for_it_and_posts_on_the_next_date(
    container: Container, loans: list[str]
) -> None:
    started, results_of_day = threading.Event(), []

    class SlowStep:
        name = "slow"

        def run(self, uow: UnitOfWork, business_date: date) -> int:
            started.set()
            time.sleep(1.5)  # the file arrives now, with the day's transaction open
            return 0

    container.eod.register(SlowStep())
    day = threading.Thread(target=lambda: results_of_day.append(container.eod.run_day(date(2026, 4, 10))))
    day.start()
    assert started.wait(30)
    view = imported(container, csv(f"{loans[0]},100.00,{TODAY},PSP-1"))
    day.join(30)
    assert [r.outcome for r in results_of_day] == ["done"]
    # Not half on the closed date: the whole file waited for the date to close, then posted on the next one.
    assert view.business_date == date(2026, 4, 11)
    with container.engine.connect() as conn:
        posted = conn.execute(sa.text("SELECT business_date FROM loan_repayment")).scalars().all()
    assert [str(d) for d in posted] == ["2026-04-11"]
    assert container.verify() == []
