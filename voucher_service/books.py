"""``verify``: the whole-books check. Each capability checks its own rows; this gathers
their findings in one list, one line per violation naming the row (empty: the books hold).

* the ledger (``ledger/checks.py``): positive postings; voucher, pool and cap counters
  against the postings and their invariants; each posting against what it records;
* usage (``usage/checks.py``): records against their vouchers and providers' accounts,
  none above its rate;
* stacking (``programs/checks.py``): top-up layers within their rates and the ceiling;
* grants (``grants/checks.py``): each grant's accounts against its approved and paid amounts;
* settlement (``settlement/checks.py``): statements against their lines and payments;
* claims (``claims/checks.py``): claims against their invoices, postings and payments;
* the audit log (``audit/service.py``): its hash chain.

It sits above the capabilities it gathers (each of them moves money through the ledger), so
the packages still import one way.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from voucher_service.audit.service import verify_chain
from voucher_service.claims.checks import check_claims
from voucher_service.grants.checks import check_grants
from voucher_service.ledger.checks import (
    account_nets,
    check_amounts,
    check_counters,
    check_postings,
)
from voucher_service.programs.checks import check_stacks
from voucher_service.settlement.checks import check_statements
from voucher_service.usage.checks import check_usage


def verify_ledger(session: Session) -> list[str]:
    """Check conservation, counters against postings, non-negativity, caps, each posting
    against what it records, and the audit chain."""
    nets = account_nets(session)
    return [
        *check_amounts(session),
        *check_counters(session, nets),
        *check_usage(session, nets),
        *check_stacks(session),
        *check_grants(session, nets),
        *check_statements(session, nets),
        *check_claims(session, nets),
        *check_postings(session),
        *verify_chain(session),
    ]
