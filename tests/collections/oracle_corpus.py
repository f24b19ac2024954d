"""The oracle's labelled corpus: what each text really says, as a person reads it.

Every free text the fuzz sends comes from here, and carries labels of its
meaning: `debt` (tells of a debt), `threat`, `false_authority`, `exposure`,
`family_or_employer`, `abuse`, `opt_out` (a simple way to stop the messages).
The oracle reads these labels and never a word list: a text that says "you
will spend the night behind bars" is a threat whether or not a profile lists
those words. Spans in [brackets] are what a determined collector disguises
(spacing, punctuation or zero-width characters inside the word, full-width or
Cyrillic look-alike letters, digits for letters); the disguise changes the
letters, never the meaning, so the labels stay.

The approved templates are labelled here too, from the text in cn.toml and
us.toml (rendered in the profile's language: cn in Chinese, us in English);
`check_templates_unchanged` fails when a profile's wording changes, so the
labels are read again rather than trusted blindly.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from fairlend.jurisdiction.model import Profile

DEBT = "debt"
THREAT = "threat"
AUTHORITY = "false_authority"
EXPOSURE = "exposure"
FAMILY = "family_or_employer"
ABUSE = "abuse"
OPT_OUT = "opt_out"
PROHIBITED = frozenset({THREAT, AUTHORITY, EXPOSURE, FAMILY, ABUSE})


@dataclass(frozen=True, slots=True)
class Text:
    body: str  # with [spans] a collector may disguise
    labels: frozenset[str]
    note: str = ""  # why the labels are what they are, where it is not obvious


def _t(body: str, *labels: str, note: str = "") -> Text:
    return Text(body, frozenset(labels), note)


# -- what collectors write: the body of a message -------------------------------------------------

BODIES: tuple[Text, ...] = (
    # English, nothing but a request to call back
    _t("Hi, this is fairlend. Please call us back when you have a moment."),
    _t("Hello from fairlend. We tried to reach you today; call us at your convenience."),
    _t("Good morning. Could you give fairlend a call back today? Thanks."),
    # English, the debt, said plainly or a little less plainly
    _t("Your [payment] of $120.00 is [overdue]. Please call us today.", DEBT),
    _t("You still [owe] us $80 on your [loan].", DEBT),
    _t("Your account is 12 days [past due]; please call fairlend.", DEBT),
    _t("We have not received this month's [installment] yet.", DEBT),
    _t("Please settle the $45.10 that is still open on your account.", DEBT, note="'still open on your account'"),
    _t("Tell Sam he has to pay us back the money he borrowed.", DEBT, note="a debt told without a listed word"),
    _t("Please remind Sam that the money he borrowed from fairlend was due last week.", DEBT),
    _t("Thanks for your interest in fairlend.", note="'interest' here is not a loan's interest"),
    # English, threats
    _t("Pay today or you will go to [jail].", DEBT, THREAT),
    _t("If you do not [pay], we will have you [arrested].", DEBT, THREAT),
    _t("You will be [locked up] if this goes on.", THREAT),
    _t("We know where you live.", THREAT),
    _t("We will [sue] you next week.", THREAT),
    _t("A [warrant] is being prepared in your name.", THREAT),
    _t("You'll be spending the night behind bars.", THREAT, note="paraphrase: no listed word"),
    _t("Officers are on their way to pick you up.", THREAT, AUTHORITY, note="paraphrase"),
    _t("Think about what could happen to you on your way home tonight.", THREAT, note="paraphrase"),
    _t("We will take your car and everything in your flat.", THREAT, note="paraphrase of seizure"),
    _t("You will [regret] ignoring us.", THREAT),
    # English, false authority
    _t("This is Officer Brown from the [police] department.", AUTHORITY),
    _t("Our [attorney] is preparing papers against you.", AUTHORITY, THREAT),
    _t("The [sheriff] will deliver the papers on Monday.", AUTHORITY, THREAT),
    _t("This is agent Miller with the [federal] recovery office.", AUTHORITY),
    _t("Message from the county [court] clerk regarding your file.", AUTHORITY),
    _t("I am calling from the district prosecutor's office.", AUTHORITY, note="'prosecutor's' is not 'prosecutor'"),
    # English, exposure
    _t("We will post your name on [social media].", EXPOSURE),
    _t("Everyone in your [contact list] will hear about your [debt].", EXPOSURE, DEBT),
    _t("We'll let the whole neighbourhood know you don't pay your bills.", EXPOSURE, DEBT, note="paraphrase"),
    _t("Your photo will be on a poster in your building's lobby.", EXPOSURE, note="paraphrase"),
    _t("We will [publish] your details online.", EXPOSURE),
    # English, family or employer as pressure
    _t("We will call your [wife] next.", FAMILY),
    _t("We will visit your [workplace] tomorrow.", FAMILY, THREAT),
    _t("Your [boss] will hear from us.", FAMILY, EXPOSURE),
    _t("Your mother-in-law picked up last time; shall we call her again?", FAMILY, note="not 'your mother'"),
    _t("We are going to make your whole office hear about this.", FAMILY, EXPOSURE, note="'whole office'"),
    _t("Your kids' school has a phone number too.", FAMILY, THREAT, note="paraphrase"),
    # English, abuse
    _t("You [deadbeat], pay up.", ABUSE, DEBT),
    _t("Listen, you worthless [idiot].", ABUSE),
    _t("You lowlife, answer your phone.", ABUSE, note="not in a list"),
    _t("What a [pathetic] excuse for a person.", ABUSE),
    # English, benign text that holds a listed word
    _t("Our office is closed for the public holiday; call us on Monday.", note="'public' is not exposure"),
    _t("Please call us from your workplace phone if that is easier for you.", note="an offer, not pressure"),
    _t("We have a family of payment options; ask us about them.", DEBT, note="'family' is not a person"),
    # Chinese, a request to call back
    _t("您好，这里是fairlend，请您方便时回电。"),
    _t("您好，我们今天没能联系上您，请回电。"),
    # Chinese, the debt
    _t("您的[借款]已[逾期]5天，请尽快处理。", DEBT),
    _t("您本月的[账单]还未结清。", DEBT),
    _t("请转告张三，他在我们这里的钱该还了。", DEBT, note="no listed word: 钱该还了"),
    _t("请通知李四尽快把欠我们的钱结清。", DEBT, note="欠我们的钱"),
    # Chinese, threats
    _t("再不还钱就让你[坐牢]。", DEBT, THREAT),
    _t("后果[自负]，别说没提醒你。", THREAT),
    _t("小心做牢。", THREAT, note="homophone of 坐牢"),
    _t("我们会让你进去蹲几年。", THREAT, note="paraphrase"),
    _t("明天就有人[上门找你]。", THREAT),
    _t("你出门最好小心点。", THREAT, note="paraphrase"),
    # Chinese, false authority
    _t("我们是[公安]局的，请配合调查。", AUTHORITY),
    _t("[法院]已经受理了你的案子。", AUTHORITY, THREAT),
    _t("[律师]函已经发出。", AUTHORITY, THREAT),
    _t("这里是经侦大队，请立即回电。", AUTHORITY, note="paraphrase: economic crimes police"),
    # Chinese, exposure
    _t("不还就[爆通讯录]。", EXPOSURE, DEBT),
    _t("你的照片会出现在每个小区的公告栏上。", EXPOSURE, note="paraphrase"),
    _t("我们会把你的事[发到网上]。", EXPOSURE),
    # Chinese, family or employer
    _t("让你[全家]都知道。", EXPOSURE, FAMILY),
    _t("已经联系你[妈妈]了。", FAMILY),
    _t("明天去你[单位]找你。", FAMILY, THREAT),
    _t("你们老板的电话我们也有。", FAMILY, THREAT, note="paraphrase"),
    # Chinese, abuse
    _t("[老赖]，赶紧还钱。", ABUSE, DEBT),
    _t("你这个[废物]。", ABUSE),
    _t("真是没脸没皮。", ABUSE, note="paraphrase"),
    # Mixed languages
    _t("Pay now, 否则[坐牢]。", DEBT, THREAT),
    _t("你的loan已经overdue了，请call back。", DEBT),
    _t("We will tell your 老板 tomorrow.", FAMILY, EXPOSURE),
    _t("[警察] will come to your home.", AUTHORITY, THREAT),
)

# What follows a body: an opt-out as people word it, or none, or one that only looks like one.
OPT_OUTS: tuple[Text, ...] = (
    _t("Reply STOP to opt out.", OPT_OUT),
    _t("Text STOP to opt out.", OPT_OUT),
    _t("txt stop to end", OPT_OUT),
    _t("Reply STOP to unsubscribe.", OPT_OUT),
    _t("To opt out, reply STOP.", OPT_OUT),
    _t("Opt-out: reply STOP.", OPT_OUT),
    _t("opt-out anytime by replying STOP", OPT_OUT, note="hyphenated, 'replying'"),
    _t("Reply END to stop these texts.", OPT_OUT),
    _t("Don't want these texts? Reply STOP.", OPT_OUT),
    _t("Send STOP to cancel.", OPT_OUT),
    _t("Unsubscribe: https://fairlend.example/u", OPT_OUT),
    _t("Reply QUIT to stop receiving messages.", OPT_OUT, note="QUIT is a standard opt-out keyword"),
    _t("回复T退订", OPT_OUT),
    _t("回复TD退订", OPT_OUT),
    _t("退订回T", OPT_OUT),
    _t("拒收请回复R", OPT_OUT),
    _t("如不想再收到短信，请回复TD", OPT_OUT),
    _t("回N退订", OPT_OUT),
    # No opt-out at all, and a few that only look like one.
    _t(""),
    _t(""),
    _t(""),
    _t("You cannot opt out of these messages.", note="names opt-out, offers none"),
    _t("Replying STOP will not stop these messages.", note="names STOP, offers none"),
    _t("退订无效。", note="says unsubscribing does not work"),
)

# -- disguises: what a collector does to a listed word --------------------------------------------

_CYRILLIC = str.maketrans({"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і", "j": "ј"})
_LEET = str.maketrans({"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7", "l": "1"})
ZERO_WIDTH = "\u200b"


def _fullwidth(s: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ("\u3000" if ch == " " else ch) for ch in s)


def _spaced(s: str) -> str:
    return "   ".join(" ".join(word) for word in s.split(" "))


def _dotted(s: str) -> str:
    return " ".join(".".join(word) for word in s.split(" "))


def _starred(s: str) -> str:
    return " ".join("*".join(word) for word in s.split(" "))


def _zero_width(s: str) -> str:
    return ZERO_WIDTH.join(s)


def _leet(s: str) -> str:
    # One or two letters become digits, as "ja1l" or "0verdue": the word stays readable.
    letters = [i for i, ch in enumerate(s) if ch.lower() in "aeiostl"]
    chars = list(s)
    for i in letters[:2]:
        chars[i] = chars[i].lower().translate(_LEET)
    return "".join(chars)


def _cyrillic(s: str) -> str:
    return s.lower().translate(_CYRILLIC)


def _shout(s: str) -> str:
    return s.upper()


DISGUISES = {
    "plain": lambda s: s,
    "spaced": _spaced,
    "dotted": _dotted,
    "starred": _starred,
    "fullwidth": _fullwidth,
    "zero_width": _zero_width,
    "cyrillic": _cyrillic,
    "leet": _leet,
    "shout": _shout,
}
_SPAN = re.compile(r"\[([^\]]+)\]")


def disguise(body: str, how: str) -> str:
    """The body with every [span] disguised one way (Chinese spans take only the ways that apply)."""

    def one(match: re.Match[str]) -> str:
        span = match.group(1)
        chinese = any("\u4e00" <= ch <= "\u9fff" for ch in span)
        if chinese and how in ("cyrillic", "leet", "shout"):
            return span
        return DISGUISES[how](span)

    return _SPAN.sub(one, body)


@dataclass(frozen=True, slots=True)
class FreeText:
    text: str
    labels: frozenset[str]
    source: str  # which corpus entries and disguise: enough to find the case again


def free_text(rng: random.Random) -> FreeText:
    body_i = rng.randrange(len(BODIES))
    tail_i = rng.randrange(len(OPT_OUTS))
    body, tail = BODIES[body_i], OPT_OUTS[tail_i]
    how = "plain" if rng.random() < 0.45 else rng.choice(tuple(DISGUISES))
    text = disguise(body.body, how)
    if tail.body:
        text = f"{text} {tail.body}"
    return FreeText(text, body.labels | tail.labels, f"body#{body_i} tail#{tail_i} {how}")


def all_free_texts() -> list[FreeText]:
    """Every body with every tail and every disguise: the whole corpus, for a deterministic sweep."""
    out = []
    for bi, body in enumerate(BODIES):
        for how in DISGUISES:
            for ti, tail in enumerate(OPT_OUTS):
                text = disguise(body.body, how)
                out.append(
                    FreeText(
                        f"{text} {tail.body}" if tail.body else text,
                        body.labels | tail.labels,
                        f"body#{bi} tail#{ti} {how}",
                    )
                )
    return out


# -- the approved templates, labelled from the profiles' text --------------------------------------

# (template id, language) -> (the text as labelled, its labels). A template carries no prohibited
# content (the loader refuses one); what differs is whether it tells of the debt and has an opt-out.
TEMPLATE_LABELS: dict[tuple[str, str], tuple[str, frozenset[str]]] = {
    ("reminder", "zh"): (
        "fairlend：温馨提示，您的本期账单即将到期，请按时还款。回复TD退订",
        frozenset({DEBT, OPT_OUT}),
    ),
    ("reminder", "en"): (
        "fairlend: a reminder that your next installment is due soon. Reply STOP to opt out.",
        frozenset({DEBT, OPT_OUT}),
    ),
    ("gentle_reminder", "zh"): (
        "fairlend：您有{amount}已逾期{dpd}天，请尽快处理；逾期信息将按规定报送征信机构。回复TD退订",
        frozenset({DEBT, OPT_OUT}),
    ),
    ("gentle_reminder", "en"): (
        "fairlend: your payment of {amount} is {dpd} days overdue. If it stays unpaid, the overdue will be "
        "reported to the credit bureau. Reply STOP to opt out.",
        frozenset({DEBT, OPT_OUT}),
    ),
    ("collection", "zh"): (
        "fairlend来电：您的借款有逾期金额{amount}，请与我们协商还款。回复TD退订",
        frozenset({DEBT, OPT_OUT}),
    ),
    ("collection", "en"): (
        "fairlend calling about the overdue amount of {amount} on your loan. Reply STOP to opt out.",
        frozenset({DEBT, OPT_OUT}),
    ),
    ("formal_letter", "zh"): (
        "fairlend正式通知：您有{amount}已逾期{dpd}天，请与我们联系协商还款计划。",
        frozenset({DEBT}),
    ),
    ("formal_letter", "en"): (
        "Formal notice from fairlend: {amount} is overdue by {dpd} days. Write to us to agree a plan.",
        frozenset({DEBT}),
    ),
    ("credit_report_notice", "zh"): ("fairlend：依照规定告知您，逾期金额{amount}将报送征信机构。", frozenset({DEBT})),
    ("credit_report_notice", "en"): (
        "fairlend: as the law requires, we tell you that the overdue amount of {amount} will be reported to the "
        "credit bureau.",
        frozenset({DEBT}),
    ),
    ("cease_confirmation", "zh"): ("fairlend：已收到您的请求，我们将停止联系您。回复TD退订", frozenset({OPT_OUT})),
    ("cease_confirmation", "en"): (
        "fairlend: we have recorded your request and will stop contacting you. Reply STOP to opt out.",
        frozenset({OPT_OUT}),
    ),
    ("contact_consent", "zh"): (
        "【fairlend】验证码{code}：有人在fairlend指定您为紧急联系人，输入验证码即表示您同意；不同意请忽略。回复TD退订",
        frozenset({OPT_OUT}),
    ),
    ("contact_consent", "en"): (
        "fairlend code {code}: someone named you as their contact person on fairlend. Entering the code means "
        "you agree; ignore this if you do not. Reply STOP to opt out.",
        frozenset({OPT_OUT}),
    ),
    ("restore_contact", "zh"): ("您好，这里是fairlend，请转告{name}回电。回复TD退订", frozenset({OPT_OUT})),
    ("restore_contact", "en"): (
        "Hello, this is fairlend. Please ask {name} to call us back. Reply STOP to opt out.",
        frozenset({OPT_OUT}),
    ),
    ("location_inquiry", "zh"): (
        "您好，这里是fairlend，我们正在核实{name}的联系方式。回复TD退订",
        frozenset({OPT_OUT}),
    ),
    ("location_inquiry", "en"): (
        "Hello, this is fairlend. We are trying to confirm contact details for {name}. Reply STOP to opt out.",
        frozenset({OPT_OUT}),
    ),
    ("plan_reminder", "zh"): (
        "fairlend：温馨提示，您的协商还款计划本期应还{due_amount}，还款日{due_date}。感谢您按计划还款。回复TD退订",
        frozenset({DEBT, OPT_OUT}),
    ),
    ("plan_reminder", "en"): (
        "fairlend: a reminder of the repayment plan you agreed: {due_amount} is due on {due_date}. Thank you for "
        "keeping to it. Reply STOP to opt out.",
        frozenset({DEBT, OPT_OUT}),
    ),
}


def language(profile: Profile) -> str:
    """The language the gateway renders a profile's templates in: its locale's."""
    return "zh" if profile.locale.lower().startswith("zh") else "en"


def template_labels(profile: Profile, template_id: str) -> frozenset[str]:
    return TEMPLATE_LABELS[(template_id, language(profile))][1]


def check_templates_unchanged(profile: Profile) -> list[str]:
    """Templates whose profile text is not the text labelled here (label them again), or not labelled at all."""
    changed = []
    for template in profile.collections.content.templates:
        for lang in ("zh", "en"):
            labelled = TEMPLATE_LABELS.get((template.id, lang))
            if labelled is None or labelled[0] != getattr(template, lang):
                changed.append(f"{profile.code}:{template.id}:{lang}")
    return changed
