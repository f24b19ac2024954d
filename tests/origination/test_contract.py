"""The contract text and its fingerprint: one function of the offer's terms, in both languages."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from fairlend.money import Money
from fairlend.origination.contract import CONTRACT_VERSION, ContractTerms, clauses, fingerprint
from fairlend.origination.model import Installment, Quote


def _terms(**changes: object) -> ContractTerms:
    cny = "CNY"
    schedule = tuple(
        Installment(n, date(2026, 3 + n, 2), Money(25_000, cny), Money(4_500 - n * 300, cny), Money(0, cny))
        for n in range(1, 5)
    )
    quote = Quote(Money(100_000, cny), 4, Decimal("0.18"), Decimal("0.2312"), Money(5_000, cny), schedule)
    return replace(ContractTerms("fairlend", "brw_1", quote, 3, "contract_1"), **changes)  # type: ignore[arg-type]


def test_both_languages_state_the_amount_rates_fee_and_collection_start() -> None:
    terms = _terms()
    for lang, fee, start in (("en", "CN¥50.00", "more than 3 days overdue"), ("zh-CN", "¥50.00", "逾期超过 3 天前")):
        text = " ".join(c.heading + c.text for c in clauses(terms, lang))
        assert "18.00%" in text and "23.12%" in text and fee in text and start in text
    assert "通讯录" in " ".join(c.text for c in clauses(terms, "zh-CN"))


def test_the_fingerprint_changes_with_every_term_and_the_text_version() -> None:
    base = fingerprint(_terms())
    quote = _terms().quote
    changed = [
        _terms(quote=replace(quote, apr=Decimal("0.2313"))),
        _terms(quote=replace(quote, fee=Money(5_001, "CNY"))),
        _terms(quote=replace(quote, installments=quote.installments[:-1])),
        _terms(collection_start_dpd=1),
        _terms(contract_id="contract_2"),
        _terms(version=CONTRACT_VERSION + "-b"),
        _terms(lender="other"),
    ]
    assert all(fingerprint(t) != base for t in changed)
    assert fingerprint(_terms()) == base  # and it is deterministic
