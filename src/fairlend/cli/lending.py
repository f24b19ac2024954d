"""`fairlend schedule`, `fairlend product ...` and `fairlend loan show` (end-of-day: cli/eod.py)."""

from __future__ import annotations

import json
import tomllib
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from fairlend.cli import UsageError, load_settings, open_container, out
from fairlend.clock import SystemClock
from fairlend.jurisdiction.loader import load_profile
from fairlend.lending.model import DayCount, FeeTreatment, Frequency, Method, Product
from fairlend.lending.schedule import build_schedule, check_apr_cap
from fairlend.money import Money

app: typer.Typer = typer.Typer()
product_app = typer.Typer(help="Loan products (versioned data).", no_args_is_help=True)
loan_app: typer.Typer = typer.Typer(help="Loans.", no_args_is_help=True)
app.add_typer(product_app, name="product")
app.add_typer(loan_app, name="loan")


def _decimal(value: str, name: str) -> Decimal:
    try:
        parsed = Decimal(value)
    except InvalidOperation:
        raise UsageError("invalid_number", f"--{name}: {value!r} is not a number") from None
    if not parsed.is_finite():
        raise UsageError("invalid_number", f"--{name}: {value!r} is not a number")
    return parsed


def _fmt(minor: int, currency: str) -> str:
    return str(Money(minor, currency).to_decimal())


@app.command()
def schedule(
    principal: Annotated[str, typer.Option(help="Amount in major units, e.g. 10000.")],
    rate: Annotated[str, typer.Option(help="Nominal yearly rate, e.g. 0.18.")],
    term: Annotated[int, typer.Option(help="Number of periods.")],
    method: Annotated[
        str, typer.Option(help="equal-installment, equal-principal, interest-only-balloon, single-payment.")
    ] = "equal-installment",
    frequency: Annotated[str, typer.Option(help="monthly, biweekly or weekly.")] = "monthly",
    day_count: Annotated[str, typer.Option("--day-count", help="30/360, act/365 or act/360.")] = "30/360",
    fee: Annotated[str, typer.Option(help="Origination fee as a fraction of the amount, e.g. 0.01.")] = "0",
    fee_financed: Annotated[
        bool, typer.Option("--fee-financed", help="Add the fee to the principal instead of deducting it.")
    ] = False,
    open_date: Annotated[
        str | None, typer.Option("--open-date", help="YYYY-MM-DD (default: today's business date).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print a schedule, its totals and its APR (refused above the profile's APR cap)."""
    profile = load_profile(load_settings().jurisdiction)
    try:
        chosen_method = Method(method.replace("-", "_"))
        chosen_frequency = Frequency(frequency)
        chosen_day_count = DayCount(day_count.lower())
    except ValueError as exc:
        raise UsageError("invalid_option", str(exc)) from None
    try:
        opened = date.fromisoformat(open_date) if open_date else SystemClock().business_date()
    except ValueError:
        raise UsageError("invalid_date", f"--open-date: {open_date!r} is not YYYY-MM-DD") from None
    product = Product(
        code="cli",
        name="command line",
        currency=profile.currency,
        method=chosen_method,
        frequency=chosen_frequency,
        rate=_decimal(rate, "rate"),
        term=term,
        day_count=chosen_day_count,
        origination_fee_rate=_decimal(fee, "fee"),
        origination_fee_treatment=FeeTreatment.FINANCED if fee_financed else FeeTreatment.DEDUCTED,
    )
    amount = Money.parse(principal, profile.currency)
    result = build_schedule(product, amount.minor, opened, apr_method=profile.pricing.apr_method)
    check_apr_cap(result.apr, profile.pricing)
    cur = profile.currency
    if as_json:
        payload = {
            "currency": cur,
            "amount": _fmt(result.amount, cur),
            "principal": _fmt(result.principal, cur),
            "fee": _fmt(result.fee, cur),
            "disbursed": _fmt(result.disbursed, cur),
            "installment": _fmt(result.installment, cur),
            "total_interest": _fmt(result.total_interest, cur),
            "total_repayment": _fmt(result.total_repayment, cur),
            "apr": str(result.apr),
            "apr_method": profile.pricing.apr_method.value,
            "schedule": [
                {
                    "seq": line.seq,
                    "due_date": line.due.isoformat(),
                    "principal": _fmt(line.principal, cur),
                    "interest": _fmt(line.interest, cur),
                    "total": _fmt(line.total, cur),
                    "balance": _fmt(line.balance_after, cur),
                }
                for line in result.lines
            ],
        }
        print(json.dumps(payload, indent=2))
        return
    table = Table(title=f"{chosen_method.value}, {chosen_frequency.value}, {chosen_day_count.value}")
    for column in ("#", "due", "principal", "interest", "total", "balance"):
        table.add_column(column, justify="right")
    for line in result.lines:
        table.add_row(
            str(line.seq),
            line.due.isoformat(),
            _fmt(line.principal, cur),
            _fmt(line.interest, cur),
            _fmt(line.total, cur),
            _fmt(line.balance_after, cur),
        )
    out.print(table)
    out.print(
        f"principal {_fmt(result.principal, cur)}  fee {_fmt(result.fee, cur)}  disbursed {_fmt(result.disbursed, cur)}  "
        f"interest {_fmt(result.total_interest, cur)}  total {_fmt(result.total_repayment, cur)} {cur}"
    )
    out.print(
        f"APR {result.apr * 100:.2f}% ({profile.pricing.apr_method.value}; cap {profile.pricing.apr_cap * 100:.2f}%)"
    )


@product_app.command("list")
def product_list() -> None:
    """The latest version of every product."""
    container = open_container()
    for p in container.lending.products.all():
        out.print(
            f"{p.code} v{p.version} {p.name}: {p.method.value} {p.frequency.value} x{p.term} at {p.rate}",
            highlight=False,
        )


@product_app.command("show")
def product_show(code: str, version: Annotated[int | None, typer.Option(help="A past version.")] = None) -> None:
    """A product's terms as JSON."""
    container = open_container()
    print(json.dumps(container.lending.products.get(code, version).to_dict(), indent=2))


@product_app.command("add")
def product_add(path: Annotated[Path, typer.Argument(help="A TOML or JSON file with the product's fields.")]) -> None:
    """Store a product from a file; a known code gets its next version."""
    try:
        text = path.read_text("utf-8")
        data: dict[str, Any] = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (OSError, ValueError) as exc:
        raise UsageError("product_file_unreadable", f"{path}: {exc}") from None
    container = open_container()
    stored = container.lending.products.define(Product.from_dict(data))
    out.print(f"stored {stored.code} version {stored.version}")


@loan_app.command("show")
def loan_show(loan_id: str) -> None:
    """A loan's balances, delinquency and schedule."""
    container = open_container()
    d = container.lending.loan_detail(loan_id)
    f = d.facts
    out.print(
        f"{f.loan_id} {f.state.value} borrower {f.borrower_id}: principal {f.outstanding_principal}, "
        f"total {f.total_outstanding}, overdue {f.overdue_amount}, {f.days_past_due} dpd ({f.bucket})",
        highlight=False,
    )
    for i in d.schedule:
        out.print(
            f"  {i.seq:>3} {i.due_date} {i.status:<9} owed {i.outstanding} of {i.principal + i.interest + i.fee}",
            highlight=False,
        )
