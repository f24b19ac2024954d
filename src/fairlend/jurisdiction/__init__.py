"""Jurisdiction profiles: the regulatory numbers as data (see RULES.md)."""
