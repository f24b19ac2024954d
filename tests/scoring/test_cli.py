from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from fairlend.cli import app
from fairlend.scoring.scorecard import Scorecard

runner = CliRunner()


def test_synth_train_eval_and_explain_round_trip(tmp_path: Path) -> None:
    data, model = tmp_path / "s.csv", tmp_path / "m.json"
    assert runner.invoke(app, ["score", "synth", "--out", str(data), "--rows", "3000"]).exit_code == 0
    trained = runner.invoke(
        app,
        ["score", "train", "--data", str(data), "--target", "bad", "--monotonic", "history_months=increasing",
         "--out", str(model)],
    )  # fmt: skip
    assert trained.exit_code == 0, trained.output
    card = Scorecard.from_json(model.read_text())
    history = card.feature("history_months")
    regular = list(history.points[: history.binning.regular_bins])
    assert regular == sorted(regular)
    assert card.metadata["rows"] == 3000 and card.metadata["target"] == "bad"
    evaluated = runner.invoke(app, ["score", "eval", "--model", str(model), "--data", str(data)])
    assert evaluated.exit_code == 0, evaluated.output
    assert "AUC" in evaluated.output and "KS" in evaluated.output and "Gini" in evaluated.output
    explained = runner.invoke(
        app, ["score", "explain", "--model", str(model), "--row", json.dumps({"hard_inquiries_3m": 5})]
    )
    assert explained.exit_code == 0 and "score " in explained.output


def test_explain_without_a_row_lists_the_shipped_model_bins() -> None:
    result = runner.invoke(app, ["score", "explain"])
    assert result.exit_code == 0 and "hard_inquiries_3m" in result.output and "points" in result.output


def test_a_bad_model_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    result = subprocess.run(
        [sys.executable, "-m", "fairlend.cli", "score", "explain", "--model", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: bad_model_file")
