"""Reading vouchers, one call per use case for the API and the console: a ``VoucherQuery``
holds the filters as a caller has them (a program code, a year, a credit code), and
``find_vouchers`` checks and resolves them; ``voucher_view`` and ``voucher_postings`` read
one voucher by its code."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from voucher_service.db.tables.ledger import LedgerPosting
from voucher_service.db.tables.vouchers import VoucherStatus
from voucher_service.enterprises.service import get_enterprise
from voucher_service.errors import ErrorCode, InvalidInput, NotFound
from voucher_service.fields import parse_uscc_param, parse_voucher_code_param
from voucher_service.ledger import accounts
from voucher_service.ledger.history import postings_of
from voucher_service.pagination import PageParams, Slice
from voucher_service.programs.service import get_pool, get_program
from voucher_service.vouchers import service
from voucher_service.vouchers.service import VoucherView


@dataclass(frozen=True)
class VoucherQuery:
    """The bureau's voucher list filters: a year only within a program (a pool). ``code``
    (the console's search box) finds that one voucher or none, the other filters checked but
    not applied."""

    code: str | None = None
    program: str | None = None
    year: int | None = None
    uscc: str | None = None
    status: VoucherStatus | None = None
    q: str | None = None  # part of a voucher code, the holder's name or credit code


def find_vouchers(session: Session, page: PageParams, query: VoucherQuery) -> Slice[VoucherView]:
    """A page of the vouchers ``query`` selects, each as it is shown. A year without a
    program is refused (INVALID_FILTER); an unknown program, pool or enterprise is NotFound."""
    if query.year is not None and query.program is None:
        raise InvalidInput("filtering by year needs a program", code=ErrorCode.INVALID_FILTER)
    program = get_program(session, query.program) if query.program else None
    pool = get_pool(session, program, query.year) if program and query.year else None
    holder = get_enterprise(session, parse_uscc_param(query.uscc)) if query.uscc else None
    if query.code:
        try:
            return Slice([voucher_view(session, query.code)], total=1, page=1)
        except (NotFound, InvalidInput):  # a search: no such voucher, nothing found
            return Slice([], total=0, page=1)
    return service.list_voucher_views(
        session,
        page,
        program=program,
        pool=pool,
        enterprise=holder,
        status=query.status,
        q=query.q,
    )


def voucher_view(session: Session, code: str) -> VoucherView:
    """One voucher by its code (as typed: a malformed one is refused), as it is shown."""
    voucher = service.get_voucher(session, parse_voucher_code_param(code))
    return service.describe_vouchers(session, [voucher])[0]


def voucher_postings(session: Session, code: str) -> list[LedgerPosting]:
    """Every ledger posting into or out of the voucher ``code``, oldest first (its first
    1,000)."""
    voucher = service.get_voucher(session, parse_voucher_code_param(code))
    return postings_of(session, accounts.voucher(voucher.id or 0))
