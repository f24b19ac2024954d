"""`fairlend report --out report.html [--pdf] --from D --to D [--grade A] [--lang zh-CN]`: the portfolio report.

One self-contained HTML file (web/report.py); with `--pdf`, also a PDF printed
from it by the machine's Chromium in headless mode, offline (the file needs
nothing from a network). Without a Chromium the command says so and exits 2,
having written nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from fairlend.analytics.model import Filter
from fairlend.cli import UsageError, open_container, out
from fairlend.web import i18n
from fairlend.web.analytics import default_range
from fairlend.web.report import render_report

app: typer.Typer = typer.Typer()
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PDF_TIMEOUT_SECONDS = 120


def find_browser() -> str | None:
    """FAIRLEND_CHROMIUM, else the first Chromium on PATH."""
    named = os.environ.get("FAIRLEND_CHROMIUM", "")
    if named:
        return named if Path(named).is_file() else None
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError("report_date_invalid", f"{option} must be a date, YYYY-MM-DD") from None


def print_pdf(browser: str, html: Path, pdf: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="fairlend-pdf-") as profile:
        try:
            done = subprocess.run(  # a fixed argument list, no shell
            [
                browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                f"--user-data-dir={profile}", "--virtual-time-budget=10000",
                f"--print-to-pdf={pdf}", html.resolve().as_uri(),
            ],
            capture_output=True, timeout=PDF_TIMEOUT_SECONDS, check=False,
        )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise UsageError("report_pdf_failed", "Chromium did not finish printing the PDF in time") from None
    if done.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        raise UsageError("report_pdf_failed", f"Chromium could not print the PDF (exit {done.returncode})")


@app.command("report")
def report(
    out_path: Annotated[Path, typer.Option("--out", help="The HTML file to write.")],
    since: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD (default: a year ago).")] = None,
    until: Annotated[
        str | None, typer.Option("--to", help="Last day, YYYY-MM-DD (default: the business date).")
    ] = None,
    grade: Annotated[str | None, typer.Option("--grade", help="One grade letter, A to G.")] = None,
    lang: Annotated[str, typer.Option("--lang", help="en or zh-CN.")] = "",
    pdf: Annotated[bool, typer.Option("--pdf", help="Also print a PDF beside the HTML (needs Chromium).")] = False,
) -> None:
    """Write the portfolio report (charts and tables for a date range) as one self-contained HTML file."""
    locale = i18n.normalise(lang) if lang else None
    if lang and locale is None:
        raise UsageError("report_lang_invalid", "--lang is en or zh-CN")
    browser = find_browser() if pdf else None
    if pdf and browser is None:
        raise UsageError("report_pdf_unavailable", "--pdf needs Chromium (chromium on PATH or FAIRLEND_CHROMIUM)")
    if not out_path.parent.is_dir():
        raise UsageError("report_out_invalid", f"no such directory: {out_path.parent}")
    container = open_container()
    start, end = default_range(container.clock.business_date())
    flt = Filter(_day(since, "--from") or start, _day(until, "--to") or end, grade.upper() if grade else None)
    locale = locale or i18n.normalise(container.profile.locale) or i18n.DEFAULT
    html = render_report(container.analytics.portfolio(flt), locale, container.clock.now())
    # Written beside the target and moved into place: a failure leaves no half-written report.
    partial = out_path.with_name(out_path.name + ".partial")
    partial.write_text(html, encoding="utf-8")
    if browser is not None:
        pdf_path = out_path.with_suffix(".pdf")
        try:
            print_pdf(browser, partial, pdf_path.with_name(pdf_path.name + ".partial"))
        except UsageError:
            partial.unlink(missing_ok=True)
            pdf_path.with_name(pdf_path.name + ".partial").unlink(missing_ok=True)
            raise
        pdf_path.with_name(pdf_path.name + ".partial").replace(pdf_path)
        out.print(f"wrote {pdf_path}", highlight=False)
    partial.replace(out_path)
    out.print(f"wrote {out_path} ({flt.start} to {flt.end})", highlight=False)
