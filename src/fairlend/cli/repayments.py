"""`fairlend repayments import FILE` and `fairlend repayments results FILE_ID`: repayment files."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer

from fairlend.cli import UsageError, open_container, out
from fairlend.lending.file_lines import LineResult, RepaymentFileView
from fairlend.money import Money

app = typer.Typer(help="Repayment files from a payment processor.", no_args_is_help=True)

RESULT_COLUMNS = (
    "line",
    "status",
    "code",
    "detail",
    "loan_reference",
    "amount",
    "currency",
    "value_date",
    "external_reference",
    "repayment_id",
)


@app.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(help="CSV with a header row, or JSON Lines; UTF-8.")],
    result: Annotated[
        Path | None, typer.Option("--result", help="Where to write every line's result (default: FILE.result.csv).")
    ] = None,
) -> None:
    """Apply a repayment file; the same file again (by content) changes nothing.

    Writes every line's result (applied, duplicate, or refused with a code) as CSV.
    """
    if not path.is_file():
        raise UsageError("file_not_found", f"no file {path}")
    container = open_container()
    with path.open("rb") as stream:
        view = container.lending.files.import_file(stream, name=path.name, imported_by="cli")
    written = _write(container.lending.files.results(view.file_id), result or _default(path))
    _summary(view, written)


@app.command("results")
def results(
    file_id: str,
    result: Annotated[Path, typer.Option("--result", help="Where to write every line's result as CSV.")],
) -> None:
    """Write an imported file's per-line results again."""
    container = open_container()
    view = container.lending.files.get(file_id)
    _summary(view, _write(container.lending.files.results(view.file_id), result))


def _default(path: Path) -> Path:
    return path.with_name(path.name + ".result.csv")


def _write(rows: Iterable[LineResult], target: Path) -> Path:
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(RESULT_COLUMNS)
        for r in rows:
            writer.writerow(
                [
                    r.line,
                    r.status.value,
                    r.code,
                    r.detail,
                    r.loan_id,
                    str(Money(r.amount_minor, r.currency).to_decimal()) if r.currency else "",
                    r.currency,
                    r.value_date.isoformat() if r.value_date else "",
                    r.external_reference,
                    r.repayment_id,
                ]
            )
    return target


def _summary(view: RepaymentFileView, written: Path) -> None:
    totals = ", ".join(f"{Money(minor, cur)}" for cur, minor in sorted(view.totals.items())) or "nothing"
    if view.already_imported:
        out.print(
            f"{view.name} was imported before as {view.file_id} on {view.business_date}: nothing changed",
            highlight=False,
            markup=False,
        )
    out.print(
        f"{view.file_id}: {view.lines:,} lines, {view.applied:,} applied ({totals}), "
        f"{view.duplicates:,} duplicates, {view.refused:,} refused; results in {written}",
        highlight=False,
        markup=False,
    )
