"""The schema, brought to the newest Alembic revision: the only way it is made."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from voucher_service.config import get_settings


def migrate(database_url: str | None = None) -> None:
    """Upgrade ``database_url`` (default: the configured database) to the newest revision."""
    settings = get_settings()
    config = Config()
    config.set_main_option("script_location", str(settings.migrations_dir))
    url = database_url or settings.database_url
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")
