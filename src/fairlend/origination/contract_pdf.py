"""The loan contract as a PDF (reportlab), in zh-CN or en, with the CJK font embedded."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from fairlend.fonts import cjk_font
from fairlend.origination.contract import ContractTerms, clauses

_LABELS = {
    "zh": {
        "title": "借款合同",
        "number": "合同编号",
        "draft": "草稿：尚未同意",
        "version": "文本版本",
        "fingerprint": "同意时记录的指纹（SHA-256）",
        "schedule": "附件：还款计划",
    },
    "en": {
        "title": "Loan contract",
        "number": "Contract number",
        "draft": "Draft: not yet agreed",
        "version": "Text version",
        "fingerprint": "Fingerprint recorded on agreement (SHA-256)",
        "schedule": "Annex: repayment schedule",
    },
}


_HEAD = {
    "zh": ("期数", "到期日", "本金", "利息", "费用", "合计"),
    "en": ("#", "Due date", "Principal", "Interest", "Fee", "Total"),
}


def render_contract_pdf(terms: ContractTerms, fingerprint: str | None, lang: str) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    zh = lang.lower().startswith("zh")
    labels = _LABELS["zh" if zh else "en"]
    locale = "zh_CN" if zh else "en"
    font = cjk_font() if zh else "Helvetica"

    def para(text: str, size: int = 9, bold: bool = False) -> Paragraph:
        name = font if zh else ("Helvetica-Bold" if bold else "Helvetica")
        return Paragraph(
            escape(text), ParagraphStyle(f"s{size}{bold}", fontName=name, fontSize=size, leading=size * 1.45)
        )

    story: list[object] = [para(labels["title"], 16, True), Spacer(1, 3 * mm)]
    number = terms.contract_id or labels["draft"]
    story.append(para(f"{labels['number']}: {number} · {labels['version']}: {terms.version}", 8))
    if fingerprint:
        story.append(para(f"{labels['fingerprint']}: {fingerprint}", 7))
    story.append(Spacer(1, 4 * mm))
    for clause in clauses(terms, lang):
        story += [para(clause.heading, 11, True), para(clause.text), Spacer(1, 2 * mm)]
    story += [Spacer(1, 3 * mm), para(labels["schedule"], 11, True)]
    rows = [[para(h, 8) for h in _HEAD["zh" if zh else "en"]]]
    for i in terms.quote.installments:
        cells = (
            str(i.number),
            i.due_date.isoformat(),
            *(m.format(locale) for m in (i.principal, i.interest, i.fee, i.total)),
        )
        rows.append([para(c, 8) for c in cells])
    table = Table(rows, colWidths=[12 * mm, 28 * mm, 34 * mm, 30 * mm, 26 * mm, 34 * mm], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey)]))
    story.append(table)
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=labels["title"]).build(story)
    return out.getvalue()
