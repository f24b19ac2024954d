"""`fairlend schedule` with every schedule setting: as options or from a product file."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fairlend.cli import app
from fairlend.lending.model import Product
from fairlend.lending.schedule import build_schedule
from tests.lending.conftest import BASE
from tests.lending.peer_cases import CASES

runner = CliRunner()
OPEN = ["--open-date", "2026-01-01", "--json"]


def _json(*args: str) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, ["schedule", *args, *OPEN])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def test_flat_interest_from_the_command_line_charges_the_original_principal() -> None:
    body = _json("--principal", "12000", "--rate", "0.12", "--term", "12", "--interest-method", "flat")
    assert {line["interest"] for line in body["schedule"]} == {"120.00"}
    assert (body["interest_method"], body["apr"], body["apr_cap"]) == ("flat", "0.2146", "0.24")


def test_grace_periods_semi_monthly_dates_and_a_chosen_first_due_date() -> None:
    body = _json(
        "--principal", "10000", "--rate", "0.12", "--term", "6", "--grace-principal", "2",
        "--frequency", "semimonth", "--day-count", "act/act", "--first-due", "2026-01-20",
    )  # fmt: skip
    dates = [line["due_date"] for line in body["schedule"]]
    assert dates[:4] == ["2026-01-20", "2026-02-04", "2026-02-20", "2026-03-07"]
    assert [line["principal"] for line in body["schedule"][:2]] == ["0.00", "0.00"]
    # The broken first period is 19 days on ACT/ACT: 10,000 x 12 % x 19/365 = 62.47.
    assert body["schedule"][0]["interest"] == "62.47"


def test_a_due_day_of_the_month_with_the_first_period_at_least_fifteen_days() -> None:
    body = _json(
        "--principal", "3000", "--rate", "0.12", "--term", "3", "--due-day", "10", "--first-period-min-days", "15",
        "--day-count", "act/365",
    )  # fmt: skip
    assert [line["due_date"] for line in body["schedule"]] == ["2026-02-10", "2026-03-10", "2026-04-10"]
    # The broken first period is 40 days on ACT/365: 3,000 x 12 % x 40/365 = 39.45.
    assert body["schedule"][0]["interest"] == "39.45"
    refused = runner.invoke(
        app, ["schedule", "--principal", "3000", "--rate", "0.12", "--term", "3", "--due-day", "29"]
    )
    assert refused.exit_code == 2 and "--due-day" in refused.output


def test_fifteen_day_periods_on_a_364_day_year_with_grace_on_interest() -> None:
    body = _json(
        "--principal", "4000", "--rate", "0.12", "--term", "4", "--frequency", "15_days",
        "--day-count", "act/364", "--grace-interest", "1",
    )  # fmt: skip
    dates = [line["due_date"] for line in body["schedule"]]
    assert dates == ["2026-01-16", "2026-01-31", "2026-02-15", "2026-03-02"]
    # 15 days of 4,000 at 12 % over 364: 19.78, collected with the second installment (grace on interest).
    first = Decimal(4000) * Decimal("0.12") * 15 / 364
    assert body["schedule"][0]["interest"] == "0.00"
    second_own = (Decimal(4000) - Decimal(body["schedule"][0]["principal"])) * Decimal("0.12") * 15 / 364
    expected = first.quantize(Decimal("0.01"), ROUND_HALF_UP) + second_own.quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert Decimal(body["schedule"][1]["interest"]) == expected


def test_a_fixed_installment_rounded_and_rebalanced_from_options() -> None:
    fixed = _json("--principal", "10000", "--rate", "0.12", "--installment", "1000")
    assert fixed["term"] == 11 and fixed["schedule"][-1]["total"] == "589.85"
    rebalanced = _json(
        "--principal", "10000", "--rate", "0.18", "--term", "12", "--round-to", "1", "--rounding", "down", "--rebalance"
    )  # fmt: skip
    assert rebalanced["installment"] == "917.00" and float(rebalanced["schedule"][-1]["total"]) <= 917


def test_a_product_file_gives_every_setting_and_options_override_it(tmp_path: Path) -> None:
    toml = tmp_path / "p.toml"
    toml.write_text(
        'code = "f"\nname = "file"\ncurrency = "CNY"\nmethod = "equal_installment"\nfrequency = "monthly"\n'
        'rate = "0.12"\nterm = 6\ninterest_free_periods = 2\nemi_method = "progressive"\n'
    )
    body = _json("--principal", "6000", "--product-file", str(toml))
    assert [line["interest"] for line in body["schedule"][:2]] == ["0.00", "0.00"]
    longer = _json("--principal", "6000", "--product-file", str(toml), "--term", "8", "--interest-free", "0")
    assert longer["term"] == 8 and longer["schedule"][0]["interest"] == "60.00"


def test_bad_settings_exit_2_with_one_line_naming_the_choices() -> None:
    for args, code in (
        (["--interest-method", "compound"], "invalid_option"),
        (["--grace-principal", "12"], "product_grace_invalid"),
        (["--frequency", "fortnightly"], "invalid_option"),
        (["--installment", "1"], "installment_too_small"),
        (["--recalculation", "weekly"], "invalid_option"),
        (["--interest-method", "flat", "--recalculation", "daily"], "product_recalculation_invalid"),
    ):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "fairlend.cli",
                "schedule",
                "--principal",
                "1000",
                "--rate",
                "0.12",
                "--term",
                "12",
                *args,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.strip().startswith(f"error: {code}") and len(done.stderr.strip().splitlines()) == 1
    assert "declining_balance, flat" in subprocess.run(
        [sys.executable, "-m", "fairlend.cli", "schedule", "--principal", "1", "--rate", "0", "--term", "1",
         "--interest-method", "x"],
        capture_output=True, text=True, check=False,
    ).stderr  # fmt: skip


def test_recalculation_is_an_option_that_leaves_the_schedule_and_is_shown_with_it() -> None:
    plain = _json("--principal", "10000", "--rate", "0.12", "--term", "6", "--day-count", "act/365")
    recalculated = _json(
        "--principal", "10000", "--rate", "0.12", "--term", "6", "--day-count", "act/365", "--recalculation", "compounding"
    )  # fmt: skip
    assert recalculated["interest_recalculation"] == "compounding" and plain["interest_recalculation"] == "none"
    assert recalculated["schedule"] == plain["schedule"]


def _fineract_rs(*args: str) -> list[tuple[str, str, str, str]]:
    """Fineract's RS loans (Loan.feature): 5,000 at 12 % over 18 months from 1 November 2022, whole units."""
    common = ["--principal", "5000", "--rate", "0.12", "--term", "18", "--round-to", "1"]
    result = runner.invoke(app, ["schedule", *common, *args, "--open-date", "2022-11-01", "--json"])
    assert result.exit_code == 0, result.output
    return [
        (ln["due_date"], ln["principal"], ln["interest"], ln["total"]) for ln in json.loads(result.output)["schedule"]
    ]


def test_fineract_s_flat_loan_rs01_is_booked_from_the_command_line_to_the_cent() -> None:
    lines = _fineract_rs("--interest-method", "flat")
    assert lines[0] == ("2022-12-01", "278.00", "50.00", "328.00")
    assert lines[-1] == ("2024-05-01", "274.00", "50.00", "324.00") and len(lines) == 18


def test_fineract_s_deferred_interest_loan_rs07_is_booked_from_the_command_line_to_the_cent() -> None:
    lines = _fineract_rs("--grace-principal", "6", "--grace-interest", "3")
    assert lines[0] == ("2023-03-01", "0.00", "200.00", "200.00")  # Fineract's three 0.00 rows joined
    assert lines[3] == ("2023-06-01", "394.00", "50.00", "444.00")
    assert lines[-1] == ("2024-05-01", "442.66", "4.43", "447.09")


@pytest.mark.parametrize("name", list(CASES))
def test_a_peers_loan_from_a_product_file_gives_the_engines_schedule_and_the_peers_first_line(
    name: str, tmp_path: Path
) -> None:
    fields, amount, opened, (principal, interest, total) = CASES[name]
    data = {**BASE.to_dict(), **fields, "code": name}
    data.pop("version")
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(data), "utf-8")
    result = runner.invoke(
        app,
        ["schedule", "--principal", amount, "--product-file", str(path), "--open-date", opened.isoformat(), "--json"],
    )
    assert result.exit_code == 0, result.output
    lines = [
        (int(Decimal(ln["principal"]) * 100), int(Decimal(ln["interest"]) * 100), int(Decimal(ln["total"]) * 100))
        for ln in json.loads(result.output)["schedule"]
    ]
    engine = build_schedule(Product.from_dict(data), int(Decimal(amount) * 100), opened).lines
    assert lines == [(ln.principal, ln.interest, ln.total) for ln in engine]
    assert lines[0][2] == total and (principal is None or lines[0][:2] == (principal, interest))
