"""The portfolio report as one self-contained HTML file: the console's analytics charts and tables, offline.

ECharts, the chart script and the stylesheet are inlined from the package, so
the file opens anywhere with no network and no server (`fairlend report`).
Charts are drawn without animation, so a printer (the PDF) sees them whole.
"""

from __future__ import annotations

from datetime import datetime
from importlib import resources

from jinja2 import Environment, PackageLoader, select_autoescape

from fairlend.analytics.model import Portfolio
from fairlend.web import i18n
from fairlend.web.analytics_charts import portfolio_charts
from fairlend.web.charts import charts_json

_ASSETS = ("vendor/echarts/echarts.min.js", "charts.js")


def _static(name: str) -> str:
    return resources.files("fairlend.web").joinpath("static", *name.split("/")).read_text(encoding="utf-8")


def render_report(portfolio: Portfolio, locale: str, generated_at: datetime) -> str:
    t = i18n.Translator(locale)
    charts = portfolio_charts(portfolio, t)
    env = Environment(loader=PackageLoader("fairlend.web", "templates"), autoescape=select_autoescape())
    # Scripts are inlined as they are: none holds "</script" (checked by the report's tests).
    scripts = [_static(name) for name in _ASSETS]
    return env.get_template("analytics/report.html").render(
        t=t,
        locale=locale,
        p=portfolio,
        charts=charts,
        charts_json=charts_json(charts, t.locale, animate=False),
        css=_static("fairlend.css"),
        scripts=scripts,
        generated_at=generated_at.strftime("%Y-%m-%d %H:%M UTC"),
    )
