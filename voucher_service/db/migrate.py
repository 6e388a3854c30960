"""The schema, brought to the newest Alembic revision: the only way it is made."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from sqlalchemy import Connection

from voucher_service.config import get_settings


def migrate(database_url: str | None = None) -> None:
    """Upgrade ``database_url`` (default: the configured database) to the newest revision."""
    settings = get_settings()
    config = Config()
    config.set_main_option("script_location", str(settings.migrations_dir))
    url = database_url or settings.database_url
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")


def schema_state(connection: Connection) -> tuple[str | None, set[str]]:
    """The database's revision, and the revisions the code knows it must be at or past:
    ``(current, behind)`` where ``behind`` is empty when the database is at the code's head
    or past it (a newer release migrated it already: still fine to serve)."""
    script = ScriptDirectory(str(get_settings().migrations_dir))
    current = MigrationContext.configure(connection).get_current_revision()
    heads = set(script.get_heads())
    if current is None:
        return None, heads
    if current in heads:
        return current, set()
    try:
        ahead = {r.revision for r in script.iterate_revisions(current, "base")}
    except RevisionError:  # a revision this code does not know: a newer release's
        return current, set()
    return current, heads - ahead
