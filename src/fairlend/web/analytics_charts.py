"""The portfolio's charts and tables (analytics.model.Portfolio -> web.charts.Chart), for the console and the report.

One builder for both, so the operator's page and `fairlend report`'s file show
the same figures. Every label is from the catalogs (`analytics.*`, `bucket.*`)
and every rule id is shown with its name in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable

from fairlend.analytics.model import CHARGED_OFF, SETTLED, Portfolio
from fairlend.collections.rule_texts import rule_text
from fairlend.web.charts import Chart, Numbers, Series, Table, major, pivot, ratio
from fairlend.web.i18n import Translator

DEADLINE_STATES = ("on_time", "late", "open_in_time", "open_overdue")


def portfolio_charts(p: Portfolio, t: Translator) -> list[Chart]:
    n = Numbers(t.locale)

    def grade_name(grade: str) -> str:
        return t("analytics.grade_letter", grade=grade) if grade else t("analytics.ungraded")

    def status_name(status: str) -> str:
        return (
            t("analytics.status." + status)
            if status in (SETTLED, CHARGED_OFF)
            else t.message("bucket." + status, status)
        )

    builders: list[Callable[[], Chart]] = [
        lambda: _originations(p, t, n, grade_name),
        lambda: _balances(p, t, n, grade_name),
        lambda: _buckets(p, t, n, status_name),
        lambda: _rolls(p, t, n, status_name),
        lambda: _vintages(p, t, n),
        lambda: _losses(p, t, n, grade_name),
        lambda: _nar(p, t, n),
        lambda: _blocked(p, t, n),
        lambda: _deadlines(p, t, n),
        lambda: _calibration(p, t, n, grade_name),
    ]
    return [build() for build in builders]


def _months(p: Portfolio) -> tuple[str, ...]:
    return tuple(sorted({g.month for g in p.grade_months} | {b.month for b in p.bucket_months}))


def _originations(p: Portfolio, t: Translator, n: Numbers, grade_name: Callable[[str], str]) -> Chart:
    xs = _months(p)
    grades = sorted({g.grade for g in p.grade_months})
    made = [g for g in p.grade_months if g.originated]
    data = pivot(((g.month, g.grade, major(g.originated_minor, p.currency)) for g in made), xs, grades)
    return Chart(
        "originations",
        t("analytics.originations"),
        "bar",
        xs,
        tuple(Series(grade_name(g), data[g], stack="grade") for g in grades),
        Table(
            (t("analytics.month"), t("analytics.grade"), t("analytics.loans"), t("analytics.amount")),
            tuple(
                (g.month, grade_name(g.grade), n.count(g.originated), n.money(g.originated_minor, p.currency))
                for g in made
            ),
            empty=t("analytics.none"),
        ),
        lead=t("analytics.originations_lead"),
    )


def _balances(p: Portfolio, t: Translator, n: Numbers, grade_name: Callable[[str], str]) -> Chart:
    xs = _months(p)
    grades = sorted({g.grade for g in p.grade_months})
    held = [g for g in p.grade_months if g.outstanding_minor]
    data = pivot(((g.month, g.grade, major(g.outstanding_minor, p.currency)) for g in held), xs, grades)
    return Chart(
        "balances",
        t("analytics.balances"),
        "bar",
        xs,
        tuple(Series(grade_name(g), data[g], stack="grade") for g in grades),
        Table(
            (t("analytics.month"), t("analytics.grade"), t("analytics.outstanding")),
            tuple((g.month, grade_name(g.grade), n.money(g.outstanding_minor, p.currency)) for g in held),
            empty=t("analytics.none"),
        ),
        lead=t("analytics.balances_lead"),
    )


def _buckets(p: Portfolio, t: Translator, n: Numbers, status_name: Callable[[str], str]) -> Chart:
    xs = tuple(sorted({b.month for b in p.bucket_months}))
    data = pivot(((b.month, b.bucket, float(b.loans)) for b in p.bucket_months), xs, p.buckets)
    return Chart(
        "buckets",
        t("analytics.buckets"),
        "bar",
        xs,
        tuple(Series(status_name(b), data[b], stack="bucket") for b in p.buckets),
        Table(
            (t("analytics.month"), t("analytics.bucket"), t("analytics.loans")),
            tuple((b.month, status_name(b.bucket), n.count(b.loans)) for b in p.bucket_months),
            empty=t("analytics.none"),
        ),
        lead=t("analytics.buckets_lead"),
    )


def _rolls(p: Portfolio, t: Translator, n: Numbers, status_name: Callable[[str], str]) -> Chart:
    froms = tuple(b for b in p.buckets if any(r.from_bucket == b for r in p.roll_rates))
    tos = tuple(dict.fromkeys(r.to_bucket for r in p.roll_rates))
    data = pivot(((r.from_bucket, r.to_bucket, ratio(r.share)) for r in p.roll_rates), froms, tos)
    return Chart(
        "rolls",
        t("analytics.rolls"),
        "bar",
        tuple(status_name(f) for f in froms),
        tuple(Series(status_name(to), data[to], stack="to") for to in tos),
        Table(
            (t("analytics.from"), t("analytics.to"), t("analytics.loans"), t("analytics.of"), t("analytics.share")),
            tuple(
                (
                    status_name(r.from_bucket),
                    status_name(r.to_bucket),
                    n.count(r.loans),
                    n.count(r.from_loans),
                    n.percent(r.share),
                )
                for r in p.roll_rates
            ),
            empty=t("analytics.none"),
        ),
        percent=True,
        lead=t("analytics.rolls_lead"),
    )


def _vintages(p: Portfolio, t: Translator, n: Numbers) -> Chart:
    ages = sorted({v.months_on_book for v in p.vintages})
    vintages = sorted({v.vintage for v in p.vintages})
    rate = {(v.vintage, v.months_on_book): ratio(v.rate) for v in p.vintages}
    return Chart(
        "vintages",
        t("analytics.vintages"),
        "line",
        tuple(str(a) for a in ages),
        tuple(Series(v, tuple(rate.get((v, a)) for a in ages)) for v in vintages),
        Table(
            (
                t("analytics.vintage"),
                t("analytics.months_on_book"),
                t("analytics.loans"),
                t("analytics.defaulted"),
                t("analytics.rate"),
            ),
            tuple(
                (v.vintage, n.count(v.months_on_book), n.count(v.loans), n.count(v.defaulted), n.percent(v.rate))
                for v in p.vintages
            ),
            empty=t("analytics.none"),
        ),
        percent=True,
        lead=t("analytics.vintages_lead"),
    )


def _losses(p: Portfolio, t: Translator, n: Numbers, grade_name: Callable[[str], str]) -> Chart:
    xs = tuple(grade_name(g.grade) for g in p.losses)
    return Chart(
        "losses",
        t("analytics.losses"),
        "bar",
        xs,
        (
            Series(t("analytics.charged_off"), tuple(major(g.charged_off_minor, p.currency) for g in p.losses)),
            Series(t("analytics.recovered"), tuple(major(g.recovered_minor, p.currency) for g in p.losses)),
            Series(t("analytics.net_loss"), tuple(major(g.net_loss_minor, p.currency) for g in p.losses)),
        ),
        Table(
            (
                t("analytics.grade"),
                t("analytics.loans"),
                t("analytics.defaulted"),
                t("analytics.charged_off"),
                t("analytics.recovered"),
                t("analytics.net_loss"),
                t("analytics.recovery_rate"),
            ),
            tuple(
                (
                    grade_name(g.grade),
                    n.count(g.loans),
                    n.count(g.defaulted),
                    n.money(g.charged_off_minor, p.currency),
                    n.money(g.recovered_minor, p.currency),
                    n.money(g.net_loss_minor, p.currency),
                    n.percent(g.recovery_rate),
                )
                for g in p.losses
            ),
            empty=t("analytics.none"),
        ),
        lead=t("analytics.losses_lead"),
    )


def _nar(p: Portfolio, t: Translator, n: Numbers) -> Chart:
    bands = p.nar.bands
    last = len(bands) - 1

    def band_name(i: int) -> str:
        b = bands[i]
        if i == last:
            return t("analytics.nar_above", low=n.percent(b.low))
        return t("analytics.nar_band", low=n.percent(b.low), high=n.percent(b.high))

    rows = [(t("analytics.percentile", p=pc), n.percent(v)) for pc, v in p.nar.percentiles]
    rows += [(band_name(i), n.count(b.investors)) for i, b in enumerate(bands)]
    rows += [(t("analytics.nar_without"), n.count(p.nar.without))]
    return Chart(
        "nar",
        t("analytics.nar"),
        "bar",
        tuple(band_name(i) for i in range(len(bands))),
        (Series(t("analytics.investors"), tuple(float(b.investors) for b in bands)),),
        Table((t("analytics.measure"), t("analytics.value")), tuple(rows)),
        lead=t("analytics.nar_lead", investors=n.count(p.nar.investors)),
    )


def _blocked(p: Portfolio, t: Translator, n: Numbers) -> Chart:
    rules = sorted({b.rule for b in p.blocked})
    collectors = sorted({b.collector_id for b in p.blocked})

    def rule_name(rule: str) -> str:
        return f"{rule} {rule_text(rule, t.locale)}"

    data = pivot(((b.rule, b.collector_id, float(b.attempts)) for b in p.blocked), rules, collectors)
    return Chart(
        "blocked",
        t("analytics.blocked"),
        "bar",
        tuple(rule_name(r) for r in rules),
        tuple(Series(c, data[c], stack="collector") for c in collectors),
        Table(
            (t("analytics.rule"), t("analytics.collector"), t("analytics.attempts")),
            tuple((rule_name(b.rule), b.collector_id, n.count(b.attempts)) for b in p.blocked),
            id_columns=frozenset({1}),
            empty=t("analytics.none_blocked"),
        ),
        horizontal=True,
        lead=t("analytics.blocked_lead", attempts=n.count(p.attempts)),
    )


def _deadlines(p: Portfolio, t: Translator, n: Numbers) -> Chart:
    xs = tuple(sorted({d.month for d in p.deadlines}))
    series = []
    for kind in ("complaint", "hardship"):
        rows = {d.month: d for d in p.deadlines if d.kind == kind}
        for state in DEADLINE_STATES:
            values = tuple(float(getattr(rows[m], state)) if m in rows else 0.0 for m in xs)
            series.append(
                Series(f"{t('analytics.kind.' + kind)} · {t('analytics.deadline.' + state)}", values, stack=kind)
            )
    return Chart(
        "deadlines",
        t("analytics.deadlines"),
        "bar",
        xs,
        tuple(series),
        Table(
            (t("analytics.month"), t("analytics.kind"), *(t("analytics.deadline." + s) for s in DEADLINE_STATES)),
            tuple(
                (d.month, t("analytics.kind." + d.kind), *(n.count(getattr(d, s)) for s in DEADLINE_STATES))
                for d in p.deadlines
            ),
            empty=t("analytics.none"),
        ),
        lead=t("analytics.deadlines_lead"),
    )


def _calibration(p: Portfolio, t: Translator, n: Numbers, grade_name: Callable[[str], str]) -> Chart:
    cal = p.calibration
    return Chart(
        "calibration",
        t("analytics.calibration"),
        "bar",
        tuple(grade_name(c.grade) for c in cal),
        (
            Series(t("analytics.predicted"), tuple(ratio(c.predicted) for c in cal)),
            Series(t("analytics.observed"), tuple(ratio(c.observed) for c in cal)),
        ),
        Table(
            (
                t("analytics.grade"),
                t("analytics.loans"),
                t("analytics.predicted"),
                t("analytics.observed"),
                t("analytics.defaulted"),
                t("analytics.seasoned"),
            ),
            tuple(
                (
                    grade_name(c.grade),
                    n.count(c.loans),
                    n.percent(c.predicted),
                    n.percent(c.observed),
                    n.count(c.defaulted),
                    n.count(c.seasoned),
                )
                for c in cal
            ),
            empty=t("analytics.none"),
        ),
        percent=True,
        lead=t("analytics.calibration_lead"),
    )
