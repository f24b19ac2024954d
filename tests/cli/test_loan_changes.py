"""`fairlend loan change rate|balance`: an operator's changes inside a schedule, refused in one line, exit 2."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from fairlend.bootstrap import Container
from fairlend.cli import app
from fairlend.identity.model import Role
from fairlend.money import Money
from tests.lending.conftest import BASE

runner = CliRunner(env={"COLUMNS": "250"})


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    import fairlend.cli

    monkeypatch.setattr(fairlend.cli.out, "_width", 250)


@pytest.fixture
def officer(container: Container, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr("fairlend.cli.open_container", lambda **_: container)
    made = container.identity.accounts.create_operator("officer", "a long operator password", Role.UNDERWRITER)
    return made.operator.operator_id


@pytest.fixture
def loan_id(container: Container) -> str:
    container.lending.products.define(BASE)
    return container.lending.book_loan("brw_a", BASE.code, Money(1_000_000, "CNY"))


def test_an_officer_changes_a_loan_s_rate_and_corrects_its_balance(
    container: Container, officer: str, loan_id: str
) -> None:
    done = runner.invoke(
        app, ["loan", "change", "rate", loan_id, "--rate", "0.12", "--operator", officer, "--reason", "repriced"]
    )
    assert done.exit_code == 0, done.output
    assert "rate_change" in done.output and "installment 888.49 CNY x 12" in done.output
    corrected = runner.invoke(
        app, ["loan", "change", "balance", loan_id, "--reduce-by", "1000", "--reason", "typo", "--operator", officer]
    )
    assert corrected.exit_code == 0, corrected.output
    assert "principal 9000.00 CNY" in corrected.output
    assert [v["reference"] for v in container.lending.schedule_versions(loan_id)[:2]] == [officer, officer]
    assert container.verify() == []


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["rate", "{loan}", "--rate", "0.30", "--operator", "{op}"], "rate_above_cap"),
        (["rate", "{loan}", "--rate", "abc", "--operator", "{op}"], "invalid_number"),
        (["rate", "{loan}", "--rate", "0.12", "--from", "2026-13-01", "--operator", "{op}"], "invalid_date"),
        (
            ["rate", "{loan}", "--rate", "0.12", "--from", "2026-01-01", "--operator", "{op}"],
            "effective_date_out_of_range",
        ),
        (["rate", "{loan}", "--rate", "0.12"], "operator_required"),
        (["rate", "loan_nobody", "--rate", "0.12", "--operator", "{op}"], "loan_not_found"),
        (["balance", "{loan}", "--reduce-by", "-5", "--reason", "x", "--operator", "{op}"], "amount_not_positive"),
        (
            ["balance", "{loan}", "--reduce-by", "10000", "--reason", "x", "--operator", "{op}"],
            "correction_exceeds_principal",
        ),
        (["balance", "{loan}", "--reduce-by", "1", "--reason", " ", "--operator", "{op}"], "reason_required"),
    ],
)
def test_a_refused_change_is_one_line_with_its_code_exit_2_and_nothing_written(
    container: Container, officer: str, loan_id: str, fails: Callable[..., str], args: list[str], code: str
) -> None:
    line = fails("loan", "change", *[a.format(loan=loan_id, op=officer) for a in args])
    assert code in line
    assert len(container.lending.schedule_versions(loan_id)) == 1


def test_a_collector_may_not_change_a_loan(
    container: Container, officer: str, loan_id: str, fails: Callable[..., str]
) -> None:
    collector = container.identity.accounts.create_operator("collector", "a long operator password", Role.COLLECTOR)
    line = fails("loan", "change", "rate", loan_id, "--rate", "0.1", "--operator", collector.operator.operator_id)
    assert "operator_not_allowed" in line


def test_an_officer_pays_out_a_tranche_and_a_second_beyond_the_approved_amount_is_refused(
    container: Container, officer: str, fails: Callable[..., str]
) -> None:
    container.lending.products.define(replace(BASE, code="staged", max_tranches=3))
    loan = container.lending.book_loan("brw_a", "staged", Money(600_000, "CNY"), approved=Money(1_000_000, "CNY"))
    done = runner.invoke(app, ["loan", "change", "tranche", loan, "--amount", "4000", "--operator", officer])
    assert done.exit_code == 0, done.output
    assert "tranche" in done.output and "principal 10000.00 CNY" in done.output
    line = fails("loan", "change", "tranche", loan, "--amount", "0.01", "--operator", officer)
    assert "tranche_above_approved" in line


def test_an_officer_books_a_multi_disbursement_loan_with_a_chosen_first_due_date_then_pays_out_and_reprices_it(
    container: Container, officer: str, fails: Callable[..., str]
) -> None:
    container.lending.products.define(replace(BASE, code="staged", max_tranches=2))
    container.lending.products.define(BASE)
    booked = runner.invoke(
        app,
        ["loan", "book", "brw_b", "--product", "staged", "--amount", "6000", "--approved", "10000",
         "--first-due", "2026-04-20", "--operator", officer],
    )  # fmt: skip
    assert booked.exit_code == 0, booked.output
    loan = booked.output.split()[0]
    assert "principal 6000.00 CNY" in booked.output and "from 2026-04-20" in booked.output
    assert "approved 10000.00 CNY" in booked.output
    detail = container.lending.loan_detail(loan)
    assert (detail.approved, detail.schedule[0].due_date.isoformat()) == (Money(1_000_000, "CNY"), "2026-04-20")
    paid = runner.invoke(app, ["loan", "change", "tranche", loan, "--amount", "4000", "--operator", officer])
    assert paid.exit_code == 0 and "principal 10000.00 CNY" in paid.output
    repriced = runner.invoke(app, ["loan", "change", "rate", loan, "--rate", "0.12", "--operator", officer])
    assert repriced.exit_code == 0 and "rate 0.12" in repriced.output
    assert container.verify() == []
    # Refused in one line with its code, nothing booked: above the product's tranches, or by a non-officer.
    before = len(container.lending.loans_of_borrower("brw_c"))
    assert "product_single_disbursement" in fails(
        "loan", "book", "brw_c", "--product", BASE.code, "--amount", "100", "--approved", "200", "--operator", officer
    )
    assert "operator_required" in fails("loan", "book", "brw_c", "--product", "staged", "--amount", "100")
    assert len(container.lending.loans_of_borrower("brw_c")) == before


def test_a_payoff_inside_a_period_is_quoted_from_the_command_line_as_the_interest_earned_to_the_day(
    container: Container, officer: str, loan_id: str, fails: Callable[..., str]
) -> None:
    today = container.clock.business_date()
    quoted = runner.invoke(app, ["loan", "payoff", loan_id])
    assert quoted.exit_code == 0, quoted.output
    assert f"paid off on {today}: 10000.00 CNY = principal 10000.00 CNY + interest 0.00 CNY" in quoted.output
    # Ten days on, the interest earned to that day and nothing of the days after it.
    later = runner.invoke(app, ["loan", "payoff", loan_id, "--on", (today + timedelta(days=10)).isoformat()])
    # docs/lending.md's hand figure: the first period's 150.00 of interest x 10 / 31 days = 48.38, truncated.
    assert later.exit_code == 0, later.output
    assert "10048.38 CNY = principal 10000.00 CNY + interest 48.38 CNY" in later.output
    assert "payoff_in_past" in fails("loan", "payoff", loan_id, "--on", (today - timedelta(days=1)).isoformat())


def test_an_officer_books_a_loan_with_a_fixed_installment_the_term_derived(container: Container, officer: str) -> None:
    container.lending.products.define(BASE)
    booked = runner.invoke(
        app,
        [
            "loan",
            "book",
            "brw_d",
            "--product",
            BASE.code,
            "--amount",
            "10000",
            "--installment",
            "1000",
            "--operator",
            officer,
        ],
    )
    assert booked.exit_code == 0, booked.output
    detail = container.lending.loan_detail(booked.output.split()[0])
    assert detail.installment == Money(100_000, "CNY") and len(detail.schedule) == 11  # 10,000 at 18 %: 11 months
    assert container.verify() == []
