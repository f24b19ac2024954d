from pathlib import Path

import pytest
from pydantic import ValidationError

from fairlend.config import Settings


def test_defaults_to_a_sqlite_file_in_the_data_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FAIRLEND_DATABASE_URL", raising=False)
    monkeypatch.setenv("FAIRLEND_DATA_DIR", str(tmp_path))
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == f"sqlite:///{tmp_path / 'fairlend.db'}"
    assert settings.jurisdiction == "cn"


def test_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAIRLEND_DATABASE_URL", "postgresql://postgres@127.0.0.1/test")
    monkeypatch.setenv("FAIRLEND_JURISDICTION", "us")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url.startswith("postgresql://") and settings.jurisdiction == "us"


def test_production_refuses_the_development_secrets() -> None:
    with pytest.raises(ValidationError, match="FAIRLEND_SECRET_KEY"):
        Settings(environment="production", _env_file=None)  # type: ignore[call-arg]


def test_production_runs_with_real_secrets() -> None:
    settings = Settings(
        environment="production",
        secret_key="s" * 40,
        pii_keys="k2:" + "A" * 43 + "=",
        blind_index_key="b" * 40,
        _env_file=None,  # type: ignore[call-arg]
    )
    assert settings.environment == "production"


def test_end_of_day_runs_in_one_partition_on_sqlite_and_sixteen_elsewhere_unless_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FAIRLEND_EOD_PARTITIONS", raising=False)
    sqlite = Settings(database_url="sqlite:///x.db", _env_file=None)  # type: ignore[call-arg]
    postgres = Settings(database_url="postgresql://postgres@127.0.0.1/test", _env_file=None)  # type: ignore[call-arg]
    assert (sqlite.eod_partition_count, postgres.eod_partition_count) == (1, 16)
    monkeypatch.setenv("FAIRLEND_EOD_PARTITIONS", "4")
    chosen = Settings(database_url="sqlite:///x.db", _env_file=None)  # type: ignore[call-arg]
    assert chosen.eod_partition_count == 4
    assert Settings(database_url="sqlite:///x.db", eod_partitions=16, _env_file=None).eod_partition_count == 16  # type: ignore[call-arg]
    # A small book closes in one transaction only while the count is left to the platform.
    assert (postgres.eod_single_below, chosen.eod_single_below) == (5000, 0)
