"""The demo seeder: an empty database becomes a believable, balanced book, through the services only."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.errors import Conflict
from fairlend.identity.model import KycLevel, Principal, Role
from fairlend.identity.tokens import WEB_SESSION_TTL
from fairlend.sim.demo import seed_demo
from fairlend.sim.report import DemoReport
from fairlend.sim.simulate import SimConfig
from fairlend.web.session import SESSION_COOKIE

SMALL = {"borrowers": 8, "days": 60, "seed": 3}


@pytest.fixture
def seeded(container: Container) -> DemoReport:
    return seed_demo(container, **SMALL)


def test_the_demo_seeds_an_empty_database_and_every_ledger_check_passes(
    container: Container, seeded: DemoReport
) -> None:
    assert container.verify() == []
    assert len(seeded.borrowers) == SMALL["borrowers"] and seeded.eod_days == SMALL["days"]
    assert container.eod.business_date() == seeded.end
    assert seeded.loan_states["settled"] == 1 and seeded.delinquent >= 1 and seeded.repayments > 0
    assert {b.behaviour for b in seeded.borrowers} >= {"on_time", "late", "never", "prepay"}
    for b in seeded.borrowers:
        levels = {r.level for r in container.identity.kyc_levels(b.person_id)}
        assert KycLevel.IDENTITY_VERIFIED in levels and KycLevel.BANK_CARD_VERIFIED in levels
        assert container.lending.loan_facts(b.loan_id).borrower_id == b.person_id
    assert {o.username for o in container.identity.accounts.operators()} == {o.username for o in seeded.operators}
    assert {o.role for o in seeded.operators} == {"admin", "underwriter", "collector", "compliance", "finance"}
    assert all(o.totp_secret and len(o.password) >= 12 for o in seeded.operators)
    assert seeded.certificates["approved"] >= 1
    assert seeded.other_lender and seeded.bureau_records >= 2 and seeded.notes == []


def test_the_settled_borrower_was_still_called_and_the_gateway_blocked_it_with_p2(
    container: Container, seeded: DemoReport
) -> None:
    assert seeded.blocked_rules and "P-2" in seeded.blocked_rules
    assert container.collections is not None
    contacts = container.collections.service.contacts_about(seeded.settled_borrower_id, seeded.settled_loan_id)
    blocked = [c for c in contacts if c.outcome == "blocked"]
    assert blocked and all("P-2" in {r.rule for r in c.rules} for c in blocked)
    # Contacts on overdue loans went through, so the log is not blocks alone.
    assert seeded.contacts["sent"] >= 1


def test_the_settled_borrowers_contacts_page_shows_the_p2_block(
    api: TestClient, container: Container, seeded: DemoReport
) -> None:
    who = Principal(seeded.settled_borrower_id, Role.BORROWER)
    token, _ = container.identity.tokens.issue(who, WEB_SESSION_TTL)
    api.cookies.set(SESSION_COOKIE, token)
    page = api.get("/borrower/contacts?lang=en")
    assert page.status_code == 200
    assert "P-2" in page.text and "the loan is settled" in page.text


def test_seeding_a_database_that_holds_people_is_refused_and_adds_nothing(
    container: Container, seeded: DemoReport
) -> None:
    operators = container.identity.accounts.operators()
    with pytest.raises(Conflict) as refused:
        seed_demo(container, **SMALL)
    assert refused.value.code == "demo_database_not_empty"
    assert container.identity.accounts.operators() == operators


def test_the_same_seed_makes_the_same_people_and_outcomes(container: Container, seeded: DemoReport) -> None:
    from fairlend.sim.people import make_borrowers

    again = make_borrowers(SMALL["borrowers"], SMALL["seed"], seeded.start, open_within=20)
    assert {(p.phone, p.name, p.behaviour.value) for p in again} == {
        (b.phone, b.name, b.behaviour) for b in seeded.borrowers
    }


def test_fairlend_demo_seeds_then_refuses_a_second_run_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from fairlend.cli import main

    monkeypatch.setenv("FAIRLEND_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    monkeypatch.setenv("FAIRLEND_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FAIRLEND_ENVIRONMENT", "development")
    argv = ["fairlend", "demo", "--borrowers", "4", "--investors", "0", "--days", "40", "--seed", "5"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as first:
        main()
    assert first.value.code in (0, None)
    printed = capsys.readouterr().out
    assert "demo seeded: 4 borrowers, 0 investors, 40 business days" in printed
    assert "/dev/codes" in printed and "TOTP secret" in printed and "13905000000" in printed
    assert "demo-admin-password" in printed and "demo-finance-password" in printed
    with pytest.raises(SystemExit) as second:
        main()
    assert second.value.code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert lines == [lines[-1]] and "demo_database_not_empty" in lines[-1]


def test_serve_demo_seeds_an_empty_database_once_then_just_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from fairlend.cli import main

    served: list[object] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **_: served.append(app))
    monkeypatch.setenv("FAIRLEND_DATABASE_URL", f"sqlite:///{tmp_path / 'serve.db'}")
    monkeypatch.setenv("FAIRLEND_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FAIRLEND_ENVIRONMENT", "development")
    # The default demo size, made small for the test.
    import fairlend.cli.sim as sim_cli

    real = sim_cli.seed_database
    monkeypatch.setattr(sim_cli, "seed_database", lambda settings, *_: real(settings, SimConfig(3, 0, 35, 2)))
    monkeypatch.setattr(sys, "argv", ["fairlend", "serve", "--demo", "--port", "1"])
    for _ in range(2):
        with pytest.raises(SystemExit) as ended:
            main()
        assert ended.value.code in (0, None)
    captured = capsys.readouterr()
    assert len(served) == 2
    assert captured.out.count("demo seeded: 3 borrowers") == 1
    assert "already holds people" in captured.err


@pytest.mark.backends("sqlite")
def test_seeding_again_from_the_same_seed_and_date_gives_the_same_book(
    container: Container, seeded: DemoReport, sqlite_template: Path, tmp_path: Path
) -> None:
    import shutil
    from datetime import UTC, datetime

    from fairlend.bootstrap import bootstrap
    from fairlend.clock import FixedClock
    from fairlend.config import Settings

    path = tmp_path / "again.db"
    shutil.copyfile(sqlite_template, path)
    clock = FixedClock(datetime.combine(seeded.end, datetime.min.time(), tzinfo=UTC).replace(hour=2), seeded.end)
    other = bootstrap(Settings(environment="test", database_url=f"sqlite:///{path}", data_dir=tmp_path), clock=clock)
    try:
        again = seed_demo(other, **SMALL)
    finally:
        other.close()

    def shape(r: DemoReport) -> object:
        people = sorted((b.phone, b.name, b.behaviour, b.amount.minor, b.term) for b in r.borrowers)
        return people, r.loan_states, r.delinquent, r.repayments, r.contacts, r.blocked_rules, r.bureau_records

    assert shape(again) == shape(seeded)


def test_the_other_lender_reports_some_of_the_same_people_to_the_bureau(
    container: Container, seeded: DemoReport
) -> None:
    from fairlend.sim.people import make_borrowers

    id_of = {p.phone: p.id_number for p in make_borrowers(SMALL["borrowers"], SMALL["seed"], seeded.start)}
    assert container.bureau is not None and len(seeded.reported_by_other_lender) >= 2
    fairlend_reports = "after:bureau_submit" in container.eod.step_names()
    for phone in seeded.reported_by_other_lender:
        accounts = container.bureau.counter_report(id_of[phone]).accounts
        names = {a.institution_name for a in accounts}
        assert "恒通消费金融 (demo)" in names
        # When end-of-day sends fairlend's T+1 file, the same person's fairlend loan is there too.
        if fairlend_reports:
            assert "fairlend" in names


def test_under_cn_every_demo_loan_is_funded_by_the_partner_bank_and_the_platform(
    container: Container, seeded: DemoReport
) -> None:
    assert container.market is not None
    market = container.profile.marketplace
    assert seeded.investors == [] and seeded.funded_by == {"partner and platform": SMALL["borrowers"]}
    partner = market.funding_partners[0]
    for b in seeded.borrowers:
        notes = container.market.notes.of_loan(b.loan_id)
        assert sum(n.principal.minor for n in notes) == b.amount.minor
        holders = {n.holder_kind.value: n.principal.minor for n in notes}
        assert set(holders) == {"partner", "platform"}
        # MK-2: the platform keeps at least its minimum share of each loan.
        assert holders["platform"] >= b.amount.minor * market.platform_min_share
        assert {n.holder_id for n in notes if n.holder_kind.value == "partner"} == {partner.id}


@pytest.mark.backends("sqlite")
def test_under_us_the_demos_investors_fund_the_loans_and_receive_the_repayments(us_container: Container) -> None:
    report = seed_demo(us_container, **SMALL)
    market = us_container.market
    assert market is not None
    assert us_container.verify() == []
    assert len(report.investors) >= 2 and report.funded_by["investors"] == len(report.borrowers) >= 1
    investor_ids = {i.person_id for i in report.investors}
    for b in report.borrowers:
        notes = market.notes.of_loan(b.loan_id)
        assert {n.holder_id for n in notes} <= investor_ids
        assert sum(n.principal.minor for n in notes) == b.amount.minor
    # Some notes were bought by auto-invest rules when the listings opened, the rest by hand.
    auto = {i.person_id for i in report.investors if i.auto}
    assert auto and auto != investor_ids
    assert all(market.autoinvest.rules.investments(i) for i in auto)
    assert any(market.notes.of_holder(i) for i in investor_ids - auto)
    portfolios = [market.portfolios.portfolio(i) for i in investor_ids]
    assert sum(p.interest_received.minor for p in portfolios) > 0
    assert all(p.cash.minor >= 0 for p in portfolios)
    # The people are American: SSNs and US numbers, and the story's texts in English.
    assert all(b.phone.startswith(("201", "212")) for b in report.borrowers)
    assert report.blocked_rules and "P-2" in report.blocked_rules
