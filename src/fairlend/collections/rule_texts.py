"""Plain words, in English and Simplified Chinese, for each rule a blocked contact attempt names.

P-4: the borrower sees every attempt and why it was blocked; the rule id alone
would be a code shown to a person. Pure data and one lookup.
"""

from __future__ import annotations

# Plain words for each rule a blocked attempt names (P-4: the borrower sees why).
RULE_TEXT: dict[str, tuple[str, str]] = {
    "P-1": (
        "fairlend never collects or uses an address book; only contact persons you named and who confirmed may be reached",
        "平台从不收集或使用通讯录；只有您事先指定并本人确认的联系人才可能被联系",
    ),
    "P-2": (
        "the loan is settled: every contact about it stops at once",
        "该笔借款已结清：与之相关的一切联系立即停止",
    ),
    "P-3": (
        "a dispute or complaint about this loan is open: collection contacts are paused until it is answered",
        "该笔借款有未处理的异议或投诉：答复之前暂停催收联系",
    ),
    "P-10": (
        "you asked for a repayment plan: collection contacts pause while your request is open, and while you keep the plan only reminders of its payments are sent",
        "您申请了协商还款：申请处理期间暂停催收联系；按计划还款期间只发送计划还款提醒",
    ),
    "P-6": (
        "you asked us to stop: only statements the law requires and answers to your own requests go out",
        "您已要求停止联系：此后只发送法律要求的告知和对您本人请求的答复",
    ),
    "P-7": (
        "collection may not start before the loan is more than the allowed number of days overdue (3 in China)",
        "逾期未满规定天数（中国为3天）不得开始催收",
    ),
    "P-8": (
        "a person is a phone number: the same number under another entry is still the same person",
        "一个号码就是一个人：同一号码换一个身份登记仍是同一人",
    ),
    "P-9": (
        "anyone but you may get only an approved message with nothing about the debt; a collector's own words go only to you",
        "除您本人外，他人只能收到不含债务内容的规定文本；催收员自拟的内容只能发给您本人",
    ),
    "US-16": (
        "no threats, no false claim to be a lawyer or an official, no obscene words, no telling others of the debt",
        "不得威胁、不得冒充律师或公职人员、不得使用污言秽语、不得向他人透露债务",
    ),
    "CN-22": (
        "a complaint is answered within 15 days (once extended by 15 days in complex cases, with notice)",
        "投诉须在15天内答复（复杂情况可延长一次15天，并告知）",
    ),
    "US-19": (
        "a complaint is answered within 15 days, and closed within 60 days when more time was needed",
        "投诉须在15天内答复；需要更多时间的，须在60天内办结",
    ),
    "CN-1": (
        "people other than the borrower may not be contacted about the debt; a named contact person only to restore contact, never told of the debt",
        "不得骚扰与债务无关的人；事先指定的联系人仅可在联系不上借款人时用于恢复联系，且不得告知债务",
    ),
    "CN-5": (
        "no collection between 22:00 and 08:00, and at most 3 connected calls a day",
        "22:00至次日08:00不得催收，每天接通电话不超过3次",
    ),
    "CN-6": (
        "at most 6 call attempts a day to one number; no threats, no exposing privacy, no pretending to be an authority",
        "每天对同一号码拨打不超过6次；不得威胁、不得泄露隐私、不得冒充公检法等机关",
    ),
    "US-1": (
        "no more than 7 calls in 7 days to a person about one debt",
        "7天内就同一笔债务致电同一人不得超过7次",
    ),
    "US-2": (
        "no call for 7 days after a telephone conversation about the debt",
        "就债务通话后7天内不得再次致电",
    ),
    "US-4": (
        "no contact before 08:00 or after 21:00 in your local time",
        "当地时间08:00前或21:00后不得联系",
    ),
    "US-5": (
        "the debt may be discussed only with you (or your spouse, guardian, executor or attorney)",
        "债务只能与您本人（或配偶、监护人、遗嘱执行人、律师）讨论",
    ),
    "US-6": (
        "another person may be contacted only once, only to learn your location, never told of the debt",
        "他人只能被联系一次，仅用于获取您的联系方式，且不得告知债务",
    ),
    "US-7": (
        "you asked in writing to stop: communication has ended",
        "您已书面要求停止联系：联系已终止",
    ),
    "US-8": (
        "you forbade this medium or this number",
        "您已禁止使用该方式或该号码联系",
    ),
    "US-9": (
        "every text or email must carry a simple way to opt out",
        "每条短信或邮件都必须提供简单的退订方式",
    ),
    "US-14": (
        "unfair or abusive collection practices are forbidden",
        "禁止不公平或滥用的催收手段",
    ),
    "US-15": ("no more than 2 calls in 7 days (state rule)", "7天内致电不超过2次（州规定）"),
    "EU-6": (
        "no calls or visits at night, on Sundays or public holidays",
        "夜间、周日及公共假日不得致电或上门",
    ),
}


def rule_text(rule: str, lang: str) -> str:
    en, zh = RULE_TEXT.get(rule, (f"rule {rule}", f"规则 {rule}"))
    return zh if lang.lower().startswith("zh") else en
