"""The printable PDFs for the bureau: an approved application's approval notice and a
statement (结算单), the files of the admin endpoints, guarded by their rule (BUREAU_READ)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from voucher_service.auth.access import BUREAU_READ
from voucher_service.console.auth import guard
from voucher_service.deps import SessionDep
from voucher_service.documents import service as documents
from voucher_service.routing import DatabaseRoute

router = APIRouter(route_class=DatabaseRoute, dependencies=[guard(BUREAU_READ)])


@router.get("/bureau/applications/{application_id}/approval-notice.pdf")
def approval_notice(application_id: int, session: SessionDep) -> Response:
    return documents.approval_notice(session, application_id).response()


@router.get("/bureau/statements/{statement_id}/statement.pdf")
def statement_pdf(statement_id: int, session: SessionDep) -> Response:
    return documents.settlement_statement(session, statement_id).response()
