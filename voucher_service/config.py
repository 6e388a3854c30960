"""Settings, read once from the environment (prefix ``VOUCHER_``) or a ``.env`` file."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Literal, get_args, get_origin
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Authentication look-ups one API process runs at once (each a millisecond or two, one
# indexed query): bounded apart from admission, which only authenticated callers reach.
AUTHENTICATING = 2


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VOUCHER_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'voucher.db'}",
        description="SQLAlchemy URL: a SQLite file by default; postgresql://... in production.",
    )
    timezone: str = Field(
        default="Asia/Shanghai",
        description="The program's timezone: dates, years and periods are counted in it.",
    )
    grace_days: int = Field(
        default=30,
        ge=0,
        le=366,
        description="Days after a voucher's last valid day during which usage may still be "
        "reported; the voucher expires (and its balance returns to the pool) after them.",
    )
    migrations_dir: Path = Field(
        default=PROJECT_ROOT / "migrations",
        description="Where the Alembic migrations are (the image sets /app/migrations).",
    )
    db_runtime_role: str = Field(
        default="",
        description="PostgreSQL: the role the API and jobs connect as. When set, `migrate` "
        "(run as the tables' owner) grants it exactly the service's privileges afterwards: "
        "DML, but only INSERT (and the audit seal's columns) on the append-only tables "
        "(docs/operations.md, database roles). Empty: no grants (SQLite, or one role).",
    )
    audit_seal_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How often each API process chains new audit entries (0: never; then run "
        "`voucher-service seal` on a schedule).",
    )
    max_in_flight: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="Requests one API process works on at once; more wait at the gate. Each "
        "holds at most one database connection, so it is sized with db_pool_size "
        "(docs/architecture.md: the request model).",
    )
    queue_seconds: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="How long a request may wait for a place at the gate before it is "
        "answered 503 overloaded with Retry-After.",
    )
    max_anonymous_in_flight: int = Field(
        default=2,
        ge=1,
        le=100,
        description="Requests no caller is known for (the console's sign-in, before anyone "
        "has signed in) that one API process works on at once: a budget of their own, apart "
        "from max_in_flight, so that unauthenticated clients never take an authenticated "
        "caller's place.",
    )
    max_bodies_per_caller: int = Field(
        default=4,
        ge=1,
        le=1000,
        description="Request bodies one caller (a provider, an enterprise, a person of the "
        "bureau) may be sending to one API process at once; its further requests wait for "
        "one of them to end. A caller's slow or stalled uploads then cost only that caller.",
    )
    header_read_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="How long a client may take to send a request's line and headers, from "
        "its first byte (or from the connection, for the first request): 408 after it.",
    )
    body_read_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="How long a client may take to send a request's whole body: 408 after "
        "it. The body is read before the request is admitted, so a slow client holds no "
        "place while it sends.",
    )
    body_idle_seconds: float = Field(
        default=10.0,
        gt=0,
        le=3600,
        description="The longest silence allowed while a body arrives: 408 after it.",
    )
    db_pool_size: int = Field(
        default=0,
        ge=0,
        le=1000,
        description="Database connections per API process (0: max_in_flight + "
        "max_anonymous_in_flight + 2 for authentication + 2 for the audit sealer and for "
        "/readyz and /metrics). Processes x pool size must stay below PostgreSQL's "
        "max_connections.",
    )
    db_pool_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="How long a thread waits for a free connection before the request fails "
        "with 503 (only a pool smaller than max_in_flight can make one wait).",
    )
    db_connect_timeout_seconds: int = Field(
        default=5,
        ge=2,
        le=300,
        description="How long opening a database connection may take (PostgreSQL's "
        "connect_timeout; whole seconds, at least 2). Every command has it too.",
    )
    db_statement_timeout_seconds: float = Field(
        default=60.0,
        ge=0,
        description="The longest one SQL statement of the API may run (PostgreSQL's "
        "statement_timeout; 0: no limit); the request is then answered 503 "
        "database_unavailable. Commands (verify, checkpoints, closes) have no limit.",
    )
    db_lock_timeout_seconds: float = Field(
        default=10.0,
        ge=0,
        description="The longest a statement of the API waits for a row or table lock "
        "(PostgreSQL's lock_timeout; SQLite: its busy timeout, how long a writer waits for "
        "the write lock; 0: no limit, and SQLite's 30 s). Commands have no limit (SQLite: "
        "30 s).",
    )
    db_idle_in_transaction_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How long an API connection may sit idle inside a transaction before "
        "PostgreSQL ends its session (idle_in_transaction_session_timeout; 0: no limit). "
        "Commands have no limit.",
    )
    readiness_seconds: float = Field(
        default=1.5,
        gt=0,
        le=60,
        description="How long /readyz waits for the database's answer before it answers 503 "
        "(inside the probes' timeouts: Kubernetes' 3 s, the compose healthcheck's).",
    )
    max_body_bytes: int = Field(
        default=1 << 20,
        ge=1024,
        description="Largest request body (bytes) for every route but batches: 413 above it.",
    )
    max_batch_body_bytes: int = Field(
        default=16 << 20,
        ge=1024,
        description="Largest body (bytes) of a batch post (10,000 records are about 4 MB).",
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="Access and application logs as plain text, or one JSON object a line "
        "(with request id, principal and latency) for a log pipeline.",
    )
    checkpoint_key: Path | None = Field(
        default=None,
        description="The Ed25519 private key that signs audit checkpoints (`audit "
        "keygen --out FILE` makes one): a file off the database host, mode 0600.",
    )
    checkpoint_public_key: Path | None = Field(
        default=None,
        description="The public key `verify --checkpoint` checks signatures with (default: "
        "that of checkpoint_key).",
    )
    checkpoint_origin: str = Field(
        default="voucher-service/audit",
        description="The log's name on its checkpoints (their origin line, and the name of "
        "its signature): a schema-less URL of the deployment, e.g. vouchers.example.org/audit.",
    )
    witness_vkey: str = Field(
        default="",
        description="The witness's verifier key (`witness init` prints it). "
        "Set: `verify --checkpoint` requires its cosignature on every checkpoint, and "
        "`audit checkpoint` asks for it. Empty: no witness (the embedded default).",
    )
    witness_url: str = Field(
        default="",
        description="Where the witness answers (http://host:8700, `witness serve`), or its "
        "state directory where that is mounted: `audit checkpoint` sends it each new "
        "checkpoint, `verify` compares the newest checkpoint with the latest it holds.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Addresses or networks (comma-separated, e.g. 10.86.47.0/24) of the "
        "reverse proxies in front of the API. X-Forwarded-For is believed only from them, "
        "for the client address that failed authentications are counted against; default: "
        "none, the connection's own address is the client's.",
    )
    secure_cookies: bool = Field(
        default=False,
        description="Always mark the console's cookies Secure (sent over https only). Without "
        "it they are Secure when the request arrived over https: directly, or through a "
        "trusted proxy that says so in X-Forwarded-Proto.",
    )
    session_idle_minutes: int = Field(
        default=30,
        ge=1,
        le=24 * 60,
        description="A console session ends after this long without a request.",
    )
    session_max_hours: float = Field(
        default=12,
        gt=0,
        le=7 * 24,
        description="A console session ends this long after sign-in, however busy.",
    )
    require_second_factor: bool = Field(
        default=False,
        description="Bureau accounts (every role but enterprise and provider) must sign in "
        "with a second factor (a TOTP app's code or a recovery code); one who has none is "
        "sent to set it up before any other page. Accounts that set one up use it either way.",
    )
    host: str = Field(
        default="127.0.0.1", description="The address `serve` listens on (its --host)."
    )
    port: int = Field(default=8000, description="The port `serve` listens on (its --port).")
    page_size_max: int = Field(
        default=500, ge=1, description="The most items a list returns per page (its limit)."
    )
    smtp_host: str = Field(
        default="",
        description="The SMTP server notifications are mailed through. Empty: no mail is "
        "sent; the worker writes each mail to its log instead (`make run` shows them).",
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, description="The SMTP server's port.")
    smtp_tls: Literal["starttls", "ssl", "none"] = Field(
        default="starttls",
        description="How the connection to the SMTP server is encrypted: STARTTLS after "
        "connecting (port 587), TLS from the start (port 465), or not at all (a relay on "
        "the same host only).",
    )
    smtp_user: str = Field(
        default="", description="The SMTP login (empty: the server takes mail unauthenticated)."
    )
    smtp_password: str = Field(default="", description="The SMTP login's password.")
    smtp_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=120,
        description="How long one conversation with the SMTP server may take; kept well "
        "below worker_lease_seconds, so a claimed mail is never claimed by a second worker "
        "while the first is still sending it.",
    )
    mail_from: str = Field(
        default="武汉市算力服务券 <noreply@localhost>",
        description="The From of notification mails.",
    )
    console_url: str = Field(
        default="http://127.0.0.1:8000/console",
        description="The console's address as people reach it: the link at the end of "
        "each notification mail.",
    )
    worker_poll_seconds: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        description="How long `voucher-service worker` sleeps when it found nothing to send.",
    )
    worker_batch: int = Field(
        default=50, ge=1, le=1000, description="Messages a worker claims at once."
    )
    worker_lease_seconds: float = Field(
        default=120.0,
        gt=0,
        description="How long a claimed message stays a worker's: a worker killed while "
        "sending leaves its messages to be sent by another once this has passed.",
    )
    worker_max_attempts: int = Field(
        default=8,
        ge=1,
        le=100,
        description="Attempts at one message before it is marked dead (an operator looks "
        "at it: docs/operations.md).",
    )
    worker_backoff_seconds: float = Field(
        default=30.0,
        gt=0,
        description="The wait after a first failed attempt; it doubles after each further "
        "one, up to an hour.",
    )
    worker_jobs_seconds: float = Field(
        default=3600.0,
        gt=0,
        description="How often the worker runs the scheduled notifications (vouchers about "
        "to expire, caps 80% used, the daily digests) and the pruning; each is idempotent, "
        "so several workers may run them.",
    )
    worker_metrics_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="The port the worker serves its Prometheus metrics on (0: none).",
    )
    notification_retention_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="Days a sent (or dead) outbox message and a read inbox message are kept "
        "before the worker deletes them.",
    )
    webhook_allow_http_local: bool = Field(
        default=False,
        description="Let providers register webhook endpoints over plain http on this machine "
        "(127.0.0.1, ::1, localhost), for tests and development; otherwise an endpoint must be "
        "an https URL.",
    )
    webhook_timeout_seconds: float = Field(
        default=10,
        gt=0,
        le=60,
        description="How long one webhook delivery waits for the receiver's answer.",
    )
    webhook_retry_hours: float = Field(
        default=24,
        gt=0,
        le=7 * 24,
        description="How long a webhook delivery is retried (with exponential backoff) before "
        "it is marked failed; a resend starts the period again.",
    )
    material_max_bytes: int = Field(
        default=5 << 20,
        ge=1024,
        le=64 << 20,
        description="Largest document (bytes) an enterprise may upload as an application's or "
        "a selection's material (PDF, JPEG or PNG): 413 above it. The gate lets an upload's "
        "body be this much plus 64 KiB of form.",
    )
    notice_holidays: str = Field(
        default="",
        description="Public holidays (comma-separated YYYY-MM-DD) that are not working days "
        "when a public notice's period is counted (Monday to Friday, less these).",
    )
    objections_per_hour: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="Objections one address may send through the public notice form in an "
        "hour; more are refused (429) until the hour has passed.",
    )

    @property
    def holidays(self) -> frozenset[date]:
        return frozenset(
            date.fromisoformat(part.strip())
            for part in self.notice_holidays.split(",")
            if part.strip()
        )

    @property
    def proxy_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        return tuple(
            ip_network(part.strip(), strict=False)
            for part in self.trusted_proxies.split(",")
            if part.strip()
        )

    @property
    def session_idle(self) -> timedelta:
        return timedelta(minutes=self.session_idle_minutes)

    @property
    def session_lifetime(self) -> timedelta:
        return timedelta(hours=self.session_max_hours)

    @property
    def pool_size(self) -> int:
        """One connection for each request the gate may let work at once (authenticated,
        anonymous, and the authentication look-ups), one for the audit sealer and one for
        /readyz and /metrics: nothing the gate admits ever waits for a connection."""
        return self.db_pool_size or (
            self.max_in_flight + self.max_anonymous_in_flight + AUTHENTICATING + 2
        )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def today(self, moment: datetime | None = None) -> date:
        """The date in the program's timezone (not the server's) at ``moment`` (default: now).
        The one definition of "today": the API's TodayDep passes the request's clock."""
        return (moment or datetime.now(UTC)).astimezone(self.tz).date()


@lru_cache
def get_settings() -> Settings:
    return Settings()


def reference() -> str:
    """Every setting as a Markdown table (docs/settings.md is this, written by
    ``python scripts/settings_reference.py``; a test fails when the file is stale or a setting
    has no description)."""
    rows = [
        "# Settings",
        "",
        "<!-- Generated from voucher_service/config.py by `python scripts/settings_reference.py`:",
        "     edit the descriptions there, never here. -->",
        "",
        "Every setting is an environment variable (or a line of a `.env` file in the working",
        "directory), read once at start.",
        "",
        "| variable | type | default | meaning |",
        "| --- | --- | --- | --- |",
    ]
    for name, field in Settings.model_fields.items():
        if not field.description:
            raise ValueError(f"setting {name} has no description")
        default = field.get_default(call_default_factory=True)
        # Paths in the checkout are shown relative to it: the reference is the same anywhere.
        shown = "" if default in ("", None) else f"`{default}`".replace(f"{PROJECT_ROOT}/", "")
        if get_origin(field.annotation) is Literal:
            kind = " or ".join(f"`{choice}`" for choice in get_args(field.annotation))
        else:
            kind = getattr(field.annotation, "__name__", None) or str(field.annotation)
            kind = kind.replace("pathlib.", "").replace(" | ", " or ")
        limits = [_limit(repr(m)) for m in field.metadata]
        meaning = field.description.replace("|", "\\|").replace("\n", " ")
        if limits:
            meaning += f" ({', '.join(limits)})"
        rows.append(f"| `VOUCHER_{name.upper()}` | {kind} | {shown} | {meaning} |")
    return "\n".join(rows) + "\n"


_BOUNDS = {"ge": ">=", "le": "<=", "gt": ">", "lt": "<"}


def _limit(metadata: str) -> str:
    """``Ge(ge=0)`` as ``>= 0``."""
    bound, _, value = metadata.partition("(")[2].rstrip(")").partition("=")
    return f"{_BOUNDS.get(bound, bound)} {value}"
