"""Identity: accounts, roles, one-time codes, KYC, consent, personal data."""
