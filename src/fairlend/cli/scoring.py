"""`fairlend score ...`: train, evaluate and explain scorecards; rebuild the shipped default model."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from fairlend.errors import Invalid
from fairlend.scoring.binning import BinningSettings, Direction
from fairlend.scoring.comprehensive import describe_model, train_default
from fairlend.scoring.dataset import read_csv, target_of, write_csv
from fairlend.scoring.evaluation import auc, calibration, ks
from fairlend.scoring.retrain import DEFAULT_HOLDOUT, retrain
from fairlend.scoring.retrain import DEFAULT_SEED as DEFAULT_SPLIT_SEED
from fairlend.scoring.scorecard import FeatureSpec, Scaling, Scorecard
from fairlend.scoring.synthetic import DEFAULT_ROWS, DEFAULT_SEED, generate
from fairlend.scoring.training import train

app = typer.Typer(help="Scorecards: train, evaluate, explain.", no_args_is_help=True)
out = Console()


def _load_model(path: Path) -> Scorecard:
    try:
        return Scorecard.from_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise Invalid("unreadable_model", f"cannot read {path}: {exc.strerror}") from None
    except (ValueError, KeyError) as exc:
        raise Invalid("bad_model_file", f"{path} is not a fairlend scorecard: {exc}") from None


def _pairs(values: list[str], option: str) -> dict[str, str]:
    pairs = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise Invalid("bad_option", f"{option} takes COLUMN=VALUE, got {item!r}")
        pairs[name] = value
    return pairs


@app.command("train")
def train_command(
    out_path: Annotated[Path, typer.Option("--out", help="Where to write the model JSON.")],
    data: Annotated[Path | None, typer.Option(help="CSV with a header row.")] = None,
    target: Annotated[str | None, typer.Option(help="The outcome column.")] = None,
    from_simulation: Annotated[
        bool, typer.Option("--from-simulation", help="Train on a simulated book's outcomes instead of a CSV.")
    ] = False,
    database: Annotated[str | None, typer.Option(help="With --from-simulation: the book's database URL.")] = None,
    seed: Annotated[int, typer.Option(help="With --from-simulation: the holdout split's seed.")] = DEFAULT_SPLIT_SEED,
    holdout: Annotated[float, typer.Option(help="With --from-simulation: the share held out.")] = DEFAULT_HOLDOUT,
    bad: Annotated[str, typer.Option(help="The target value that means bad.")] = "1",
    monotonic: Annotated[
        list[str] | None, typer.Option(help="COLUMN=increasing|decreasing|auto (points vs value); repeatable.")
    ] = None,
    categorical: Annotated[list[str] | None, typer.Option(help="Treat this column as categorical; repeatable.")] = None,
    special: Annotated[list[str] | None, typer.Option(help="COLUMN=VALUE: a special value with its own bin.")] = None,
    exclude: Annotated[list[str] | None, typer.Option(help="A column not to use; repeatable.")] = None,
    min_bin_share: float = 0.05,
    max_bins: int = 8,
    base_score: float = 600.0,
    base_odds: float = 50.0,
    pdo: float = 20.0,
    l2: float = 1e-3,
    min_iv: float = 0.02,
) -> None:
    """Bin, fit and scale a scorecard from a CSV, or retrain the comprehensive score on a simulated book."""
    if from_simulation:
        if data is not None or target is not None:
            raise Invalid("bad_option", "--from-simulation takes its data from the database: no --data or --target")
        _train_from_simulation(out_path, database, seed, holdout)
        return
    if data is None or target is None:
        raise Invalid("bad_option", "give --data and --target (a CSV), or --from-simulation")
    columns = read_csv(data, categorical or [])
    if target not in columns:
        raise Invalid("no_target", f"{data} has no column {target!r}")
    y = target_of(columns.pop(target), bad)
    directions = _pairs(monotonic or [], "--monotonic")
    specials = _pairs(special or [], "--special")
    unknown = (set(directions) | set(specials)) - set(columns)
    if unknown:
        raise Invalid("unknown_column", f"no such column: {', '.join(sorted(unknown))}")
    specs = []
    for name, col in columns.items():
        if name in set(exclude or []):
            continue
        if col.dtype == object:
            specs.append(FeatureSpec(name, kind="categorical"))
            continue
        try:
            direction = Direction(directions.get(name, "auto"))
        except ValueError:
            raise Invalid("bad_direction", f"--monotonic {name}: increasing, decreasing or auto") from None
        try:
            special_values = (float(specials[name]),) if name in specials else ()
        except ValueError:
            raise Invalid("bad_option", f"--special {name}: the value is a number, got {specials[name]!r}") from None
        specs.append(FeatureSpec(name, direction=direction, special_values=special_values))
    started = time.perf_counter()
    with out.status(f"training on {len(y)} rows, {len(specs)} features"):
        model = train(
            columns,
            y,
            specs,
            binning=BinningSettings(min_bin_share=min_bin_share, max_bins=max_bins),
            scaling=Scaling(base_score=base_score, base_odds=base_odds, pdo=pdo),
            l2=l2,
            min_iv=min_iv,
            metadata={"source": str(data.name), "target": target, "model_version": f"{data.stem}-v1"},
        )
    _write_model(model, out_path)
    scores = model.score_batch(columns)
    a = auc(scores, y)
    out.print(
        f"trained {sum(f.has_weight for f in model.features)}/{len(specs)} features in "
        f"{time.perf_counter() - started:.2f}s; training AUC {a:.4f}, Gini {2 * a - 1:.4f}; wrote {out_path}"
    )


def _write_model(model: Scorecard, out_path: Path) -> None:
    """Written whole or not at all: a model file is never left half-written."""
    partial = out_path.with_name(out_path.name + ".partial")
    try:
        partial.write_text(model.to_json() + "\n", encoding="utf-8")
        partial.replace(out_path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise Invalid("unwritable_model", f"cannot write {out_path}: {exc.strerror}") from None


def _train_from_simulation(out_path: Path, database: str | None, seed: int, holdout: float) -> None:
    from fairlend.bootstrap import bootstrap
    from fairlend.cli.simulate import settings_for
    from fairlend.scoring.comprehensive import load_default_model

    if not out_path.parent.is_dir():
        raise Invalid("unwritable_model", f"no such directory: {out_path.parent}")
    container = bootstrap(settings_for(database, None))
    try:
        book = container.analytics.training_set()
    finally:
        container.close()
    shipped = load_default_model()
    result = retrain(
        [r.features for r in book.rows],
        [r.bad for r in book.rows],
        shipped,
        version=f"comprehensive-simulated-{book.as_of.isoformat()}-{len(book.rows)}",
        seed=seed,
        holdout=holdout,
    )
    _write_model(result.model, out_path)
    out.print(
        f"{result.rows} loans booked from scored applications, {result.bads} bad by {book.as_of} "
        f"(>90 days past due or charged off); trained on {result.train_rows} ({result.train_bads} bad), "
        f"held out {result.holdout_rows} ({result.holdout_bads} bad), seed {seed}",
        highlight=False,
    )
    if result.left_out:
        out.print(f"left out, never drawn in this book: {', '.join(result.left_out)}", highlight=False)
    metrics = Table("on the holdout", "AUC", "KS", "Gini", title="retrained against shipped")
    for name, fit, card in (("retrained", result.retrained, result.model), ("shipped", result.shipped, shipped)):
        version = str(card.metadata.get("model_version", ""))
        metrics.add_row(f"{name} ({version})", f"{fit.auc:.4f}", f"{fit.ks:.4f}", f"{2 * fit.auc - 1:.4f}")
    out.print(metrics)
    for name, fit in (("retrained", result.retrained), ("shipped", result.shipped)):
        table = Table("score band", "loans", "observed bad rate", "predicted bad rate", title=f"calibration: {name}")
        for row in fit.calibration:
            table.add_row(row.band, str(row.count), f"{row.observed_bad_rate:.4f}", f"{row.predicted_bad_rate:.4f}")
        out.print(table)
    out.print(f"wrote {out_path} ({result.model.metadata['model_version']})", highlight=False)


@app.command("eval")
def eval_command(
    model: Annotated[Path, typer.Option(help="Model JSON.")],
    data: Annotated[Path, typer.Option(help="CSV with the model's columns and the target.")],
    target: Annotated[str | None, typer.Option(help="Outcome column (default: the model's).")] = None,
    bad: str = "1",
    groups: int = 10,
) -> None:
    """AUC, KS, Gini and a calibration table of a model on a data set."""
    card = _load_model(model)
    target = target or str(card.metadata.get("target", ""))
    categorical = [f.name for f in card.features if f.binning.kind == "categorical"]
    columns = read_csv(data, categorical)
    if target not in columns:
        raise Invalid("no_target", f"{data} has no column {target!r}; pass --target")
    missing = [f.name for f in card.features if f.name not in columns and f.has_weight]
    if missing:
        raise Invalid("missing_columns", f"{data} lacks: {', '.join(missing)}")
    y = target_of(columns.pop(target), bad)
    scores = card.score_batch(columns)
    a = auc(scores, y)
    out.print(f"rows {len(y)}  bad rate {y.mean():.4f}  AUC {a:.4f}  KS {ks(scores, y):.4f}  Gini {2 * a - 1:.4f}")
    table = Table("score band", "rows", "observed bad rate", "predicted bad rate")
    for row in calibration(scores, y, card.scaling, groups):
        table.add_row(row.band, str(row.count), f"{row.observed_bad_rate:.4f}", f"{row.predicted_bad_rate:.4f}")
    out.print(table)


@app.command("explain")
def explain_command(
    model: Annotated[Path | None, typer.Option(help="Model JSON (default: the shipped comprehensive score).")] = None,
    row: Annotated[str | None, typer.Option(help='One applicant as JSON: {"feature": value, ...}.')] = None,
) -> None:
    """A model's bins and points, or one applicant's score and reasons."""
    from fairlend.scoring.comprehensive import load_default_model

    card = _load_model(model) if model else load_default_model()
    if row is None:
        out.print(f"base points {card.base_points}; WoE = {card.metadata.get('woe_convention', '')}")
        for feature in describe_model(card):
            table = Table(title=f"{feature['feature']} ({feature['direction']}, IV {feature['iv']})")
            table.add_column("bin")
            table.add_column("points", justify="right")
            table.add_column("WoE", justify="right")
            for b in feature["bins"]:
                table.add_row(b["label"], str(b["points"]), f"{b['woe']:.4f}")
            out.print(table)
        return
    try:
        applicant: dict[str, Any] = json.loads(row)
    except json.JSONDecodeError as exc:
        raise Invalid("bad_row", f"--row is not JSON: {exc.msg}") from None
    if not isinstance(applicant, dict):
        raise Invalid("bad_row", "--row is a JSON object of feature values")
    out.print(f"score {card.score(applicant)}")
    for reason in card.reasons(applicant):
        out.print(
            f"  {reason.feature}: {reason.points} points, {reason.shortfall} below its best ({reason.best_points})"
        )


@app.command("synth")
def synth_command(
    out_path: Annotated[Path, typer.Option("--out", help="CSV to write.")],
    rows: int = DEFAULT_ROWS,
    seed: int = DEFAULT_SEED,
) -> None:
    """Write the documented synthetic training data (the default model's) as CSV."""
    columns, y = generate(rows, seed)
    write_csv(out_path, columns, y, "bad")
    out.print(f"wrote {rows} rows to {out_path}")


@app.command("train-default")
def train_default_command(
    out_path: Annotated[Path, typer.Option("--out", help="Where to write the model JSON.")],
    rows: int = DEFAULT_ROWS,
    seed: int = DEFAULT_SEED,
) -> None:
    """Rebuild the shipped comprehensive score from the synthetic generator."""
    model = train_default(rows, seed)
    out_path.write_text(model.to_json() + "\n", encoding="utf-8")
    out.print(f"wrote {out_path} ({model.metadata['model_version']})")
