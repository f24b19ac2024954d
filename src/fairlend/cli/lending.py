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

from fairlend import cli
from fairlend.cli import UsageError, load_settings, open_container, out
from fairlend.clock import SystemClock
from fairlend.jurisdiction.loader import load_profile
from fairlend.lending.model import (
    DayCount,
    EmiMethod,
    FeeTreatment,
    Frequency,
    InterestMethod,
    InterestRecalculation,
    Method,
    Product,
)
from fairlend.lending.schedule import build_schedule, check_apr_cap
from fairlend.money import Money, Rounding

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


def _date(value: str | None, name: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise UsageError("invalid_date", f"--{name}: {value!r} is not YYYY-MM-DD") from None


def _fmt(minor: int, currency: str) -> str:
    return str(Money(minor, currency).to_decimal())


def _enum(kind: type[Any], value: str, name: str) -> Any:
    try:
        return kind(value.replace("-", "_") if kind not in (DayCount, Frequency) else value.lower())
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise UsageError("invalid_option", f"--{name}: {value!r} is not one of {choices}") from None


def _file_product(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text("utf-8")
        data: dict[str, Any] = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (OSError, ValueError) as exc:
        raise UsageError("product_file_unreadable", f"{path}: {exc}") from None
    return data


@app.command()
def schedule(
    principal: Annotated[str, typer.Option(help="Amount in major units, e.g. 10000.")],
    rate: Annotated[
        str | None, typer.Option(help="Nominal yearly rate, e.g. 0.18 (default: the product file's).")
    ] = None,
    term: Annotated[int | None, typer.Option(help="Number of periods (or give --installment).")] = None,
    method: Annotated[
        str | None, typer.Option(help="equal-installment, equal-principal, interest-only-balloon, single-payment.")
    ] = None,
    frequency: Annotated[str | None, typer.Option(help="monthly, semimonth, 15_days, biweekly or weekly.")] = None,
    day_count: Annotated[
        str | None, typer.Option("--day-count", help="30/360, act/365, act/360, act/act or act/364.")
    ] = None,
    interest_method: Annotated[str | None, typer.Option("--interest-method", help="declining-balance or flat.")] = None,
    grace_principal: Annotated[
        int | None, typer.Option("--grace-principal", help="First periods repaying no principal.")
    ] = None,
    grace_interest: Annotated[
        int | None, typer.Option("--grace-interest", help="First periods whose interest is deferred.")
    ] = None,
    interest_free: Annotated[
        int | None, typer.Option("--interest-free", help="First periods charging no interest.")
    ] = None,
    emi: Annotated[str | None, typer.Option(help="nominal (rate / periods a year) or progressive.")] = None,
    recalculation: Annotated[
        str | None,
        typer.Option(
            "--recalculation",
            help="none, daily or compounding: late principal (and interest) bears interest (the schedule is the same).",
        ),
    ] = None,
    rebalance: Annotated[
        bool | None, typer.Option("--rebalance/--no-rebalance", help="Keep the last installment no larger.")
    ] = None,
    rounding: Annotated[str | None, typer.Option(help="half-up, half-even, down or up.")] = None,
    round_to: Annotated[
        str | None, typer.Option("--round-to", help="Installments a multiple of this, in major units, e.g. 1.")
    ] = None,
    installment: Annotated[
        str | None, typer.Option(help="A fixed installment in major units: the term is derived.")
    ] = None,
    first_due: Annotated[
        str | None, typer.Option("--first-due", help="YYYY-MM-DD: a chosen first due date (a broken period).")
    ] = None,
    due_day: Annotated[
        int | None,
        typer.Option("--due-day", help="1-28: the product's day of the month for every installment.", min=0, max=28),
    ] = None,
    first_period_min_days: Annotated[
        int | None,
        typer.Option("--first-period-min-days", help="With --due-day: the first period's fewest days.", min=0, max=90),
    ] = None,
    fee: Annotated[str | None, typer.Option(help="Origination fee as a fraction of the amount, e.g. 0.01.")] = None,
    fee_financed: Annotated[
        bool, typer.Option("--fee-financed", help="Add the fee to the principal instead of deducting it.")
    ] = False,
    product_file: Annotated[
        Path | None, typer.Option("--product-file", help="A product's TOML or JSON; the options above override it.")
    ] = None,
    open_date: Annotated[
        str | None, typer.Option("--open-date", help="YYYY-MM-DD (default: today's business date).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print a schedule, its totals and its APR (refused above the profile's APR cap)."""
    profile = load_profile(load_settings().jurisdiction)
    cur = profile.currency
    terms: dict[str, Any] = {"code": "cli", "name": "command line", "currency": cur, "rate": "0", "term": 1}
    terms |= {"method": "equal_installment", "frequency": "monthly", "day_count": "30/360"}
    if product_file is not None:
        terms |= {k: v for k, v in _file_product(product_file).items() if k != "version"}
    chosen: dict[str, Any] = {
        "method": method and _enum(Method, method, "method"),
        "frequency": frequency and _enum(Frequency, frequency, "frequency"),
        "day_count": day_count and _enum(DayCount, day_count, "day-count"),
        "interest_method": interest_method and _enum(InterestMethod, interest_method, "interest-method"),
        "emi_method": emi and _enum(EmiMethod, emi, "emi"),
        "interest_recalculation": recalculation and _enum(InterestRecalculation, recalculation, "recalculation"),
        "rounding": rounding and _enum(Rounding, rounding, "rounding"),
        "rate": rate and str(_decimal(rate, "rate")),
        "term": term,
        "grace_principal_periods": grace_principal,
        "grace_interest_periods": grace_interest,
        "interest_free_periods": interest_free,
        "rebalance_installment": rebalance,
        "installment_rounding": round_to and Money.parse(round_to, cur).minor,
        "origination_fee_rate": fee and str(_decimal(fee, "fee")),
        "origination_fee_treatment": FeeTreatment.FINANCED.value if fee_financed else None,
        "due_day": due_day,
        "first_period_min_days": first_period_min_days,
    }
    terms |= {k: (v.value if hasattr(v, "value") else v) for k, v in chosen.items() if v is not None}
    if product_file is None and (rate is None or (term is None and installment is None)):
        raise UsageError("invalid_option", "give --rate and --term (or --installment), or --product-file")
    opened = _date(open_date, "open-date") or SystemClock().business_date()
    product = Product.from_dict(terms)
    amount = Money.parse(principal, cur)
    result = build_schedule(
        product,
        amount.minor,
        opened,
        first_due=_date(first_due, "first-due"),
        apr_method=profile.pricing.apr_method,
        installment=None if installment is None else Money.parse(installment, cur).minor,
    )
    check_apr_cap(result.apr, profile.pricing)
    chosen_method, chosen_frequency, chosen_day_count = product.method, product.frequency, product.day_count
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
            "apr_cap": str(profile.pricing.apr_cap),
            "term": len(result.lines),
            "interest_method": product.interest_method.value,
            "interest_recalculation": product.interest_recalculation.value,
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
    title = (
        f"{chosen_method.value}, {product.interest_method.value}, {chosen_frequency.value}, {chosen_day_count.value}"
    )
    if product.interest_recalculation is not InterestRecalculation.NONE:
        title += f", recalculated ({product.interest_recalculation.value})"
    table = Table(title=title)
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
    data = _file_product(path)
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
    if d.approved is not None:
        out.print(f"  approved {d.approved}: {d.principal} paid out in {d.tranches} tranches", highlight=False)
    for i in d.schedule:
        out.print(
            f"  {i.seq:>3} {i.due_date} {i.status:<9} owed {i.outstanding} of {i.principal + i.interest + i.fee}",
            highlight=False,
        )


@loan_app.command("payoff")
def loan_payoff(
    loan_id: str,
    on: Annotated[
        str | None, typer.Option("--on", help="YYYY-MM-DD: the day it would be paid (default: today).")
    ] = None,
) -> None:
    """What settles the loan on a day inside its period: the principal and what was earned to that day."""
    container = cli.open_container()  # looked up when called: tests hand it theirs
    q = container.lending.payoff_quote(loan_id, _date(on, "on"))
    out.print(
        f"{q.loan_id} paid off on {q.as_of}: {q.total} = principal {q.principal} + interest {q.interest}"
        f" + penalty {q.penalty} + fees {q.fees} + prepayment fee {q.prepayment_fee}",
        highlight=False,
    )


@loan_app.command("rebuild-answers")
def loan_rebuild_answers(
    batch: int = typer.Option(1000, min=1, help="loans a transaction"),
) -> None:
    """Store every loan's public answer (the read model: after an upgrade, or for the loans end-of-day billed)."""
    container = open_container()
    out.print(f"stored {container.lending.rebuild_answers(batch)} answers")
