"""`fairlend loan change rate|balance|tranche`: a lender's changes inside a loan's schedule.

Thin: each command parses its options and calls one of `container.lending`'s
use cases (lending/changing.py, tranches.py). Amounts are major units in the
loan's currency; rates are yearly fractions ("0.12"). The operator who acts
(`--operator op_…` or FAIRLEND_OPERATOR) must be an active loan officer (the
API's roles for the same calls). Every refusal is one line with its stable
code and exit status 2, and nothing is written.
"""

from __future__ import annotations

from typing import Annotated

import typer

from fairlend import cli
from fairlend.api.auth import LOAN_OFFICERS
from fairlend.bootstrap import Container
from fairlend.cli import UsageError, out
from fairlend.cli.lending import _date, _decimal
from fairlend.lending.views import ScheduleChanged
from fairlend.money import Money

app = typer.Typer(help="Changes inside a loan's schedule: rate, balance correction, tranche.", no_args_is_help=True)

OperatorOpt = Annotated[
    str,
    typer.Option(
        "--operator", envvar="FAIRLEND_OPERATOR", help="Who acts (op_…; or FAIRLEND_OPERATOR): a loan officer."
    ),
]
ReasonOpt = Annotated[str, typer.Option(help="Why: kept with the change's event.")]


def _officer(container: Container, operator_id: str) -> str:
    if not operator_id:
        raise UsageError("operator_required", "--operator: name the operator who acts (or set FAIRLEND_OPERATOR)")
    who = container.identity.accounts.operator(operator_id)
    if not who.active or who.role not in LOAN_OFFICERS:
        raise UsageError("operator_not_allowed", f"{operator_id} may not change loans")
    return operator_id


def _money(value: str, name: str, container: Container) -> Money:
    amount = _decimal(value, name)
    if amount <= 0:
        raise UsageError("amount_not_positive", f"--{name}: {value!r} must be more than 0")
    return Money.of(amount, container.profile.currency)


def _show(done: ScheduleChanged) -> None:
    out.print(
        f"{done.loan_id} {done.kind}: schedule version {done.schedule_version}, rate {done.rate}, "
        f"principal {done.principal_outstanding}, installment {done.installment} x {done.installments} "
        f"from {done.first_due_date} to {done.maturity_date}, carried interest {done.carried_interest}, "
        f"APR {done.apr * 100:.2f}%",
        highlight=False,
    )


@app.command("rate")
def change_rate(
    loan_id: str,
    rate: Annotated[str, typer.Option(help="The new nominal yearly rate, e.g. 0.12.")],
    operator: OperatorOpt = "",
    effective: Annotated[
        str | None, typer.Option("--from", help="YYYY-MM-DD: from this day (default: the business date).")
    ] = None,
    reason: ReasonOpt = "",
) -> None:
    """The loan's rate from a date: what remains rebuilt at it, the interest earned so far carried."""
    container = cli.open_container()  # looked up when called: tests hand it theirs
    operator_id = _officer(container, operator)
    new_rate = _decimal(rate, "rate")
    day = _date(effective, "from")
    _show(container.lending.change_rate(loan_id, new_rate, operator_id=operator_id, effective=day, reason=reason))


@app.command("balance")
def correct_balance(
    loan_id: str,
    reduce_by: Annotated[str, typer.Option("--reduce-by", help="Major units the principal was booked too high by.")],
    reason: Annotated[str, typer.Option(help="Why (required).")],
    operator: OperatorOpt = "",
) -> None:
    """Lower the principal booked too high; the rest re-amortised over the same due dates."""
    container = cli.open_container()  # looked up when called: tests hand it theirs
    operator_id = _officer(container, operator)
    amount = _money(reduce_by, "reduce-by", container)
    _show(container.lending.correct_balance(loan_id, amount, operator_id=operator_id, reason=reason))


@app.command("tranche")
def disburse_tranche(
    loan_id: str,
    amount: Annotated[str, typer.Option(help="Major units paid out now, within the approved amount.")],
    operator: OperatorOpt = "",
    reason: ReasonOpt = "",
) -> None:
    """Pay out a tranche of a multi-disbursement loan; what remains re-computed with it."""
    container = cli.open_container()  # looked up when called: tests hand it theirs
    operator_id = _officer(container, operator)
    money = _money(amount, "amount", container)
    _show(container.lending.disburse_tranche(loan_id, money, operator_id=operator_id, reason=reason))
