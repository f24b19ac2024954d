"""Training data that is not what it should be: every bad file is one clear error, and no model is written.

Hypothesis builds CSV files from the shapes real files take and break in
(numbers, missing-value tokens, labels, quotes, commas, NUL bytes, infinities,
rows too short or too long, duplicate or empty column names, other encodings)
and runs `fairlend score train` on each. The command either trains and writes
the model, or stops with one domain error whose stable code is one of the
documented ones, naming the line where one applies, and leaves no model file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from fairlend.cli import app
from fairlend.errors import DomainError, Invalid
from fairlend.scoring.dataset import read_csv, target_of

runner = CliRunner()
CODES = {
    "csv_not_utf8",
    "malformed_csv",
    "ragged_csv",
    "empty_csv",
    "unnamed_column",
    "duplicate_column",
    "no_rows",
    "non_finite_value",
    "no_target",
    "target_missing",
    "target_label_unknown",
    "target_one_class",
    "no_features",
    "feature_no_values",
}

cells = st.one_of(
    st.integers(-1000, 1000).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
    st.sampled_from(["", "NA", "nan", "null", "None", "inf", "-inf", "1e999", "yes", "no", "a,b", 'say "hi"', "\x00"]),
    st.text(max_size=6),
)


@st.composite
def training_files(draw: st.DrawFn) -> tuple[bytes, int | None]:
    """A CSV (bytes) and the line of its first row of the wrong width, if one was made."""
    names = draw(st.lists(st.sampled_from(["age", "income", "grade", "", "bad", "age"]), min_size=1, max_size=4))
    if draw(st.booleans()):
        names = [*dict.fromkeys(n for n in names if n and n != "bad"), "bad"]
    rows, ragged_line = [], None
    for line in range(2, 2 + draw(st.integers(0, 12))):
        width = len(names) + (draw(st.sampled_from([0, 0, 0, 0, -1, 1])) if len(names) > 1 else 0)
        if width != len(names) and ragged_line is None:
            ragged_line = line
        row = [draw(cells) for _ in range(width - 1)] + [draw(st.sampled_from(["0", "1", "bad", "good", ""]))]
        rows.append(row)
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer).writerows([names, *rows])
    data = buffer.getvalue().encode(draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "gb18030", "utf-16"])))
    if draw(st.integers(0, 9)) == 0:
        data = draw(st.binary(max_size=60))
        ragged_line = None
    return data, ragged_line


@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(made=training_files())
def test_training_on_any_file_trains_or_refuses_with_a_stable_code_and_writes_nothing(
    tmp_path_factory: pytest.TempPathFactory, made: tuple[bytes, int | None]
) -> None:
    content, ragged_line = made
    folder = tmp_path_factory.mktemp("fuzz")
    data, model = folder / "train.csv", folder / "model.json"
    data.write_bytes(content)
    result = runner.invoke(app, ["score", "train", "--data", str(data), "--target", "bad", "--out", str(model)])
    if result.exit_code == 0:
        assert model.exists()
        return
    error = result.exception
    assert isinstance(error, DomainError), repr(error)  # never anything but a domain error
    assert error.code in CODES, error
    assert not model.exists() and not (folder / "model.json.partial").exists()
    if error.code == "ragged_csv":
        assert f"train.csv:{ragged_line}:" in error.detail


@pytest.mark.parametrize(
    ("content", "code", "where"),
    [
        (b"age,bad\n30,0\n\xff\xfe,1\n", "csv_not_utf8", "train.csv:3:"),
        (b"age,bad\n30,0\n31\n", "ragged_csv", "train.csv:3:"),
        (b'age,bad\n30,0\n"31,1\n', "ragged_csv", "train.csv:3:"),
        (b"age,bad\n" + b"9" * 200_000 + b",0\n", "malformed_csv", "train.csv:2:"),
        (b"age,age,bad\n1,2,0\n", "duplicate_column", "train.csv:1:"),
        (b"age,,bad\n1,2,0\n", "unnamed_column", "train.csv:1:"),
        (b"age,bad\n", "no_rows", "train.csv"),
        (b"", "empty_csv", "train.csv"),
        (b"age,bad\n30,0\ninf,1\n", "non_finite_value", "'inf' (row 2)"),
        (b"age,bad\n30,0\n1e999,1\n", "non_finite_value", "'1e999' (row 2)"),
    ],
)
def test_a_bad_file_names_its_fault_and_where(tmp_path: Path, content: bytes, code: str, where: str) -> None:
    path = tmp_path / "train.csv"
    path.write_bytes(content)
    with pytest.raises(Invalid) as refused:
        read_csv(path)
    assert refused.value.code == code and where in refused.value.detail


def test_a_byte_order_mark_and_crlf_line_ends_are_ordinary_csv(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_bytes(b"\xef\xbb\xbfage,bad\r\n30,0\r\n41,1\r\n")
    columns = read_csv(path)
    assert list(columns) == ["age", "bad"] and list(columns["age"]) == [30.0, 41.0]


@pytest.mark.parametrize(
    ("values", "bad", "code"),
    [
        (["0", "0"], "1", "target_one_class"),
        (["1", "1"], "1", "target_one_class"),
        (["0", "1"], "yes", "target_label_unknown"),
        (["0", "nan"], "1", "target_missing"),
        (["good", "good"], "bad", "target_one_class"),
    ],
)
def test_a_target_needs_both_outcomes_and_a_label_that_fits(
    tmp_path: Path, values: list[str], bad: str, code: str
) -> None:
    path = tmp_path / "train.csv"
    path.write_text("bad\n" + "\n".join(values) + "\n")
    with pytest.raises(Invalid) as refused:
        target_of(read_csv(path)["bad"], bad)
    assert refused.value.code == code


def test_a_refused_training_leaves_an_existing_model_untouched(tmp_path: Path) -> None:
    data, model = tmp_path / "train.csv", tmp_path / "model.json"
    model.write_text("the model from yesterday")
    data.write_bytes(b"age,bad\n30,0\n31,0\n")
    result = runner.invoke(app, ["score", "train", "--data", str(data), "--target", "bad", "--out", str(model)])
    assert getattr(result.exception, "code", None) == "target_one_class"
    assert model.read_text() == "the model from yesterday"
