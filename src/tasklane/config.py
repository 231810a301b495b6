"""Settings: one pydantic-settings object, every field overridable by a TASKLANE_ variable."""

from __future__ import annotations

import secrets
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_LENGTH = 32


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TASKLANE_", env_file=".env", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    data_dir: Path = Path("data")
    database_url: str = ""
    """Empty means SQLite at <data_dir>/tasklane.db."""
    redis_url: str = ""
    secret_key: SecretStr | None = None
    """Signs access tokens and CSRF tokens. Required in production; generated in development."""

    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://127.0.0.1:8000"
    cookie_secure: bool | None = None
    """Mark cookies Secure; defaults to true when public_url is https."""

    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=30, ge=1, le=365)

    password_hash_time_cost: int = Field(default=3, ge=1)
    password_hash_memory_kib: int = Field(default=65536, ge=1024)
    password_hash_parallelism: int = Field(default=4, ge=1)
    password_hash_concurrency: int = Field(default=2, ge=1)
    """How many password hashes run at once; the rest wait, without holding a transaction."""

    login_failures_per_account: int = Field(default=5, ge=1)
    login_failures_per_address: int = Field(default=30, ge=1)
    login_failure_window_seconds: int = Field(default=60, ge=1)

    database_pool_size: int = Field(default=10, ge=1)
    sqlite_busy_timeout_ms: int = Field(default=10_000, ge=0)
    trash_retention_days: int = Field(default=30, ge=1)
    idempotency_retention_hours: int = Field(default=24, ge=1)
    log_level: str = "INFO"
    log_format: str = Field(default="auto", pattern="^(auto|json|console)$")
    """`auto`: JSON lines in production, readable lines otherwise."""
    slow_request_ms: int = Field(default=500, ge=1)
    """Requests slower than this are logged as warnings."""

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Self:
        if self.environment is Environment.PRODUCTION:
            if self.secret_key is None:
                raise ValueError("TASKLANE_SECRET_KEY must be set in production")
            if len(self.secret_key.get_secret_value()) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"TASKLANE_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters"
                )
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'tasklane.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.public_url.startswith("https://")

    @cached_property
    def signing_key(self) -> str:
        """The secret for tokens: configured, or generated once and kept in the data folder."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.touch(mode=0o600)
        path.write_text(key)
        return key
