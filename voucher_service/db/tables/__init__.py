"""The tables, one module per capability. Schema changes go through Alembic only
(``migrations/``); a test checks that these models and the migrations agree.

Money columns end in ``_fen`` and are 64-bit integers. The database itself refuses what
must never happen: negative balances, a voucher whose face value does not equal balance +
net subsidies + released, a pool with more available than its total, a status outside its
enum. Ledger postings are append-only: a trigger (in the migration) refuses UPDATE and
DELETE on ``ledger_posting``.

The tables sit below every capability (as polar's ``models`` package does): services,
access control and the audit log all read them, and none of them imports a service.
Importing this package registers every table on the one metadata.
"""

from voucher_service.db.base import metadata
from voucher_service.db.tables import (  # noqa: F401  (each registers its tables)
    accounts,
    applications,
    audit,
    auth,
    claims,
    confirmations,
    disputes,
    enterprises,
    grants,
    ledger,
    monitoring,
    notifications,
    paperwork,
    programs,
    providers,
    redemptions,
    rollups,
    settlement,
    usage,
    vouchers,
    webhooks,
)

__all__ = ["metadata"]
