"""Message templates and content rules: what may be said, and to whom.

Pure. The jurisdiction profile carries the numbers; it does not (yet) carry
the content rules' ids or the complaint clocks, so `RuleBook` holds them per
profile code. Word lists are per locale (zh_CN and en) and every text is
checked against all of them: a message may mix languages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from fairlend.collections.model import Medium


@dataclass(frozen=True, slots=True)
class Template:
    id: str
    mentions_debt: bool
    en: str
    zh: str

    def render(self, lang: str, **values: str) -> str:
        text = self.zh if lang.lower().startswith("zh") else self.en
        return text.format(**values)


TEMPLATES: dict[str, Template] = {
    t.id: t
    for t in (
        Template(
            "reminder",
            True,
            "fairlend: a reminder that your next installment is due soon. Reply STOP to opt out.",
            "fairlend：温馨提示，您的本期账单即将到期，请按时还款。回复TD退订",
        ),
        Template(
            "gentle_reminder",
            True,
            "fairlend: your payment of {amount} is {dpd} days overdue. If it stays unpaid, the overdue"
            " will be reported to the credit bureau. Reply STOP to opt out.",
            "fairlend：您有{amount}已逾期{dpd}天，请尽快处理；逾期信息将按规定报送征信机构。回复TD退订",
        ),
        Template(
            "collection",
            True,
            "fairlend calling about the overdue amount of {amount} on your loan. Reply STOP to opt out.",
            "fairlend来电：您的借款有逾期金额{amount}，请与我们协商还款。回复TD退订",
        ),
        Template(
            "formal_letter",
            True,
            "Formal notice from fairlend: {amount} is overdue by {dpd} days. Write to us to agree a plan.",
            "fairlend正式通知：您有{amount}已逾期{dpd}天，请与我们联系协商还款计划。",
        ),
        # CN-1: a contact person hears only that someone wants to reach the debtor.
        Template(
            "restore_contact",
            False,
            "Hello, this is fairlend. Please ask {name} to call us back. Reply STOP to opt out.",
            "您好，这里是fairlend，请转告{name}回电。回复TD退订",
        ),
        # US-6: a third party is asked only for the consumer's location.
        Template(
            "location_inquiry",
            False,
            "Hello, this is fairlend. We are trying to confirm contact details for {name}. Reply STOP to opt out.",
            "您好，这里是fairlend，我们正在核实{name}的联系方式。回复TD退订",
        ),
        # US-7's exception: confirming that communication has stopped.
        Template(
            "cease_confirmation",
            False,
            "fairlend: we have recorded your request and will stop contacting you. Reply STOP to opt out.",
            "fairlend：已收到您的请求，我们将停止联系您。回复TD退订",
        ),
    )
}

# Words that reveal a debt. Only the debtor may hear them.
DEBT_WORDS = (
    "欠款", "逾期", "还款", "借款", "贷款", "催收", "债务", "欠钱", "应还",
    "debt", "owe", "overdue", "loan", "repay", "arrears", "collection", "installment", "payment",
)  # fmt: skip
THREAT_WORDS = (
    "坐牢", "抓你", "拘留", "后果自负", "爆通讯录", "通讯录", "曝光", "上门找你", "找你家人", "告诉你单位", "让你好看",
    "jail", "arrest", "we will tell your", "your employer will", "expose you", "consequences", "hurt", "your family will",
    "address book", "contacts list",
)  # fmt: skip
AUTHORITY_WORDS = (
    "公安", "警察", "法院", "检察院", "司法机关", "政府工作人员", "律师事务所",
    "police", "sheriff", "court officer", "fbi", "attorney general", "government agent", "law enforcement",
)  # fmt: skip
ABUSE_WORDS = (
    "老赖", "骗子", "废物", "去死", "不要脸", "人渣",
    "deadbeat", "scum", "loser", "idiot", "liar", "thief",
)  # fmt: skip
OPT_OUT_WORDS = ("reply stop", "unsubscribe", "opt out", "退订")

OPT_OUT_MEDIA = frozenset({Medium.SMS, Medium.EMAIL})


@dataclass(frozen=True, slots=True)
class RuleBook:
    """Rule ids and clocks that RULES.md fixes but the profile does not carry."""

    threat_rule: str
    authority_rule: str
    abuse_rule: str
    opt_out_rule: str | None  # None: no opt-out duty on texts and emails
    disclosure_rule: str  # telling anyone but the debtor of the debt (CN-1, US-5)
    # A medium or a number forbidden (US-8); None: the profile's cease_rule, which always covers "all".
    cease_scoped_rule: str | None
    third_party_templates: frozenset[str]
    cease_exempt_templates: frozenset[str]
    complaint_ack_days: int = 2
    complaint_answer_days: int = 15


RULE_BOOKS: dict[str, RuleBook] = {
    "cn": RuleBook(
        threat_rule="CN-6",
        authority_rule="CN-6",
        abuse_rule="CN-6",
        opt_out_rule=None,
        disclosure_rule="CN-1",
        cease_scoped_rule=None,
        third_party_templates=frozenset({"restore_contact"}),
        cease_exempt_templates=frozenset(),
    ),
    "us": RuleBook(
        # RULES.md has no US row for threats or false authority (FDCPA 1692d/1692e);
        # US-14 (unfair practices) is the nearest row it has.
        threat_rule="US-14",
        authority_rule="US-14",
        abuse_rule="US-14",
        opt_out_rule="US-9",
        disclosure_rule="US-5",
        cease_scoped_rule="US-8",
        third_party_templates=frozenset({"location_inquiry"}),
        cease_exempt_templates=frozenset({"cease_confirmation"}),
    ),
}


def rule_book(profile_code: str) -> RuleBook:
    return RULE_BOOKS.get(profile_code, RULE_BOOKS["cn"])


def _matcher(words: tuple[str, ...]) -> re.Pattern[str]:
    # One compiled alternation per list: the search runs in C, once per message.
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))


_DEBT = _matcher(DEBT_WORDS)
_THREAT = _matcher(THREAT_WORDS)
_AUTHORITY = _matcher(AUTHORITY_WORDS)
_ABUSE = _matcher(ABUSE_WORDS)
_OPT_OUT = _matcher(OPT_OUT_WORDS)


def mentions_debt(text: str) -> bool:
    return _DEBT.search(text.lower()) is not None


@lru_cache(maxsize=4096)
def content_findings(text: str, medium: Medium) -> tuple[bool, bool, bool, bool, bool]:
    """(threat, authority, abuse, mentions debt, has opt-out) for one message.

    Cached: templates make most messages identical, and the answer depends on nothing else.
    """
    low = text.lower()
    return (
        _THREAT.search(low) is not None,
        _AUTHORITY.search(low) is not None,
        _ABUSE.search(low) is not None,
        _DEBT.search(low) is not None,
        medium not in OPT_OUT_MEDIA or _OPT_OUT.search(low) is not None,
    )
