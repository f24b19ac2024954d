"""Storage: engines, the unit of work, shared tables (outbox, idempotency), migrations."""
