"""Hardship plans: a borrower's request, an operator's proposal, the new schedule, keeping and breaking."""
