"""My statement as a printable PDF (结算单): the file of ``GET /v1/provider/{uscc}/statements/
{id}/statement.pdf``, from the same service call, guarded by the same rule."""

from __future__ import annotations

from fastapi import APIRouter, Response

from voucher_service.auth.access import PROVIDER_SELF
from voucher_service.console.auth import guard
from voucher_service.deps import SessionDep
from voucher_service.documents import service as documents
from voucher_service.routing import DatabaseRoute

router = APIRouter(route_class=DatabaseRoute, dependencies=[guard(PROVIDER_SELF)])


@router.get("/{uscc}/statements/{statement_id}/statement.pdf")
def statement_pdf(uscc: str, statement_id: int, session: SessionDep) -> Response:
    return documents.settlement_statement(session, statement_id, provider_uscc=uscc).response()
