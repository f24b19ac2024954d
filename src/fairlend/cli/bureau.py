"""`fairlend bureau ...`: the credit bureau's back office on the command line.

Everything goes through `fairlend.bureau.client` (the bureau is another
institution): register institutions, submit reporting files, print a
person's report (or write it as a PDF or HTML page), run the daily retention
and dispute-deadline job.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fairlend.bureau.client import BureauAdmin, CreditReport, ack_file, render_html, render_pdf
from fairlend.cli import UsageError, open_container, out
from fairlend.events import to_json_value

app = typer.Typer(help="The credit bureau: institutions, reporting files, reports, retention.", no_args_is_help=True)
institution_app = typer.Typer(help="Reporting institutions.", no_args_is_help=True)
app.add_typer(institution_app, name="institution")
metro2_app = typer.Typer(help="Metro 2 files (docs/metro2.md).", no_args_is_help=True)
app.add_typer(metro2_app, name="metro2")


def _bureau() -> BureauAdmin:
    container = open_container()
    if container.bureau is None:  # pragma: no cover - bootstrap always wires it
        raise UsageError("bureau_not_wired", "the bureau is not available in this deployment")
    return container.bureau


@institution_app.command("add")
def add_institution(name: Annotated[str, typer.Argument(help="The institution's name.")]) -> None:
    """Register a reporting institution and print its API key (shown once; the bureau keeps only its hash)."""
    credentials = _bureau().register_institution(name)
    out.print(f"institution {credentials.institution_id} ({credentials.name})")
    out.print(f"api key: {credentials.api_key}", markup=False, highlight=False)


@app.command()
def submit(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A JSON Lines reporting file.")],
    api_key: Annotated[
        str | None, typer.Option(help="The institution's API key (default: $FAIRLEND_BUREAU_API_KEY).")
    ] = None,
    ack: Annotated[Path | None, typer.Option(help="Write the acknowledgement file here.")] = None,
) -> None:
    """Submit a reporting file; print the acknowledgement (and write it with --ack)."""
    key = api_key or os.environ.get("FAIRLEND_BUREAU_API_KEY", "")
    if not key:
        raise UsageError("api_key_required", "pass --api-key or set FAIRLEND_BUREAU_API_KEY")
    client = _bureau().client_with_key(key)
    result = client.submit_file(file.read_bytes())
    text = ack_file(result)
    if ack is not None:
        ack.write_text(text + "\n", encoding="utf-8")
    replay = " (the same file was applied before; nothing changed)" if result.replayed else ""
    out.print(
        f"{result.lines} lines: {result.applied} applied, {result.duplicates} duplicates, "
        f"{len(result.rejected)} rejected{replay}"
    )
    for outcome in result.rejected:
        out.print(f"  line {outcome.line} {outcome.record_id}: {outcome.code}: {outcome.reason}", markup=False)
    for outcome in result.warnings:
        out.print(f"  warning line {outcome.line}: {outcome.code}: {outcome.reason}", markup=False)


def _print_report(report: CreditReport) -> None:
    out.print(f"credit report {report.report_id} ({report.profile}) on {report.generated_on}")
    out.print(f"{report.name_masked}  {report.id_number_masked}", markup=False)
    s = report.summary
    balances = ", ".join(f"{m.minor} {m.currency}" for m in s.total_balance) or "0"
    out.print(
        f"accounts {s.accounts} ({s.open_accounts} open), balance {balances} (minor units), "
        f"worst in 24 months {s.worst_status_24m or '-'}, months since last delinquency "
        f"{'-' if s.months_since_last_delinquency is None else s.months_since_last_delinquency}"
    )
    table = Table("institution", "account", "state", "status", "grid (newest first)", "removal of negatives")
    for a in report.accounts:
        removals = ", ".join(str(n.removal_on or "ongoing") for n in a.negative_records) or "-"
        mark = " [disputed]" if a.open_disputes else ""
        table.add_row(
            a.institution_name,
            a.account_ref + mark,
            a.state.value,
            a.account_status,
            "".join(code or " " for code in a.grid[:24]),
            removals,
        )
    out.print(table)
    out.print(f"inquiries: {len(report.inquiries)}; disputes: {len(report.disputes)}")


@app.command()
def report(
    id_number: Annotated[str, typer.Option("--id-number", help="The person's ID number.")],
    pdf: Annotated[Path | None, typer.Option(help="Write the report as a PDF here.")] = None,
    html: Annotated[Path | None, typer.Option(help="Write the report as an HTML page here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """A person's own report at the bureau's counter (a self-query: free twice a year, CN-13)."""
    result = _bureau().counter_report(id_number)
    if pdf is not None:
        pdf.write_bytes(render_pdf(result))
    if html is not None:
        html.write_text(render_html(result), encoding="utf-8")
    if as_json:
        out.print_json(json.dumps(to_json_value(result), ensure_ascii=False))
        return
    _print_report(result)


@app.command()
def retention(
    on: Annotated[str | None, typer.Option(help="Business date to run for (default: today's business date).")] = None,
) -> None:
    """The daily job: remove negative records past retention (CN-12, CR-6) and suppress lapsed disputes."""
    try:
        day = date.fromisoformat(on) if on else None
    except ValueError:
        raise UsageError("invalid_date", f"--on must be a date like 2026-03-02, got {on!r}") from None
    run = _bureau().run_daily(day)
    for removed in run.removed:
        out.print(
            f"removed {removed.months_removed} month(s) of negative record on {removed.account_id} "
            f"(overdue {removed.started_on}..{removed.ended_on or '-'}, due for removal {removed.removal_on})"
        )
    for dispute_id in run.suppressed_disputes:
        out.print(f"dispute {dispute_id} unanswered past its deadline: record suppressed")
    out.print(f"retention: {len(run.removed)} removed; disputes lapsed: {len(run.suppressed_disputes)}")


@app.command("rotate-keys")
def rotate_keys() -> None:
    """Re-seal stored reporting files, disputes and notices under the bureau's current key.

    The bureau's keys derive from FAIRLEND_PII_KEYS (the first one seals), so `fairlend users
    rotate-pii-keys` runs this too; it also seals rows stored in clear before the bureau sealed them.
    """
    rewritten = _bureau().rotate_keys()
    out.print(f"re-sealed {rewritten} bureau rows under the current key")


@app.command("merge-files")
def merge_files() -> None:
    """Merge the credit files one person got under an ID number written with and without dashes.

    The bureau keys files by the ID number without blanks or dashes; files keyed before it did are
    found through the stored reporting files (opened with the bureau's key) and merged. Run once after
    upgrading; running it again changes nothing.
    """
    changed = _bureau().merge_duplicate_files()
    out.print(f"re-keyed or merged {changed} credit files")


@metro2_app.command("export")
def metro2_export(
    on: Annotated[str, typer.Option("--date", help="The business date the file reports (its activity date).")],
    out_file: Annotated[Path, typer.Option("--out", dir_okay=False, help="Write the Metro 2 file here.")],
) -> None:
    """fairlend's Metro 2 file for a business date: a base segment per account its reporting file names."""
    try:
        day = date.fromisoformat(on)
    except ValueError:
        raise UsageError("invalid_date", f"--date must be a date like 2026-03-02, got {on!r}") from None
    container = open_container()
    if day > container.clock.business_date():
        raise UsageError("future_date", f"--date {day} is after the business date {container.clock.business_date()}")
    content = container.metro2.build(day)
    out_file.write_bytes(content)
    segments = content.count(b"\n") - 2  # every line but the header and the trailer
    out.print(f"metro2: {segments} base segment(s) for {day} written to {out_file}")
