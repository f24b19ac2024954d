"""`fairlend loan book`: a loan officer books and disburses a loan on a product from the command line.

Thin: it parses the options and calls `container.lending.book_loan`, as
`POST /api/v1/loans` does: the product's terms, or a quote's overrides (rate,
term), a first due date the borrower chose (a broken first period), and a
multi-disbursement loan's approved amount (`--amount` is then its first
tranche; `fairlend loan change tranche` pays out the rest). The operator who
acts must be an active loan officer; every refusal is one line with its stable
code and exit status 2, and nothing is written.
"""

from __future__ import annotations

from typing import Annotated

import typer

from fairlend import cli
from fairlend.cli import out
from fairlend.cli.lending import _date, _decimal
from fairlend.cli.loan_changes import OperatorOpt, _money, _officer


def book(
    borrower_id: Annotated[str, typer.Argument(help="The borrower's id (brw_…).")],
    product: Annotated[str, typer.Option("--product", help="The product's code.")],
    amount: Annotated[str, typer.Option(help="Major units lent now (a multi-disbursement loan's first tranche).")],
    operator: OperatorOpt = "",
    approved: Annotated[
        str | None, typer.Option(help="A multi-disbursement loan's approved amount, in major units.")
    ] = None,
    first_due: Annotated[
        str | None, typer.Option("--first-due", help="YYYY-MM-DD: the first due date the borrower chose.")
    ] = None,
    rate: Annotated[str | None, typer.Option(help="A quoted nominal yearly rate instead of the product's.")] = None,
    term: Annotated[int | None, typer.Option(help="A quoted term in periods instead of the product's.", min=1)] = None,
    version: Annotated[int | None, typer.Option(help="The product's version (default: the latest).", min=1)] = None,
    installment: Annotated[
        str | None, typer.Option(help="A fixed installment in major units instead of the term: the term is derived.")
    ] = None,
    open_date: Annotated[
        str | None, typer.Option("--open-date", help="YYYY-MM-DD: a past open date (importing a loan).")
    ] = None,
) -> None:
    """Book a loan for a borrower on a product and disburse it (loan officers)."""
    container = cli.open_container()  # looked up when called: tests hand it theirs
    _officer(container, operator)
    loan_id = container.lending.book_loan(
        borrower_id,
        product,
        _money(amount, "amount", container),
        version=version,
        rate=None if rate is None else _decimal(rate, "rate"),
        term=term,
        first_due_date=_date(first_due, "first-due"),
        open_date=_date(open_date, "open-date"),
        installment=None if installment is None else _money(installment, "installment", container),
        approved=None if approved is None else _money(approved, "approved", container),
    )
    d = container.lending.loan_detail(loan_id)
    out.print(
        f"{loan_id} booked for {borrower_id} on {d.product_code} v{d.product_version}: principal {d.principal}, "
        f"installment {d.installment} x {len(d.schedule)} from {d.schedule[0].due_date} to {d.maturity_date}, "
        f"APR {d.apr * 100:.2f}%",
        highlight=False,
    )
    if d.approved is not None:
        out.print(f"  approved {d.approved}: {d.principal} paid out in {d.tranches} tranche", highlight=False)
