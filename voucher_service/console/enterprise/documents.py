"""My approval notice as a printable PDF (审批通知书): the file of ``GET /v1/enterprise/
{uscc}/applications/{id}/approval-notice.pdf``, from the same service call and rule."""

from __future__ import annotations

from fastapi import APIRouter, Response

from voucher_service.auth.access import ENTERPRISE_SELF
from voucher_service.console.auth import guard
from voucher_service.deps import SessionDep
from voucher_service.documents import service as documents
from voucher_service.routing import DatabaseRoute

router = APIRouter(route_class=DatabaseRoute, dependencies=[guard(ENTERPRISE_SELF)])


@router.get("/{uscc}/applications/{application_id}/approval-notice.pdf")
def approval_notice(uscc: str, application_id: int, session: SessionDep) -> Response:
    notice = documents.approval_notice(session, application_id, enterprise_uscc=uscc)
    return notice.response()
