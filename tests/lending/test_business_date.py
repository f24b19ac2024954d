"""A running server follows the business date that `fairlend eod` in another process moves."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from fairlend.api.app import create_app
from fairlend.bootstrap import bootstrap
from fairlend.config import Settings
from fairlend.lending.eod import business_date_reader, store_business_date
from fairlend.lending.tables import loan_repayment
from tests.lending.conftest import BASE
from tests.lending.helpers import cny


def test_a_running_server_sees_the_date_an_end_of_day_in_another_process_moved(settings: Settings) -> None:
    settings = settings.model_copy(update={"business_date_refresh_seconds": 0.0})
    server = bootstrap(settings)  # as `fairlend serve` builds it: its own clock, no date given
    cli = bootstrap(settings)  # as `fairlend eod` builds it, in another process
    try:
        client = TestClient(create_app(container=server))
        before = server.clock.business_date()
        assert client.get("/api/v1/health").json()["business_date"] == before.isoformat()
        server.lending.products.define(BASE)
        first = server.lending.book_loan("brw_a", "cash-12", cny("10000"))

        (closed,) = cli.eod.run()
        assert (closed.business_date, closed.outcome) == (before, "done")

        after = before + timedelta(days=1)
        assert client.get("/api/v1/health").json()["business_date"] == after.isoformat()
        assert server.clock.business_date() == after
        second = server.lending.book_loan("brw_a", "cash-12", cny("10000"))
        assert server.lending.loan_detail(first).open_date == before
        assert server.lending.loan_detail(second).open_date == after
        repaid = server.lending.repay(first, cny("100"))
        with server.uow(read_only=True) as uow:
            dated = uow.conn.execute(
                select(loan_repayment.c.business_date).where(loan_repayment.c.id == repaid.repayment_id)
            ).scalar()
        assert dated == after
        assert server.eod.business_date() == after
        assert server.verify() == []
    finally:
        server.close()
        cli.close()


def test_the_stored_date_is_read_inside_a_unit_of_work_that_holds_the_write_lock(settings: Settings) -> None:
    container = bootstrap(settings)
    try:
        with container.uow() as uow:
            store_business_date(uow.conn, date(2026, 5, 1))
            uow.commit()
        read = business_date_reader(container.engine)
        with container.uow() as uow:  # a write transaction: on SQLite it holds the database's write lock
            uow.conn.execute(select(loan_repayment.c.id)).all()
            assert read() == date(2026, 5, 1)
        assert container.clock.business_date() == date(2026, 5, 1)
    finally:
        container.close()
