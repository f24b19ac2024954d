"""The demo's secondary market under `us`: holders sell notes, other demo investors buy them through `Trades.buy`."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from fairlend.api.app import create_app
from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.hardship.model import PlanStatus
from fairlend.identity.model import Role
from fairlend.market.secondary import OrderStatus, SaleStatus
from fairlend.sim.demo import contact_instant, seed_demo
from fairlend.sim.secondary import market_days
from tests.sim.conftest import US_TODAY
from tests.web.helpers import sign_in

# Two market days (59 and 89); by the last one a never-paying borrower is more than 30 days overdue.
SIZE = {"borrowers": 8, "days": 90, "seed": 3}

pytestmark = pytest.mark.backends("sqlite")


def test_market_days_fall_every_thirty_days_back_from_the_last_and_none_in_the_first_month() -> None:
    assert market_days(90) == [59, 89]
    assert market_days(365)[0] == 34 and market_days(365)[-1] == 364 and len(market_days(365)) == 12
    assert market_days(31) == [30] and market_days(30) == []


def test_under_us_the_demos_investors_sell_notes_and_others_buy_them_and_the_ledger_verifies(
    us_container: Container,
) -> None:
    report = seed_demo(us_container, **SIZE)
    market = us_container.market
    assert market is not None
    assert us_container.verify() == []
    # Nothing refused: each order was placed, bought or left open as the story says.
    assert report.notes == [] and {k for k in report.orders if k.startswith("refused")} == set()
    investors = {i.person_id for i in report.investors}
    trades = [market.trades.trade(t) for t in report.trades]
    assert len(trades) == report.orders["bought"] == 6 and report.orders["placed"] == 8
    sold_again = {t.note_id for t in trades}
    for t in trades:
        assert t.buyer_id != t.seller_id and {t.buyer_id, t.seller_id} <= investors
        # The note changed holder: the buyer holds a new note of the part, the seller keeps the rest.
        theirs = {n.id: n for n in market.notes.of_holder(t.buyer_id)}
        assert theirs[t.buyer_note_id].loan_id == t.loan_id
        if t.buyer_note_id not in sold_again:
            assert theirs[t.buyer_note_id].principal == t.principal
        assert t.note_id in {n.id for n in market.notes.of_holder(t.seller_id)}
        par = t.principal + t.accrued
        assert t.price < par if t.premium_bps < 0 else t.price > par
    assert {t.premium_bps for t in trades} == {-200, -500, 100, -1_500}
    # A note bought on the first market day was sold on again on the second: holders change more than once.
    assert sold_again & {t.buyer_note_id for t in trades}
    # A note of the most overdue loan was sold with that standing, and the price reflected its discount:
    # its borrower had asked for a hardship plan and was in it (sim/hardship.py), which the buyer was told.
    assert [t.status for t in trades if t.premium_bps == -1_500] == [SaleStatus.HARDSHIP]
    # Whole notes leave their sellers with nothing outstanding; the part leaves the rest with the seller.
    for t in trades:
        if [u.note_id for u in trades].count(t.note_id) == 1:
            seller_note = next(n for n in market.notes.of_holder(t.seller_id) if n.id == t.note_id)
            assert (seller_note.outstanding.minor == 0) == (t.premium_bps != -500)

    # Distribution followed the buyers: notes bought on the first market day were paid since.
    first = report.start + timedelta(days=market_days(SIZE["days"])[0])
    early = [t for t in trades if t.business_date == first]
    assert len(early) == 4
    received = {
        line.note_id: line.received
        for t in early
        for line in market.portfolios.portfolio(t.buyer_id).notes
        if line.note_id == t.buyer_note_id
    }
    assert any(r.minor > 0 for r in received.values())
    bought = {t.buyer_id for t in trades}
    assert all(market.portfolios.portfolio(b).bought.minor > 0 for b in bought)

    # At the end the market shows a premium order and the most overdue loan's note with its standing disclosed:
    # its borrower is in a hardship plan (sim/hardship.py), and the order says so.
    left = market.orders.browse()
    assert {o.premium_bps for o in left} == {100, -1_500} and all(o.status is OrderStatus.OPEN for o in left)
    late = next(o for o in left if o.premium_bps == -1_500)
    assert late.status_at_listing is SaleStatus.HARDSHIP and late.quote is not None and late.quote.status.disclosed
    plans = us_container.hardship.plans_of_loan(late.loan_id)
    assert [p.status for p in plans] == [PlanStatus.ACTIVE]

    # The portal has the content: the market with the warning, and each trade in both sides' history.
    with TestClient(create_app(container=us_container), client=("127.0.0.1", 50000)) as api:
        sign_in(api, us_container, report.investors[0].person_id, Role.INVESTOR)
        page = api.get("/investor/market?lang=en").text
        assert all(o.id in page for o in left) and "In a hardship plan" in page
        assert "困难还款计划中" in api.get("/investor/market?lang=zh-CN").text
        for t in trades[:2]:
            for side in (t.buyer_id, t.seller_id):
                sign_in(api, us_container, side, Role.INVESTOR)
                assert f'data-id="{t.id}"' in api.get("/investor/market/trades?lang=en").text


def test_the_same_seed_makes_the_same_trades_in_a_second_database(
    us_container: Container, sqlite_template: Path, tmp_path: Path
) -> None:
    def trades(container: Container) -> list[tuple[object, ...]]:
        report = seed_demo(container, **SIZE)
        market = container.market
        assert market is not None
        who = {i.person_id: n for n, i in enumerate(report.investors)}
        loan = {b.loan_id: n for n, b in enumerate(report.borrowers)}
        return [
            (t.business_date, loan[t.loan_id], who[t.seller_id], who[t.buyer_id], t.principal, t.price, t.status)
            for t in (market.trades.trade(i) for i in report.trades)
        ]

    path = tmp_path / "again.db"
    shutil.copyfile(sqlite_template, path)
    other = bootstrap(
        Settings(environment="test", database_url=f"sqlite:///{path}", data_dir=tmp_path, jurisdiction="us"),
        clock=FixedClock(contact_instant(US_TODAY, "America/New_York"), US_TODAY),
    )
    try:
        again = trades(other)
    finally:
        other.close()
    first = trades(us_container)
    assert first == again and len(first) == 6
