"""Every context's tables, loaded onto the one metadata.

Each context adds its tables module here; migrations' autogenerate and the
schema test (migrations produce exactly these tables) read the full metadata.
"""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from fairlend.db.metadata import metadata

TABLE_MODULES = (
    "fairlend.db.tables",
    "fairlend.ledger.tables",
    "fairlend.bureau.tables",
    "fairlend.lending_reporting.tables",
    "fairlend.scoring.tables",
    "fairlend.origination.tables",
    "fairlend.identity.tables",
    "fairlend.collections.tables",
    "fairlend.lending.tables",
    "fairlend.market.tables",
    "fairlend.market.distribution_tables",
    "fairlend.hardship.tables",
    "fairlend.finance.tables",
    "fairlend.analytics.tables",
)


def load_all() -> MetaData:
    for module in TABLE_MODULES:
        importlib.import_module(module)
    return metadata
