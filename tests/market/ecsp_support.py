"""An ECSP test profile (MK-4 switched on) over the retail marketplace of support.py, and an investor who passed."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from fairlend.jurisdiction.model import LocalText, Profile
from fairlend.market.ecsp import QUESTIONS
from tests.market.support import Market, p2p, yuan

RISK_WARNING = "An investment in a crowdfunding project includes the risk of losing the entirety of the money invested"
RIGHT_ANSWERS = {q.id: q.correct for q in QUESTIONS}


def ecsp(profile: Profile, **investors: object) -> Profile:
    """`p2p` with MK-4 on: warn above 1,000.00 or 5 % of net worth in one listing, 4 days to revoke."""
    retail = p2p(profile)
    changes: dict[str, object] = {
        "ecsp": True,
        "large_investment_minor": 100_000,
        "large_investment_share": Decimal("0.05"),
        "reflection_days": 4,
        "risk_warning": LocalText(en=RISK_WARNING, zh="投资众筹项目存在损失全部投资资金的风险"),
    }
    changes.update(investors)
    rules = replace(retail.marketplace.investors, **changes)  # type: ignore[arg-type]
    return replace(retail, marketplace=replace(retail.marketplace, investors=rules))


def passed_investor(world: Market, investor_id: str, cash: int, *, liquid: int = 100_000) -> str:
    """An investor who passed the entry test; net worth = 0 income + `liquid` yuan − 0 commitments."""
    world.investor(investor_id, cash=cash)
    world.market.safeguards.take_entry_test(
        investor_id, RIGHT_ANSWERS, yearly_income=yuan(0), liquid_assets=yuan(liquid), yearly_commitments=yuan(0)
    )
    return investor_id
