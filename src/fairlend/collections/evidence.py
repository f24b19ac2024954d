"""The evidence package: a PDF a borrower takes to the lender, the regulator or the police.

It holds the loan's facts, the contact log about the loan with the result of
checking its hash chain, the blocked attempts with the rule that stopped each,
a filled-in letter asking the lender to stop (the first step) and a filled-in
report to the regulator or the police (the second step). Chinese text uses the
package's embedded CJK font (fairlend/fonts): it renders on a machine with no
CJK font, and nothing is downloaded.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from fairlend.collections.model import LoanFacts, LogRecord, Outcome
from fairlend.collections.rule_texts import rule_text
from fairlend.fonts import cjk_font

LANGS = ("zh-CN", "en")


@dataclass(frozen=True, slots=True)
class EvidencePackage:
    lang: str
    generated_at: datetime
    timezone: str
    borrower_id: str
    loan: LoanFacts
    records: tuple[LogRecord, ...]  # this loan's records, oldest first: attempts and the outcomes of allowed ones
    chain_records: int  # records in the borrower's whole chain, all checked
    settled_at: datetime | None  # when fairlend learnt of the settlement (same transaction as lending's)
    chain_problem: str | None  # None: the chain holds
    letter_to_lender: str
    report_to_authority: str

    @property
    def blocked(self) -> tuple[LogRecord, ...]:
        return tuple(r for r in self.records if r.outcome is Outcome.BLOCKED)

    @property
    def after_settlement(self) -> tuple[LogRecord, ...]:
        return after_settlement(self.records, self.loan, self.settled_at, self.timezone)


def after_settlement(
    records: tuple[LogRecord, ...], loan: LoanFacts, settled_at: datetime | None, tz: str
) -> tuple[LogRecord, ...]:
    """Attempts made once the loan was settled: from the settling instant when known, else from the day.

    Outcome rows are not attempts: an attempt made before settlement whose outcome was recorded after is not counted.
    """
    attempts = tuple(r for r in records if not r.resolves)
    if settled_at is not None:
        return tuple(r for r in attempts if r.at >= settled_at)
    if loan.settled_on is None:
        return ()
    zone = ZoneInfo(tz)
    return tuple(r for r in attempts if r.at.astimezone(zone).date() > loan.settled_on)


def _zh(lang: str) -> bool:
    return lang.lower().startswith("zh")


def letters(
    lang: str,
    borrower_id: str,
    loan: LoanFacts,
    records: tuple[LogRecord, ...],
    settled_at: datetime | None,
    tz: str,
) -> tuple[str, str]:
    """(letter to the lender, report to the regulator or police), filled in.

    For a settled loan the letters count only what happened after settlement: that is the complaint.
    """
    zone = ZoneInfo(tz)
    settled = loan.state.value == "settled" or settled_at is not None
    if settled:
        records = after_settlement(records, loan, settled_at, tz)
    records = tuple(r for r in records if not r.resolves)
    total = len(records)
    blocked = sum(1 for r in records if r.outcome is Outcome.BLOCKED)
    others = sum(1 for r in records if r.recipient_kind.value != "debtor")
    first = records[0].at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if records else "-"
    last = records[-1].at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if records else "-"
    rules = sorted({rule for r in records for rule in r.rules})
    if _zh(lang):
        status = (
            (f"已于{loan.settled_on:%Y年%m月%d日}全部结清" if loan.settled_on else "已全部结清")
            if settled
            else f"当前逾期{loan.days_past_due}天"
        )
        since = "结清之后，" if settled else ""
        letter = (
            f"致 出借机构（fairlend平台及其委托的催收机构）：\n"
            f"本人（借款人编号 {borrower_id}）的借款 {loan.loan_id} {status}。"
            f"{since}自{first}至{last}，贵方就该笔借款共尝试联系{total}次，其中联系本人以外的人{others}次，"
            f"被平台依规拦截{blocked}次（所违反的规则：{'、'.join(rules) or '无'}）。详细记录见本证据材料所附联系记录，"
            f"该记录为哈希链防篡改记录，已校验。\n"
            f"上述行为侵犯本人及他人隐私，干扰正常工作和生活。本人要求贵方：立即停止就该笔借款的一切催收联系；"
            f"不得再联系本人的任何亲友、同事；并在15日内书面答复。\n"
            f"借款人（签名）：__________    日期：__________"
        )
        report = (
            f"致 当地金融监管部门 / 公安机关：\n"
            f"报告人：借款人编号 {borrower_id}（姓名、证件号码、联系电话：__________）\n"
            f"被报告方：fairlend平台上的出借机构及其催收人员\n"
            f"事实：本人的借款 {loan.loan_id} {status}。{since}仍有催收联系{total}次，"
            f"其中涉及本人以外的人{others}次，平台拦截{blocked}次。本人已书面要求出借方停止，"
            f"如其未停止，上述行为涉嫌侵犯公民个人信息、骚扰他人正常生活。\n"
            f"证据：本证据材料所附联系记录（时间、方式、对象（已脱敏）、内容、拦截规则），哈希链校验结果见上文。\n"
            f"请求：依法调查处理，责令停止骚扰。\n"
            f"报告人（签名）：__________    日期：__________"
        )
    else:
        status = (
            (f"was repaid in full on {loan.settled_on:%Y-%m-%d}" if loan.settled_on else "was repaid in full")
            if settled
            else f"is {loan.days_past_due} days past due"
        )
        since = " after it was repaid" if settled else ""
        letter = (
            f"To the lender (fairlend and any collection agency acting for it):\n"
            f"My loan {loan.loan_id} (borrower {borrower_id}) {status}. Between {first} and {last}{since} you tried to "
            f"contact people about it {total} times, {others} of them people other than me; the platform blocked "
            f"{blocked} of those attempts under the rules {', '.join(rules) or 'none'}. The attached contact log is "
            f"hash-chained and its chain was checked.\n"
            f"This invades my privacy and that of others and disrupts work and life. I ask you to stop every "
            f"collection contact about this loan at once, never to contact my family, friends or colleagues, and "
            f"to answer me in writing within 15 days.\n"
            f"Signed: __________    Date: __________"
        )
        report = (
            f"To the financial regulator / the police:\n"
            f"Reported by: borrower {borrower_id} (name, ID number, phone: __________)\n"
            f"Reported: the lender on the fairlend platform and its collectors\n"
            f"Facts: my loan {loan.loan_id} {status}. There were {total} collection attempts about it{since}, {others} "
            f"aimed at people other than me; the platform blocked {blocked}. I asked the lender in writing to stop; "
            f"if it has not, this is harassment and a misuse of personal information.\n"
            f"Evidence: the attached contact log (time, medium, recipient masked, text, the rule that blocked it), "
            f"with its hash-chain check above.\n"
            f"Request: investigate and order the harassment to stop.\n"
            f"Signed: __________    Date: __________"
        )
    return letter, report


def render_pdf(package: EvidencePackage, locale: str) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    cid = cjk_font()
    zh = _zh(package.lang)
    tz = ZoneInfo(package.timezone)

    def style(size: int, bold: bool = False) -> tuple[ParagraphStyle, ParagraphStyle]:
        latin = ParagraphStyle(
            f"l{size}{bold}", fontName="Helvetica-Bold" if bold else "Helvetica", fontSize=size, leading=size * 1.35
        )
        wide = ParagraphStyle(f"c{size}{bold}", fontName=cid, fontSize=size, leading=size * 1.35)
        return latin, wide

    def para(text: str, size: int = 9, bold: bool = False) -> Paragraph:
        # Latin-1 text keeps a Latin font (searchable ids and rule names); anything wider takes the CID font.
        latin, wide = style(size, bold)
        chosen = latin if all(ord(ch) < 256 for ch in text) else wide
        return Paragraph(escape(text).replace("\n", "<br/>"), chosen)

    def t(en: str, cn: str) -> str:
        return cn if zh else en

    loan = package.loan
    story: list[object] = [
        para(t("Evidence package: collection contacts", "证据材料：催收联系记录"), 16, True),
        Spacer(1, 4 * mm),
        para(
            t(
                f"Generated {package.generated_at.astimezone(tz):%Y-%m-%d %H:%M} ({package.timezone}) by fairlend for borrower {package.borrower_id}.",
                f"由fairlend于{package.generated_at.astimezone(tz):%Y-%m-%d %H:%M}（{package.timezone}）为借款人 {package.borrower_id} 生成。",
            )
        ),
        Spacer(1, 4 * mm),
        para(t("1. The loan", "一、借款事实"), 12, True),
    ]
    facts = [
        (t("Loan", "借款编号"), loan.loan_id),
        (t("State", "状态"), loan.state.value),
        (t("Settled on", "结清日期"), f"{loan.settled_on:%Y-%m-%d}" if loan.settled_on else "-"),
        (t("Overdue amount", "逾期金额"), loan.overdue_amount.format(locale)),
        (t("Days past due", "逾期天数"), str(loan.days_past_due)),
        (t("Bucket", "逾期阶段"), loan.bucket),
    ]
    story.append(Table([[para(k), para(v)] for k, v in facts], colWidths=[45 * mm, 120 * mm]))
    story += [Spacer(1, 4 * mm), para(t("2. The contact log", "二、联系记录"), 12, True)]
    chain = (
        t(
            f"The hash chain of all {package.chain_records} records about this borrower was checked: it holds; no record was changed, removed or reordered.",
            f"已校验该借款人全部{package.chain_records}条记录的哈希链：完整，没有记录被修改、删除或调换顺序。",
        )
        if package.chain_problem is None
        else t(
            f"WARNING: the hash chain does not hold ({package.chain_problem}).",
            f"警告：哈希链校验失败（{package.chain_problem}）。",
        )
    )
    story.append(para(chain))
    if loan.settled_on is not None:
        story.append(
            para(
                t(
                    f"{len(package.after_settlement)} attempt(s) were made on or after the settlement date.",
                    f"结清当日及之后仍有{len(package.after_settlement)}次联系尝试。",
                ),
                10,
                True,
            )
        )
    header = [t(h, c) for h, c in (("#", "序号"), ("Time", "时间"), ("Medium", "方式"), ("To", "对象"),
                                      ("Template", "模板"), ("Outcome", "结果"), ("Rules", "规则"))]  # fmt: skip
    rows: list[list[object]] = [[para(h, 8, True) for h in header]]
    for r in package.records:
        rows.append(
            [
                para(str(r.seq), 8),
                para(r.at.astimezone(tz).strftime("%Y-%m-%d %H:%M"), 8),
                para(r.medium.value, 8),
                para(f"{r.recipient_kind.value} {r.recipient_masked}", 8),
                para(r.template, 8),
                para(r.outcome.value, 8),
                para(", ".join(r.rules) or "-", 8),
            ]
        )
    table = Table(rows, repeatRows=1, colWidths=[10 * mm, 28 * mm, 14 * mm, 45 * mm, 28 * mm, 16 * mm, 24 * mm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [table, Spacer(1, 4 * mm), para(t("3. Blocked attempts", "三、被拦截的联系"), 12, True)]
    if not package.blocked:
        story.append(para(t("None.", "无。")))
    for r in package.blocked:
        why = "; ".join(f"{rule}: {rule_text(rule, package.lang)}" for rule in r.rules)
        story.append(
            para(
                f"#{r.seq} {r.id} {r.at.astimezone(tz):%Y-%m-%d %H:%M} {r.medium.value} -> {r.recipient_kind.value} "
                f"{r.recipient_masked} ({r.collector_id or 'system'})"
            )
        )
        story.append(para(f"   {why}"))
        story.append(para(f"   {t('Text', '内容')}: {r.text}"))
    story += [
        PageBreak(),
        para(t("4. Letter to the lender", "四、致出借机构的函"), 12, True),
        Spacer(1, 3 * mm),
        para(package.letter_to_lender, 10),
        Spacer(1, 8 * mm),
        para(t("5. Report to the regulator or the police", "五、向监管部门或公安机关的报告"), 12, True),
        Spacer(1, 3 * mm),
        para(package.report_to_authority, 10),
    ]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=t("fairlend evidence package", "fairlend 证据材料"),
        author="fairlend",
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        pageCompression=0,
        invariant=1,
    )
    doc.build(story)
    return buffer.getvalue()
