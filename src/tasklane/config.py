"""Settings: one pydantic-settings object, every field overridable by a TASKLANE_ variable."""

from __future__ import annotations

import ipaddress
import os
import secrets
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MIN_SECRET_LENGTH = 32


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class SignupMode(StrEnum):
    OPEN = "open"
    """Anyone can create an account."""
    INVITE = "invite"
    """Only an e-mail address with a pending workspace invitation."""
    CLOSED = "closed"
    """Nobody (accounts come from `tasklane create-user`)."""


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
    workers: int | None = Field(default=None, ge=1, le=1024)
    """Server processes `serve` runs (its `--workers` wins); empty: one per CPU core
    available to it. Each has its own socket on the port (SO_REUSEPORT)."""
    public_url: str = "http://127.0.0.1:8000"
    cookie_secure: bool | None = None
    """Mark cookies Secure; defaults to true when public_url is https."""
    webauthn_rp_id: str = ""
    """The passkeys' relying party: a domain (WebAuthn takes no IP address). Empty: the host
    of public_url, or `localhost` when that is an IP address."""
    webauthn_origin: str = ""
    """The origin browsers sign passkey ceremonies for. Empty: public_url's, with `localhost`
    for an IP address (so `make run` takes passkeys at http://localhost:8000)."""

    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    signed_in_cache_seconds: float = Field(default=5, ge=0, le=60)
    """How long a process trusts a sign-in session it checked, so a caller's requests in that
    time skip the check's statement; 0 checks on every request. A session ended (sign-out, a
    password change) stops working at once in the process that ended it, and within this
    many seconds in the others."""
    page_cache_mb: float = Field(default=32, ge=0, le=4096)
    """Memory each process may give to rendered pages of project task lists, kept while the
    project's latest event (and its workspace's) is still the latest; 0 turns it off."""

    # argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane); hashes made with other
    # parameters are upgraded at the next successful sign-in.
    password_hash_time_cost: int = Field(default=2, ge=1)
    password_hash_memory_kib: int = Field(default=19 * 1024, ge=1024)
    password_hash_parallelism: int = Field(default=1, ge=1)
    password_hash_concurrency: int | None = Field(default=None, ge=1)
    """How many new-password hashes (sign-up, password change) run at once; the rest wait,
    without holding a transaction. Empty: half the CPU cores, at least 1."""
    password_verify_concurrency: int | None = Field(default=None, ge=1)
    """How many sign-in password checks run at once, in their own slots so sign-ups never
    delay them. Empty: the number of CPU cores."""

    login_failures_per_account: int = Field(default=5, ge=1)
    """Failed sign-ins (and wrong current passwords) per account from one address per window;
    past it that address gets 429 for that account. The owner elsewhere is not affected."""
    login_failures_per_account_total: int = Field(default=100, ge=1)
    """Failed sign-ins per account from all addresses per window; past it every attempt on the
    account is slowed by `login_slowdown_seconds`, never refused."""
    login_slowdown_seconds: float = Field(default=1.0, ge=0, le=30)
    login_failures_per_address: int = Field(default=30, ge=1)
    login_failure_window_seconds: int = Field(default=60, ge=1)
    signups_per_address: int = Field(default=60, ge=1)
    signup_window_seconds: int = Field(default=3600, ge=1)
    """Sign-ups allowed from one address per window; beyond it 429 (off when
    `rate_limit_enabled` is false)."""
    trusted_proxies: Annotated[list[str], NoDecode] = []
    """Addresses or networks (comma-separated, like `10.0.0.1, 10.1.0.0/16`) of the reverse
    proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed; empty: nobody's."""

    database_pool_size: int = Field(default=10, ge=1)
    database_pool_timeout_seconds: float = Field(default=30, gt=0, le=600)
    """How long a request waits for a database connection of this process (on SQLite: for its
    turn at the one writer connection) before it is answered 503 `database_busy`."""
    sqlite_busy_timeout_ms: int = Field(default=10_000, ge=0)
    signup: SignupMode = SignupMode.OPEN
    """Who may create an account through the API and the sign-up page."""
    oidc_issuer: str = ""
    """Single sign-on (OpenID Connect): the provider's issuer URL; empty turns SSO off. Its
    endpoints and keys come from `<issuer>/.well-known/openid-configuration`."""
    oidc_client_id: str = ""
    oidc_client_secret: SecretStr | None = None
    oidc_display_name: str = Field(default="SSO", min_length=1, max_length=60)
    """The sign-in button reads "Sign in with <this>"."""
    oidc_scopes: str = "openid email profile"
    oidc_create_accounts: bool = True
    """Create an account at a first SSO sign-in (whatever `signup` says: the provider decides
    who signs in). Off: only people who already have an account may use SSO."""
    oidc_trust_mfa: bool = False
    """Take the provider's word (an `amr` claim naming a second factor) that it asked for one,
    instead of asking for the account's own code after SSO."""
    trash_retention_days: int = Field(default=30, ge=1)
    idempotency_retention_hours: int = Field(default=24, ge=1)
    log_level: str = "INFO"
    log_format: str = Field(default="auto", pattern="^(auto|json|console)$")
    """`auto`: JSON lines in production, readable lines otherwise."""
    slow_request_ms: int = Field(default=500, ge=1)
    """Requests slower than this are logged as warnings."""
    metrics_token: SecretStr | None = None
    """When set, `/metrics` answers only scrapers sending `Authorization: Bearer <token>`. In
    production, `/metrics` is not served at all without one."""
    web_dir: Path | None = None
    """The web app's production build; empty means web/dist in the source tree."""
    gc_young_threshold: int = Field(default=25_000, ge=0)
    """Allocations between the garbage collector's young collections (Python's default is
    700), set with the older generations' thresholds at 20 when the app starts; 0 leaves
    Python's. At 700, objects of requests still in flight were promoted again and again, and
    under the benchmark's mixed load each server ran a full collection of its heap about every
    10 s, stopping its event loop for 125-235 ms each time; at 25,000 none ran."""

    # --- live updates and the worker ---
    run_worker: bool = True
    """Run the worker (event dispatch, jobs) inside `serve`. Set false when separate
    `tasklane worker` processes run it (`serve --no-worker` does)."""
    redis_prefix: str = Field(default="tasklane", pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    """Prefix of every Redis key and channel, so several installations can share a Redis."""
    replay_limit: int = Field(default=1000, ge=1, le=100_000)
    """Most events replayed to a reconnecting WebSocket client; beyond that it reloads."""
    presence_grace_seconds: float = Field(default=10, ge=0, le=300)
    """How long a viewer whose connection dropped stays in presence lists."""
    heartbeat_seconds: float = Field(default=25, gt=0, le=300)
    session_check_seconds: float = Field(default=60, gt=0, le=3600)
    """How often an open WebSocket re-checks that its sign-in session is still valid."""
    ws_ping_seconds: float = Field(default=20, gt=0, le=300)
    """WebSocket protocol pings; a connection that does not answer within this is closed."""
    ws_max_per_user: int = Field(default=20, ge=1, le=10_000)
    """Open WebSockets one user may hold (all their tabs and devices); one more is refused
    with close code 4409. Counted across processes through Redis when it is configured."""
    ws_max_per_address: int = Field(default=50, ge=1, le=100_000)
    """Open WebSockets from one client address (all users), refused beyond like the above."""
    notification_coalesce_seconds: float = Field(default=120, ge=0, le=3600)
    """A change by the same person to the same task within this many seconds of the last one
    folds into its still-unread notification instead of adding another (0: never)."""
    smtp_url: SecretStr = SecretStr("")
    """Where e-mail goes: smtp://, smtps:// (TLS from the start) or smtp+starttls://, with the
    user and password in the URL (percent-encoded). Empty: mail is written to the log."""
    mail_from: str = "Tasklane <tasklane@localhost>"
    """The From of every mail Tasklane sends."""
    webhook_allow_private: bool = False
    """Let webhooks call loopback, private, link-local and cloud-metadata addresses (tests, a
    receiver on the same host). Off, those are refused at registration and at each delivery."""
    webhook_timeout_seconds: float = Field(default=10, gt=0, le=60)
    webhook_retry_seconds: float = Field(default=10, gt=0)
    """The first retry's delay; each next one doubles (with jitter), up to an hour."""
    webhook_give_up_hours: float = Field(default=24, gt=0)
    """A message that has failed for this long is given up, and its webhook disabled (its
    workspace's admins are told)."""
    dispatch_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    """Fallback poll of the event log when no wake-up arrives (another process, the CLI)."""
    dispatch_save_seconds: float = Field(default=1.0, ge=0, le=60)
    """SQLite: how often a consumer's position is written while events keep coming (at most
    once per this many seconds; at once when the dispatcher stops). A crash hands the events of
    the last interval over again, which consumers tolerate. 0: after every batch."""
    job_lease_seconds: int = Field(default=60, ge=5, le=3600)
    job_backoff_seconds: float = Field(default=5, gt=0)
    job_backoff_max_seconds: float = Field(default=3600, gt=0)
    worker_concurrency: int = Field(default=4, ge=1, le=64)
    shutdown_grace_seconds: float = Field(default=20, ge=0, le=600)
    """On SIGTERM, how long running jobs may finish before they are released for retry."""

    # --- scheduled backups (tasklane.archive.backup) ---
    backup_cron: str = ""
    """When the worker makes a backup, as a cron expression in UTC (`0 3 * * *`: every night
    at 03:00); empty: never. Each goes to a new folder under `backup_dir`."""
    backup_dir: Path | None = None
    """Where scheduled backups go; empty: `<data_dir>/backups`."""
    backup_keep: int = Field(default=7, ge=1, le=1000)
    """How many scheduled backups are kept; older ones are removed after each new one."""

    # --- workspace archives through the API (tasklane.archive.service) ---
    archive_max_upload_bytes: int = Field(default=1024**3, ge=1024, le=1024**4)
    """The largest workspace archive an upload (`POST /workspaces/imports`) takes; a larger
    one is refused with 413 before it is stored."""
    archive_max_expanded_bytes: int = Field(default=32 * 1024**3, ge=1024, le=64 * 1024**4)
    """What an uploaded archive may hold once uncompressed (its rows and files); an import
    that reads past it stops, changing nothing (a small file that unpacks to a huge one)."""
    archive_keep: int = Field(default=3, ge=1, le=20)
    """Finished exports kept per workspace: making one more removes the oldest."""
    archive_retention_days: int = Field(default=7, ge=1, le=365)
    """Exports, and the record of imports, are removed this many days after they were made."""

    # --- project imports (tasklane.imports) ---
    import_max_file_bytes: int = Field(default=50 * 1024**2, ge=64 * 1024, le=1024**3)
    """The largest file a project import (`POST /projects/{id}/imports`: CSV, a Trello
    board's JSON, a Jira CSV) takes; a larger one is refused with 413 before it is stored."""

    # --- attachments (tasklane.attachments) ---
    storage_url: str = Field(
        default="", pattern=r"^(|s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?)$"
    )
    """Where attachments are kept: empty for a folder under the data folder, or
    `s3://bucket/prefix` for any S3-compatible store (with the settings below)."""
    storage_endpoint_url: str = ""
    """The S3 endpoint (MinIO, Garage, R2, a moto server...); empty: AWS's for the region."""
    storage_region: str = "us-east-1"
    storage_access_key_id: str = ""
    """Empty: the usual AWS credential chain (environment, profile, instance role)."""
    storage_secret_access_key: SecretStr | None = None
    max_upload_bytes: int = Field(default=25 * 1024 * 1024, ge=1, le=5 * 1024**3)
    """The largest attachment; a larger upload is refused with 413 before it is stored."""
    max_attachments_per_task: int = Field(default=100, ge=1, le=1000)
    workspace_storage_quota_mb: float = Field(default=10 * 1024, ge=0)
    """What a workspace's attachments may take in all; an upload past it is refused (413).
    0: no quota."""
    attachment_link_seconds: int = Field(default=300, ge=10, le=24 * 3600)
    """How long a download (or upload) link handed out after the access check works."""
    thumbnail_max_pixels: int = Field(default=40_000_000, ge=1)
    """Images with more pixels than this get no thumbnail (decompression bombs)."""

    # --- HTTP hygiene: CORS, request limits, write rate limits (tasklane.security) ---
    cors_origins: Annotated[list[str], NoDecode] = []
    """Other origins (comma-separated, like `https://app.example.com`) whose pages may call the
    API from a browser; empty: only the server's own origin."""
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    """Larger request bodies are refused with 413 before they are read."""
    max_query_bytes: int = Field(default=8192, ge=256)
    """Longer query strings are refused with 414."""
    rate_limit_enabled: bool = True
    """Limit writes per user and per address (false for benchmarks)."""
    rate_limit_writes_per_user: int = Field(default=600, ge=1)
    rate_limit_writes_per_address: int = Field(default=3000, ge=1)
    rate_limit_window_seconds: int = Field(default=60, ge=1)
    """Writes (POST, PUT, PATCH, DELETE under /api/) allowed per moving window; beyond it 429.
    Counted in Redis when TASKLANE_REDIS_URL is set, so the limits hold across processes."""

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part for part in value.replace(" ", ",").split(",") if part]
        if isinstance(value, list):
            origins = [str(v).strip().rstrip("/") for v in value]
            for origin in origins:
                if not origin.startswith(("http://", "https://")) or origin.count("/") != 2:
                    raise ValueError(
                        f"{origin!r} is not an origin: list each one as scheme://host[:port]"
                    )
            return origins
        return value

    @field_validator("backup_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        if value.strip():
            from cronsim import CronSim, CronSimError  # noqa: PLC0415

            try:
                CronSim(value, datetime.now(UTC))
            except CronSimError as exc:
                raise ValueError(f"not a cron expression: {exc}") from exc
        return value.strip()

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _metrics_token(cls, value: object) -> object:
        """Empty means none (an empty token would let `Authorization: Bearer ` in); a token
        must be long enough not to be guessed."""
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, str):
            if not value.strip():
                return None
            if len(value.strip()) < 16:
                raise ValueError("use at least 16 random characters")
            return value.strip()
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_scheme(cls, value: SecretStr) -> SecretStr:
        url = value.get_secret_value()
        if url and not url.startswith(("smtp://", "smtps://", "smtp+starttls://")):
            raise ValueError("use smtp://, smtps:// or smtp+starttls://host[:port]")
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part for part in value.replace(" ", ",").split(",") if part]
        if isinstance(value, list):
            proxies = [str(v).strip() for v in value]
            for proxy in proxies:
                try:
                    ipaddress.ip_network(proxy, strict=False)
                except ValueError as exc:
                    raise ValueError(
                        f"{proxy!r} is not an address or network (like 10.0.0.1 or 10.0.0.0/8)"
                    ) from exc
            return proxies
        return value

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
    def resolved_web_dir(self) -> Path:
        if self.web_dir is not None:
            return self.web_dir
        return Path(__file__).resolve().parents[2] / "web" / "dist"

    @property
    def storage_origin(self) -> str:
        """Where an S3 store's pre-signed links point (path-style: `<endpoint>/<bucket>/...`);
        empty for the local folder."""
        if not self.storage_url:
            return ""
        if not self.storage_endpoint_url:
            return f"https://s3.{self.storage_region}.amazonaws.com"
        parts = urlsplit(self.storage_endpoint_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def storage_quota_bytes(self) -> int | None:
        if not self.workspace_storage_quota_mb:
            return None
        return int(self.workspace_storage_quota_mb * 1024 * 1024)

    @property
    def mail_enabled(self) -> bool:
        return bool(self.smtp_url.get_secret_value())

    @property
    def hash_slots(self) -> int:
        return self.password_hash_concurrency or max(1, (os.cpu_count() or 1) // 2)

    @property
    def verify_slots(self) -> int:
        return self.password_verify_concurrency or max(1, os.cpu_count() or 1)

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.public_url.startswith("https://")

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @property
    def passkey_rp_id(self) -> str:
        return self.webauthn_rp_id or _domain_or_localhost(urlsplit(self.public_url).hostname)

    @property
    def passkey_origin(self) -> str:
        if self.webauthn_origin:
            return self.webauthn_origin.rstrip("/")
        public = urlsplit(self.public_url)
        host = _domain_or_localhost(public.hostname)
        return f"{public.scheme}://{host}" + (f":{public.port}" if public.port else "")

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


def _domain_or_localhost(host: str | None) -> str:
    if not host:
        return "localhost"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host
    return "localhost"
