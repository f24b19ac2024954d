"""Settings, read from `FAIRLEND_*` environment variables (and a `.env` file).

Secrets have development defaults so that the quick start works, and refuse
to start with those defaults anywhere but development and test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "dev-only-secret-key-change-me"
# 32 bytes, base64: AES-256 key for personal data, development only.
DEV_PII_KEY = "ZGV2LW9ubHktcGlpLWtleS0zMi1ieXRlcy1sb25nISE="
DEV_BLIND_INDEX_KEY = "dev-only-blind-index-key"

Environment = Literal["development", "test", "production"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FAIRLEND_", env_file=".env", extra="ignore")

    environment: Environment = "development"
    data_dir: Path = Path("var")
    database_url: str = ""
    jurisdiction: str = "cn"
    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    # Keys for personal data at rest: "kid:base64key,kid2:base64key"; the first encrypts.
    pii_keys: SecretStr = SecretStr(f"k1:{DEV_PII_KEY}")
    blind_index_key: SecretStr = SecretStr(DEV_BLIND_INDEX_KEY)
    host: str = "127.0.0.1"
    port: int = 8000
    echo_sql: bool = False
    # How stale a running process's business date may be after `fairlend eod` ran in another one.
    business_date_refresh_seconds: float = Field(default=1.0, ge=0, le=3600)
    # The largest request body the API takes (a reporting file is the largest); bigger is 413.
    max_request_mb: int = Field(default=64, ge=1, le=4096)
    # How long an Idempotency-Key claim holds: a retry after it takes over a request that never took
    # effect, or learns that one did and its answer was lost (docs/api.md). Longer than any request.
    idempotency_lease_seconds: float = Field(default=60, gt=0, le=3600)
    # How long a key's stored answer is kept: a replay within it gets the first answer, a key older
    # than it is forgotten by end-of-day (the stored answers are personal data, kept no longer than
    # clients retry). Clients must not reuse a key after this (docs/api.md).
    idempotency_retention_days: int = Field(default=30, ge=1, le=3650)
    # How long end-of-day waits for transactions older than its own to finish before it reads the day's
    # outbox (db/outbox.py `settle`); past it their events go in the next day's reporting file.
    eod_settle_seconds: float = Field(default=10.0, ge=0, le=10)
    # End-of-day's partitions of the book (docs/scale-out.md): 1 closes a date in one transaction; more run
    # the per-borrower steps one partition per transaction, in-process or, with a broker, on workers.
    # Unset: 1 on SQLite (one writer: partitions only add commits and re-reads, 2-4x slower,
    # docs/performance.md), 16 elsewhere (partitions run in parallel on workers).
    eod_partitions: int | None = Field(default=None, ge=1, le=1024)
    # With `eod_partitions` unset and no broker, a date whose book holds fewer active loans than this closes
    # in one transaction: in-process partitions run one after another and each costs its steps' statements
    # and a commit (16 of them outweigh a small book's whole date). 0: always partition.
    eod_single_below_loans: int = Field(default=5000, ge=0)
    # A Celery broker (amqp://user:password@host:5672//): `fairlend eod` then has `fairlend worker`
    # processes run the partitions. Empty: in-process.
    broker_url: str = ""
    # The broker's queue for end-of-day's partitions, and how long `fairlend eod` waits for them.
    eod_queue: str = "fairlend.eod"
    eod_wait_seconds: float = Field(default=3600.0, gt=0)
    # One-time codes cost a text each: how many one client (an address) may have sent an hour and a
    # day, and how many the whole platform may send an hour (identity/otp.py, SMS pumping).
    otp_client_sends_per_hour: int = Field(default=10, ge=1)
    otp_client_sends_per_day: int = Field(default=30, ge=1)
    otp_sends_per_hour: int = Field(default=10_000, ge=1)
    # Investors' deposits and withdrawals (market/rail.py): "dev" settles at once, "dev-failing" refuses
    # every movement (to try the failure paths), "none" answers 503 payment_rail_not_wired. Unset: "dev",
    # and "none" in production until a real rail is wired. Production never takes a development rail.
    payment_rail: Literal["dev", "dev-failing", "none"] | None = None
    # Under a Metro 2 profile (`us`), what fairlend furnishes each day (docs/metro2.md): its JSON file,
    # the Metro 2 file instead (sent to the bureau in its place), or both (Metro 2 kept, JSON sent).
    bureau_file_format: Literal["json", "metro2", "both"] = "json"
    # The Metro 2 header's furnisher identity and the bureaus' program identifiers (CRRG header record).
    metro2_identification_number: str = Field(default="", max_length=20)
    metro2_reporter_name: str = Field(default="FAIRLEND", max_length=40)
    metro2_reporter_address: str = Field(default="", max_length=96)
    metro2_reporter_telephone: int = Field(default=0, ge=0, le=9_999_999_999)
    metro2_equifax_program: str = Field(default="", max_length=10)
    metro2_experian_program: str = Field(default="", max_length=5)
    metro2_transunion_program: str = Field(default="", max_length=10)
    metro2_innovis_program: str = Field(default="", max_length=10)

    @model_validator(mode="after")
    def _defaults_and_secrets(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'fairlend.db'}"
        if self.environment == "production":
            defaults = {
                "FAIRLEND_SECRET_KEY": self.secret_key.get_secret_value() == DEV_SECRET_KEY,
                "FAIRLEND_PII_KEYS": DEV_PII_KEY in self.pii_keys.get_secret_value(),
                "FAIRLEND_BLIND_INDEX_KEY": self.blind_index_key.get_secret_value() == DEV_BLIND_INDEX_KEY,
            }
            if self.payment_rail in ("dev", "dev-failing"):
                raise ValueError(
                    "refusing to run in production with a development payment rail (FAIRLEND_PAYMENT_RAIL)"
                )
            still_default = [name for name, is_default in defaults.items() if is_default]
            if still_default:
                raise ValueError("refusing to run in production with development secrets: " + ", ".join(still_default))
        return self

    @property
    def is_development(self) -> bool:
        return self.environment == "development"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def eod_partition_count(self) -> int:
        if self.eod_partitions is not None:
            return self.eod_partitions
        return 1 if self.is_sqlite else 16

    @property
    def eod_single_below(self) -> int:
        """The active loans under which in-process partitions give way to one transaction (0: never)."""
        return 0 if self.eod_partitions is not None else self.eod_single_below_loans
