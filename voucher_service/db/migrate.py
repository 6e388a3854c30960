"""The schema, brought to the newest Alembic revision: the only way it is made."""

from __future__ import annotations

from dataclasses import dataclass

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from alembic.script.revision import RevisionError
from sqlalchemy import Connection

from voucher_service.config import get_settings
from voucher_service.db.roles import Granted, grant
from voucher_service.db.session import create_db_engine, sqlite_directory


@dataclass(frozen=True)
class Revision:
    id: str
    message: str


@dataclass(frozen=True)
class MigrationRun:
    """What ``migrate`` did: the revisions it applied (oldest first) and where it left the
    database."""

    applied: list[Revision]
    head: Revision
    granted: Granted | None = None


def migrate(database_url: str | None = None, *, runtime_role: str | None = None) -> MigrationRun:
    """Upgrade ``database_url`` (default: the configured database) to the newest revision;
    then, given a ``runtime_role`` (default: the setting ``db_runtime_role``), grant it the
    service's privileges on the tables as migrated (``db/roles.py``)."""
    settings = get_settings()
    url = database_url or settings.database_url
    runtime_role = runtime_role if runtime_role is not None else settings.db_runtime_role
    directory = sqlite_directory(url)
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)  # a fresh install's var/ or /data
    config = Config()
    config.set_main_option("script_location", str(settings.migrations_dir))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    before = current_revision(url)
    command.upgrade(config, "head")
    script = ScriptDirectory.from_config(config)
    applied = [
        _revision(script_revision)
        for script_revision in script.iterate_revisions("heads", before or "base")
    ]
    head = script.get_revision("head")
    assert head is not None
    granted = _grant(url, runtime_role) if runtime_role else None
    return MigrationRun(applied=applied[::-1], head=_revision(head), granted=granted)


def _grant(url: str, runtime_role: str) -> Granted:
    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            return grant(connection, runtime_role)
    finally:
        engine.dispose()


def _revision(script_revision: Script) -> Revision:
    return Revision(script_revision.revision, " ".join(script_revision.doc.split()))


def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at (None: an empty database)."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


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
