"""An application's (or a claim's) materials on its page: the upload form (multipart, the same
service call as ``POST /v1/enterprise/{uscc}/applications/{id}/materials``) and the
downloads."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from sqlalchemy.orm import Session

from voucher_service.auth.access import ENTERPRISE_SELF
from voucher_service.config import Settings
from voucher_service.console.auth import guard
from voucher_service.console.pages import attempt, describe, redirect, translator
from voucher_service.console.templating import render
from voucher_service.deps import NowDep, SessionDep, SettingsDep
from voucher_service.enterprises.service import get_enterprise
from voucher_service.fields import parse_uscc_param
from voucher_service.materials import service
from voucher_service.materials.files import download_response
from voucher_service.routing import DatabaseRoute

router = APIRouter(route_class=DatabaseRoute, dependencies=[guard(ENTERPRISE_SELF)])


@router.post("/{uscc}/applications/{application_id}/materials")
def upload(
    uscc: str,
    application_id: int,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    kind: Annotated[str, Form(max_length=40)],
    file: Annotated[UploadFile, File()],
) -> Any:
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    owner = service.application_owner(session, application_id, enterprise_id=enterprise.id)
    return _file(request, session, settings, now, owner, kind, file)


@router.post("/{uscc}/claims/{claim_id}/materials")
def upload_claim_material(
    uscc: str,
    claim_id: int,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    kind: Annotated[str, Form(max_length=40)],
    file: Annotated[UploadFile, File()],
) -> Any:
    """``POST /v1/enterprise/{uscc}/claims/{id}/materials``: my claim's contract, an
    invoice's scan or the proof of payment."""
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    owner = service.claim_owner(session, claim_id, enterprise_id=enterprise.id)
    return _file(request, session, settings, now, owner, kind, file)


def _file(
    request: Request,
    session: Session,
    settings: Settings,
    now: datetime,
    owner: service.Owner,
    kind: str,
    file: UploadFile,
) -> Any:
    """The upload through the API's service call; back to the owner's page (or the refusal,
    in the page's language)."""
    content = file.file.read(settings.material_max_bytes + 1)
    doc = service.Upload(kind=kind, filename=file.filename or "", content=content)
    refused = attempt(
        session,
        lambda: service.file_material(
            session, owner, doc, max_bytes=settings.material_max_bytes, now=now
        ),
    )
    detail = request.url.path.removesuffix("/materials")
    if refused is not None:
        t = translator(request)
        return render(
            request,
            "error.html",
            status_code=refused.status,
            status=refused.status,
            title=t("materials.title"),
            text=describe(refused, t),
            back=detail,
        )
    return redirect(f"{detail}?done=material")


@router.get("/{uscc}/applications/{application_id}/materials/{document_id}")
def download(uscc: str, application_id: int, document_id: int, session: SessionDep) -> Any:
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    owner = service.application_owner(session, application_id, enterprise_id=enterprise.id)
    return download_response(service.download(session, owner, document_id))


@router.get("/{uscc}/claims/{claim_id}/materials/{document_id}")
def download_claim_material(uscc: str, claim_id: int, document_id: int, session: SessionDep) -> Any:
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    owner = service.claim_owner(session, claim_id, enterprise_id=enterprise.id)
    return download_response(service.download(session, owner, document_id))
