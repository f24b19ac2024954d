"""The double-entry ledger: chart of accounts, journal entries, balances."""
