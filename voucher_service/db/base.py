"""Metadata with a naming convention, so constraints have the same names on SQLite and
PostgreSQL and Alembic migrations can refer to them."""

from sqlalchemy import Table
from sqlmodel import SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata = SQLModel.metadata


def table(model: type[SQLModel]) -> Table:
    """A model's Core table, for the set-based statements of the hot paths."""
    found: Table = model.__table__  # type: ignore[attr-defined]
    return found
