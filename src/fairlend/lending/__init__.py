"""Loans: products, schedules, the subledger, repayments, modifications and end-of-day."""
