"""Settings, read once from the environment (prefix ``VOUCHER_``) or a ``.env`` file."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]


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
    migrations_dir: Path = Field(default=PROJECT_ROOT / "migrations")
    audit_seal_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How often each API process chains new audit entries (0: never; then run "
        "`voucher-service seal` on a schedule).",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    page_size_max: int = Field(
        default=500, ge=1, description="The most items a list returns per page (its limit)."
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
