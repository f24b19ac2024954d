"""`fairlend loan modify ...`: hardship requests for operators (queue, show, preview, propose, approve, reject, decline).

Thin: each command parses its options and calls `container.hardship`
(hardship/service.py, plans.py). Amounts are major units in the loan's
currency ("1200.50"); rates are yearly fractions ("0.12"). A command that
acts names its operator (`--operator op_…` or FAIRLEND_OPERATOR), who must be
an active underwriter, collector or admin, the roles the API lets propose and
approve; the service refuses a maker approving their own proposal
(`approver_is_proposer`). Every refusal is one line with its stable code and
exit status 2, and nothing is written.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fairlend.api.auth import HARDSHIP_OFFICERS
from fairlend.bootstrap import Container
from fairlend.hardship.model import DeclineReason, Kind, Outcome, Terms
from fairlend.hardship.views import ProposalView
from fairlend.identity.model import Operator
from fairlend.lending.model import Method
from fairlend.money import Money

app = typer.Typer(help="Hardship plans: the request queue, proposals, maker-checker, declines.", no_args_is_help=True)

KINDS = ", ".join(k.value for k in Kind)
REASONS = ", ".join(r.value for r in DeclineReason)

OperatorOpt = Annotated[
    str,
    typer.Option(
        "--operator", envvar="FAIRLEND_OPERATOR", help="Who acts (op_…; or FAIRLEND_OPERATOR): an active officer."
    ),
]
KindOpt = Annotated[str, typer.Option("--kind", help=f"One of: {KINDS}.")]
PeriodsOpt = Annotated[int, typer.Option(min=0, max=600, help="Holiday, extension, reduced or grace periods.")]
ExtraOpt = Annotated[int, typer.Option("--extra-periods", min=0, max=600, help="Reduced installments: periods after.")]
MethodOpt = Annotated[str | None, typer.Option(help="Term extension: equal-installment or equal-principal.")]
InstallmentOpt = Annotated[str | None, typer.Option(help="Reduced installments: the reduced amount.")]
AmountOpt = Annotated[str | None, typer.Option(help="Discounted settlement: the lump sum.")]
PayByOpt = Annotated[str | None, typer.Option("--pay-by", help="Discounted settlement: YYYY-MM-DD.")]
FirstDueOpt = Annotated[str | None, typer.Option("--first-due", help="Operator reschedule: the new first due date.")]
RateOpt = Annotated[str | None, typer.Option(help="Operator reschedule: the new yearly rate, e.g. 0.12.")]
WaiveInterestOpt = Annotated[str | None, typer.Option("--waive-interest", help="Interest charged, waived.")]
WaiveFeesOpt = Annotated[str | None, typer.Option("--waive-fees", help="Fees charged, waived.")]
WaivePenaltyOpt = Annotated[str | None, typer.Option("--waive-penalty", help="Penalty charged, waived.")]


def _open() -> Container:
    from fairlend.cli import open_container

    return open_container()


def _usage(code: str, detail: str) -> Exception:
    from fairlend.cli import UsageError

    return UsageError(code, detail)


def _officer(container: Container, operator_id: str) -> Operator:
    """The operator must exist, be active and hold a role that may propose and approve plans."""
    if not operator_id:
        raise _usage("operator_required", "--operator: name the operator who acts (or set FAIRLEND_OPERATOR)")
    who = container.identity.accounts.operator(operator_id)
    if not who.active or who.role not in HARDSHIP_OFFICERS:
        raise _usage("operator_not_allowed", f"{operator_id} may not act on hardship requests")
    return who


def _date(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _usage("invalid_date", f"--{name}: {value!r} is not YYYY-MM-DD") from None


def _minor(value: str | None, currency: str) -> int:
    return Money.parse(value, currency).minor if value is not None else 0


def _terms(
    currency: str,
    kind: str,
    periods: int,
    extra_periods: int,
    method: str | None,
    installment: str | None,
    amount: str | None,
    pay_by: str | None,
    first_due: str | None,
    rate: str | None,
    waive: tuple[str | None, str | None, str | None],
) -> Terms:
    try:
        chosen = Kind(kind.replace("-", "_"))
    except ValueError:
        raise _usage("invalid_kind", f"--kind: {kind!r} is not one of {KINDS}") from None
    try:
        chosen_method = Method(method.replace("-", "_")) if method else None
    except ValueError:
        raise _usage("invalid_method", f"--method: {method!r} is not a method") from None
    try:
        chosen_rate = Decimal(rate) if rate is not None else None
    except InvalidOperation:
        raise _usage("invalid_number", f"--rate: {rate!r} is not a number") from None
    if chosen_rate is not None and not (chosen_rate.is_finite() and 0 <= chosen_rate <= 10):
        raise _usage("invalid_number", f"--rate: {rate!r} is not a yearly rate such as 0.12")
    return Terms(
        kind=chosen,
        periods=periods,
        extra_periods=extra_periods,
        method=chosen_method,
        installment=_minor(installment, currency),
        amount=_minor(amount, currency),
        pay_by=_date(pay_by, "pay-by"),
        first_due=_date(first_due, "first-due"),
        rate=chosen_rate,
        waive_interest=_minor(waive[0], currency),
        waive_fees=_minor(waive[1], currency),
        waive_penalty=_minor(waive[2], currency),
    )


def _money(minor: int, currency: str) -> str:
    return str(Money(minor, currency))


def _print_outcome(outcome: Outcome, currency: str) -> None:
    from fairlend.cli import out

    table = Table("#", "due", "principal", "interest", "arrears", "total", title=f"{outcome.terms.kind.value}")
    for i, line in enumerate(outcome.installments, 1):
        arrears = line.arrears_principal + line.arrears_interest + line.arrears_fee
        table.add_row(
            str(i), line.due.isoformat(), _money(line.principal, currency), _money(line.interest, currency),
            _money(arrears, currency), _money(line.total, currency),
        )  # fmt: skip
    out.print(table)
    c = outcome.concessions
    out.print(
        f"owed {_money(outcome.owed, currency)}, payable {_money(outcome.total_payable, currency)}, "
        f"new interest {_money(outcome.new_interest, currency)}, rate {outcome.rate}, APR {outcome.apr * 100:.2f}%",
        highlight=False,
        markup=False,
    )
    out.print(
        f"concessions {_money(c.total, currency)} (interest {_money(c.interest, currency)}, fees "
        f"{_money(c.fees, currency)}, penalty {_money(c.penalty, currency)}, principal {_money(c.principal, currency)},"
        f" interest forgone {_money(c.interest_forgone, currency)})",
        highlight=False,
        markup=False,
    )
    for p in outcome.problems:
        out.print(f"problem {p.code}{f' ({p.rule})' if p.rule else ''}: {p.detail}", highlight=False, markup=False)


def _print_proposal(view: ProposalView, currency: str) -> None:
    from fairlend.cli import out

    state = view.status.value + (f", approved by {view.approved_by}" if view.approved_by else "")
    until = f", may be accepted until {view.expires_on}" if view.expires_on else ""
    out.print(
        f"{view.proposal_id} {view.outcome.terms.kind.value}: {state}, proposed by {view.proposed_by}{until}",
        highlight=False,
        markup=False,
    )
    _print_outcome(view.outcome, currency)


@app.command("queue")
def queue(limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many.")] = 50) -> None:
    """Open requests, the nearest answer deadline first (a missed one shows days left below 0)."""
    from fairlend.cli import out

    items = _open().hardship.queue(limit=limit)
    table = Table("request", "loan", "borrower", "kind", "reason", "status", "answer due", "days left", "approval")
    for q in items:
        table.add_row(
            q.request_id, q.loan_id, q.borrower_id, q.kind.value, q.reason.value, q.status.value,
            q.answer_due.isoformat(), str(q.days_left), "waiting" if q.awaiting_approval else "",
        )  # fmt: skip
    out.print(table)
    out.print(f"{len(items)} open requests")


@app.command("show")
def show(request_id: Annotated[str, typer.Argument(help="A request (hrq_…).")]) -> None:
    """A request: its clock, statement, evidence files (not their content) and every proposal's numbers."""
    from fairlend.cli import out

    r = _open().hardship.request(request_id)
    statement = (
        f"income {_money(r.income, r.currency)}, expenses {_money(r.expenses, r.currency)}"
        if r.income is not None and r.expenses is not None
        else "no statement"
    )
    out.print(
        f"{r.request_id} loan {r.loan_id} borrower {r.borrower_id}: {r.kind.value} for {r.reason.value}, {r.status.value};"
        f" requested {r.requested_on}, answer due {r.answer_due} ({r.days_left} days left), answered {r.answered_on or '-'}",
        highlight=False,
        markup=False,
    )
    out.print(statement, highlight=False, markup=False)
    if r.decline_reasons:
        out.print(f"declined: {', '.join(r.decline_reasons)}", highlight=False, markup=False)
    for e in r.evidence:
        out.print(f"evidence {e.evidence_id}: {e.content_type}, {e.size:,} bytes", highlight=False, markup=False)
    for p in r.proposals:
        _print_proposal(p, r.currency)


@app.command("preview")
def preview(
    loan_id: Annotated[str, typer.Argument(help="A loan (loan_…).")],
    kind: KindOpt,
    periods: PeriodsOpt = 0,
    extra_periods: ExtraOpt = 0,
    method: MethodOpt = None,
    installment: InstallmentOpt = None,
    amount: AmountOpt = None,
    pay_by: PayByOpt = None,
    first_due: FirstDueOpt = None,
    rate: RateOpt = None,
    waive_interest: WaiveInterestOpt = None,
    waive_fees: WaiveFeesOpt = None,
    waive_penalty: WaivePenaltyOpt = None,
) -> None:
    """What terms would come to on a loan today: schedule, cost, APR, concessions, problems. Writes nothing."""
    container = _open()
    currency = container.lending.loan_facts(loan_id).currency
    terms = _terms(
        currency, kind, periods, extra_periods, method, installment, amount, pay_by, first_due, rate,
        (waive_interest, waive_fees, waive_penalty),
    )  # fmt: skip
    _print_outcome(container.hardship.preview(loan_id, terms), currency)


@app.command("propose")
def propose(
    request_id: Annotated[str, typer.Argument(help="An open request (hrq_…).")],
    operator: OperatorOpt,
    kind: KindOpt,
    periods: PeriodsOpt = 0,
    extra_periods: ExtraOpt = 0,
    method: MethodOpt = None,
    installment: InstallmentOpt = None,
    amount: AmountOpt = None,
    pay_by: PayByOpt = None,
    first_due: FirstDueOpt = None,
    rate: RateOpt = None,
    waive_interest: WaiveInterestOpt = None,
    waive_fees: WaiveFeesOpt = None,
    waive_penalty: WaivePenaltyOpt = None,
) -> None:
    """Propose terms (the maker): offered at once, or waiting for a second operator above the threshold."""
    container = _open()
    maker = _officer(container, operator).operator_id
    currency = container.hardship.request(request_id).currency
    terms = _terms(
        currency, kind, periods, extra_periods, method, installment, amount, pay_by, first_due, rate,
        (waive_interest, waive_fees, waive_penalty),
    )  # fmt: skip
    _print_proposal(container.hardship.propose(request_id, terms, maker), currency)


@app.command("approve")
def approve(proposal_id: Annotated[str, typer.Argument(help="A proposal (hpr_…).")], operator: OperatorOpt) -> None:
    """The checker approves another operator's proposal: it goes to the borrower."""
    from fairlend.cli import out

    container = _open()
    view = container.hardship.approve(proposal_id, _officer(container, operator).operator_id)
    out.print(f"{view.proposal_id} {view.status.value}; offered until {view.expires_on}", highlight=False)


@app.command("reject")
def reject(proposal_id: Annotated[str, typer.Argument(help="A proposal (hpr_…).")], operator: OperatorOpt) -> None:
    """The checker refuses another operator's proposal: the request waits for another answer."""
    from fairlend.cli import out

    container = _open()
    view = container.hardship.reject(proposal_id, _officer(container, operator).operator_id)
    out.print(f"{view.proposal_id} {view.status.value}", highlight=False)


@app.command("decline")
def decline(
    request_id: Annotated[str, typer.Argument(help="An open request (hrq_…).")],
    operator: OperatorOpt,
    reason: Annotated[list[str], typer.Option("--reason", help=f"Repeatable; one of: {REASONS}.")],
) -> None:
    """Answer no, with at least one reason code the borrower sees explained."""
    from fairlend.cli import out

    try:
        reasons = [DeclineReason(r) for r in reason]
    except ValueError:
        raise _usage("invalid_decline_reason", f"--reason: use {REASONS}") from None
    container = _open()
    view = container.hardship.decline(request_id, _officer(container, operator).operator_id, reasons)
    out.print(f"{view.request_id} {view.status.value}: {', '.join(view.decline_reasons)}", highlight=False)


@app.command("deadlines")
def deadlines() -> None:
    """Requests answered after the profile's deadline, or not at all and past it (for compliance)."""
    from fairlend.cli import out

    flags = _open().hardship.missed_deadlines()
    table = Table("rule", "check", "request", "loan", "answer due", "days late", "detail")
    for f in flags:
        table.add_row(
            f.rule, f.check, f.request_id, f.loan_id, f.answer_due.isoformat(), str(f.days_late), f.detail
        )  # fmt: skip
    out.print(table)
    out.print(f"{len(flags)} missed answer deadlines")


@app.command("evidence")
def evidence(
    evidence_id: Annotated[str, typer.Argument(help="An evidence file (hev_…).")],
    operator: OperatorOpt,
    out_file: Annotated[Path, typer.Option("--out", help="Where to write the file.")],
) -> None:
    """Write one evidence file; the reading is in the personal-data audit log (who, whose, which, when)."""
    from fairlend.cli import out

    container = _open()
    who = _officer(container, operator)
    opened = container.hardship.evidence.read(evidence_id, actor_id=who.operator_id, actor_role=who.role.value)
    out_file.write_bytes(opened.content)
    out.print(f"wrote {out_file} ({opened.view.content_type}, {opened.view.size} bytes)", highlight=False)
