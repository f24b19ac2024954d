"""Partitioned batch work: end-of-day's partitions in-process by default, on Celery workers when a broker is set."""
