"""The hardship fixtures (a delinquent loan on the real services, end-of-day with the plans' step) for the CLI."""

from tests.hardship.conftest import cash12, container, late_loan  # noqa: F401  (fixtures, by name)
