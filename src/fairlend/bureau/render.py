"""The credit report as an HTML page (Jinja2, no CDN) and as a PDF (reportlab).

Chinese text in the PDF uses the package's embedded CJK font (fairlend/fonts),
so it renders on a machine with no CJK font and nothing is downloaded.
"""

from __future__ import annotations

import io
from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape

from fairlend.bureau.documents import CreditReport
from fairlend.bureau.model import CN17, METRO2
from fairlend.fonts import cjk_font
from fairlend.money import Money, exponent

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Credit report",
        "report_id": "Report",
        "generated": "Generated",
        "profile": "Profile",
        "identity": "Identity",
        "name": "Name",
        "id_number": "ID number",
        "summary": "Summary",
        "accounts": "Accounts",
        "open": "open",
        "total_balance": "Total balance",
        "amount_overdue": "Amount overdue",
        "worst": "Worst status in 24 months",
        "since": "Months since the last delinquency",
        "disputed": "disputed",
        "special": "Special comment",
        "modified_on": "terms modified",
        "type": "Type",
        "opened": "Opened",
        "amount": "Amount",
        "state": "State",
        "balance": "Balance",
        "grid": "Monthly status",
        "from": "from",
        "to": "to",
        "newest_first": "newest first",
        "negative": "Negative record",
        "removal": "Removed on",
        "charged_off": "charged off",
        "ongoing": "while it lasts",
        "inquiries": "Inquiries",
        "date": "Date",
        "institution": "Institution",
        "kind": "Kind",
        "purpose": "Purpose",
        "free": "Free",
        "disputes": "Disputes",
        "account": "Account",
        "month": "Month",
        "status": "Status",
        "deadline": "Answer by",
    },
    "zh": {
        "title": "个人信用报告",
        "report_id": "报告编号",
        "generated": "报告日期",
        "profile": "规则",
        "identity": "身份信息",
        "name": "姓名",
        "id_number": "证件号码",
        "summary": "信息概要",
        "accounts": "账户",
        "open": "未结清",
        "total_balance": "余额合计",
        "amount_overdue": "逾期金额",
        "worst": "近24个月最差状态",
        "since": "距最近一次逾期月数",
        "disputed": "异议中",
        "special": "特殊交易",
        "modified_on": "变更日期",
        "type": "类型",
        "opened": "开立日期",
        "amount": "金额",
        "state": "状态",
        "balance": "余额",
        "grid": "还款记录",
        "from": "自",
        "to": "至",
        "newest_first": "由近及远",
        "negative": "不良信息",
        "removal": "删除日期",
        "charged_off": "核销",
        "ongoing": "持续中",
        "inquiries": "查询记录",
        "date": "日期",
        "institution": "机构",
        "kind": "类别",
        "purpose": "查询原因",
        "free": "免费",
        "disputes": "异议",
        "account": "账户",
        "month": "月份",
        "status": "状态",
        "deadline": "答复期限",
    },
}


def language_for(profile_code: str) -> str:
    return "zh" if profile_code == "cn" else "en"


def format_money(amount: Money) -> str:
    places = exponent(amount.currency)
    sign = "-" if amount.minor < 0 else ""
    whole, frac = divmod(abs(amount.minor), 10**places)
    body = f"{whole:,}" + (f".{frac:0{places}d}" if places else "")
    return f"{sign}{body} {amount.currency}"


@cache
def _environment() -> Environment:
    env = Environment(loader=PackageLoader("fairlend.bureau", "templates"), autoescape=select_autoescape(["html"]))
    env.globals["money"] = format_money
    return env


def render_html(report: CreditReport, lang: str | None = None) -> str:
    language = lang or language_for(report.profile)
    negative = CN17.negative_codes if report.profile == "cn" else METRO2.negative_codes
    return (
        _environment()
        .get_template("report.html")
        .render(report=report, t=LABELS[language], lang="zh-CN" if language == "zh" else "en", negative=negative)
    )


def render_pdf(report: CreditReport, lang: str | None = None) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    language = lang or language_for(report.profile)
    t = LABELS[language]
    font = "Helvetica"
    if language == "zh":
        font = cjk_font()
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        style.fontName = font
    negative = CN17.negative_codes if report.profile == "cn" else METRO2.negative_codes
    base = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), font),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ]
    )
    story: list[object] = [
        Paragraph(t["title"], styles["Title"]),
        Paragraph(f"{t['report_id']}: {report.report_id} | {t['generated']}: {report.generated_on}", styles["Normal"]),
        Spacer(1, 8),
    ]
    s = report.summary
    summary = [
        [t["name"], report.name_masked, t["id_number"], report.id_number_masked],
        [t["accounts"], f"{s.accounts} ({s.open_accounts} {t['open']})", t["worst"], s.worst_status_24m or "-"],
        [
            t["total_balance"],
            " ".join(format_money(m) for m in s.total_balance) or "-",
            t["amount_overdue"],
            " ".join(format_money(m) for m in s.amount_overdue) or "-",
        ],
        [t["since"], "-" if s.months_since_last_delinquency is None else str(s.months_since_last_delinquency), "", ""],
    ]
    table = Table(summary)
    table.setStyle(base)
    story += [Paragraph(t["summary"], styles["Heading2"]), table, Spacer(1, 8)]
    story.append(Paragraph(t["accounts"], styles["Heading2"]))
    for a in report.accounts:
        flag = f" [{t['disputed']}]" if a.open_disputes else ""
        story.append(Paragraph(f"{a.institution_name} | {a.account_ref}{flag}", styles["Heading4"]))
        detail = Table(
            [
                [t["type"], a.account_type, t["opened"], str(a.open_date), t["amount"], format_money(a.amount)],
                [
                    t["state"],
                    f"{a.state} ({a.account_status})",
                    t["balance"],
                    format_money(a.balance),
                    t["amount_overdue"],
                    format_money(a.amount_overdue),
                ],
                *(
                    [[t["special"], a.special_comment, t["modified_on"], str(a.modified_on or "-"), "", ""]]
                    if a.special_comment or a.modified_on
                    else []
                ),
            ]
        )
        detail.setStyle(base)
        rows = [list(a.grid[i : i + 12]) for i in range(0, len(a.grid), 12)]
        grid = Table(rows, colWidths=[16] * 12)
        grid_style = TableStyle(list(base.getCommands()))
        for r, row in enumerate(rows):
            for c, code in enumerate(row):
                if code in negative:
                    grid_style.add("BACKGROUND", (c, r), (c, r), colors.HexColor("#fbe3e3"))
        grid.setStyle(grid_style)
        story += [
            detail,
            Spacer(1, 3),
            Paragraph(f"{t['grid']} ({t['from']} {a.grid_start}, {t['newest_first']})", styles["Normal"]),
            grid,
        ]
        for n in a.negative_records:
            story.append(
                Paragraph(
                    f"{t['negative']}: {n.first_month}–{n.last_month} | {t['removal']}: {n.removal_on or t['ongoing']}",
                    styles["Normal"],
                )
            )
        story.append(Spacer(1, 6))
    story.append(Paragraph(t["inquiries"], styles["Heading2"]))
    inquiries = [[t["date"], t["institution"], t["kind"], t["purpose"], t["free"]]] + [
        [str(i.inquired_on), i.institution_name, i.kind.value, i.purpose.value, "Y" if i.free else "N"]
        for i in report.inquiries
    ]
    table = Table(inquiries)
    table.setStyle(base)
    story.append(table)
    if report.disputes:
        story.append(Paragraph(t["disputes"], styles["Heading2"]))
        disputes = [[t["account"], t["month"], t["status"], t["opened"], t["deadline"]]] + [
            [d.account_ref, d.month or "-", d.status, str(d.opened_on), str(d.deadline)] for d in report.disputes
        ]
        table = Table(disputes)
        table.setStyle(base)
        story.append(table)
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=landscape(A4), title=t["title"]).build(story)
    return buffer.getvalue()
