"""The loan contract: the text a borrower agrees to, in zh-CN and en, and its fingerprint.

The text is built from the offer's terms and the profile's promises, never
edited by hand: what the offer page shows before "I agree", what the
contract page and PDF show after it, and what the fingerprint recorded at
acceptance proves are one function of the same facts. A new wording is a new
`CONTRACT_VERSION`; an accepted offer keeps the version it was agreed under.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from fairlend.money import Money
from fairlend.origination.model import Quote

CONTRACT_VERSION = "fl-loan-contract-1"


@dataclass(frozen=True, slots=True)
class ContractTerms:
    """Everything the contract's words depend on."""

    lender: str
    borrower_id: str
    quote: Quote
    collection_start_dpd: int
    contract_id: str | None = None  # given at acceptance
    accepted_at: datetime | None = None
    version: str = CONTRACT_VERSION


@dataclass(frozen=True, slots=True)
class Clause:
    heading: str
    text: str


def _pct(rate: Decimal) -> str:
    return f"{rate * 100:.2f}%"


def _amount(money: Money, locale: str) -> str:
    return money.format(locale)


def clauses(terms: ContractTerms, lang: str) -> tuple[Clause, ...]:
    """The contract's clauses in `lang` ("zh-CN" or "en"); the schedule is attached as a table."""
    q = terms.quote
    zh = lang.lower().startswith("zh")
    loc = "zh_CN" if zh else "en"
    money = {
        "amount": _amount(q.amount, loc),
        "fee": _amount(q.fee, loc),
        "interest": _amount(q.total_interest, loc),
        "repayable": _amount(q.total_repayable, loc),
        "cost": _amount(q.total_cost, loc),
    }
    days = terms.collection_start_dpd
    if zh:
        return (
            Clause(
                "一、当事人",
                f"出借人：{terms.lender}（或通过本平台出资的投资人、资金合作方，见第八条）。借款人：平台用户 {terms.borrower_id}。",
            ),
            Clause(
                "二、借款",
                f"借款金额 {money['amount']}，期限 {q.term_months} 个月，按月等额还款，每期应还金额与日期见所附还款计划。",
            ),
            Clause(
                "三、利率与费用",
                f"年利率 {_pct(q.nominal_rate)}；年化综合成本（APR，含全部费用）{_pct(q.apr)}。"
                f"服务费 {money['fee']}；利息合计 {money['interest']}；借款总成本 {money['cost']}；应还总额 {money['repayable']}。"
                "除本合同列明的费用外，不收取任何其他费用。",
            ),
            Clause(
                "四、还款与提前结清",
                "借款人可随时按当日结清金额提前结清全部借款；结清当日起，关于本借款的一切催收联系立即停止。",
            ),
            Clause(
                "五、逾期",
                "借款及还款信息于次日报送征信机构；发生逾期的，报送前先行告知借款人。"
                f"逾期超过 {days} 天前不进行催收；催收只联系借款人本人，不联系借款人的亲友、同事或任何第三方，不在夜间联系，不超过规定频次。",
            ),
            Clause(
                "六、借款人的权利",
                "借款人可随时在平台要求停止联系（全部、某一方式或某一号码），可以投诉并在规定时限内得到答复，"
                "可以下载每一次联系记录的证据包，可以对征信记录提出异议。",
            ),
            Clause("七、个人信息", "平台只使用借款人同意提供的信息，从不读取、存储或使用借款人的通讯录。"),
            Clause(
                "八、资金来源",
                "本借款可由本平台、持牌资金合作方或投资人通过债权份额出资；出资方看不到借款人的任何个人信息，"
                "平台不向出资方承诺本金或收益。",
            ),
        )
    return (
        Clause(
            "1. Parties",
            f"Lender: {terms.lender} (or the investors and funding partners who fund this loan through the platform, "
            f"clause 8). Borrower: platform user {terms.borrower_id}.",
        ),
        Clause(
            "2. The loan",
            f"Amount {money['amount']} over {q.term_months} months, repaid in equal monthly installments on the dates and "
            "for the amounts in the attached schedule.",
        ),
        Clause(
            "3. Interest and fees",
            f"Interest rate {_pct(q.nominal_rate)} a year; annual percentage rate (APR, every fee included) {_pct(q.apr)}. "
            f"Origination fee {money['fee']}; interest in total {money['interest']}; total cost of credit {money['cost']}; "
            f"total repayable {money['repayable']}. No fee is charged that this contract does not name.",
        ),
        Clause(
            "4. Repaying and settling early",
            "The borrower may settle the whole loan at any time for that day's payoff amount; from the day it is settled "
            "every collection contact about it stops at once.",
        ),
        Clause(
            "5. Late payment",
            "The loan and every repayment are reported to the credit bureau the next day; the borrower is told before a "
            f"late payment is first reported. No collection contact is made before the loan is more than {days} days "
            "overdue; collection contacts only the borrower, never family, friends, colleagues or any other third party, "
            "never at night and never more often than the rules allow.",
        ),
        Clause(
            "6. The borrower's rights",
            "The borrower may at any time ask, in the portal, to stop contact (all of it, one medium or one number), "
            "complain and be answered within the set time, download an evidence package of every contact, and dispute "
            "the credit record.",
        ),
        Clause(
            "7. Personal data",
            "The platform uses only what the borrower agreed to provide and never reads, stores or uses the borrower's "
            "address book.",
        ),
        Clause(
            "8. Who funds the loan",
            "The loan may be funded by the platform, by licensed funding partners or by investors through notes; none "
            "of them sees the borrower's personal data, and the platform promises them neither principal nor return.",
        ),
    )


def fingerprint(terms: ContractTerms) -> str:
    """SHA-256 over the version and every term both texts are built from, in a canonical form.

    Recorded at acceptance: the contract page recomputes it, so a changed term or text version shows.
    """
    q = terms.quote
    canonical = {
        "version": terms.version,
        "contract_id": terms.contract_id,
        "lender": terms.lender,
        "borrower_id": terms.borrower_id,
        "amount": [q.amount.minor, q.amount.currency],
        "term_months": q.term_months,
        "nominal_rate": str(q.nominal_rate),
        "apr": str(q.apr),
        "fee": q.fee.minor,
        "collection_start_dpd": terms.collection_start_dpd,
        "schedule": [
            [i.number, i.due_date.isoformat(), i.principal.minor, i.interest.minor, i.fee.minor] for i in q.installments
        ],
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
