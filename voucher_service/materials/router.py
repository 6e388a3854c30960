"""Materials endpoints: an enterprise files and reads its own application's (model
selection's, claim's) documents; the bureau reads them. Providers have no route here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile, status

from voucher_service.auth.access import BUREAU_READ, ENTERPRISE_SELF, rule
from voucher_service.deps import NowDep, SessionDep, SettingsDep
from voucher_service.enterprises.service import get_enterprise
from voucher_service.fields import USCC, Id, parse_uscc_param
from voucher_service.materials import service
from voucher_service.materials.files import download_response
from voucher_service.materials.schemas import DocumentOut, MaterialsOut
from voucher_service.routing import DatabaseRoute

admin_router = APIRouter(route_class=DatabaseRoute, tags=["applications (bureau)"])
enterprise_router = APIRouter(
    route_class=DatabaseRoute, tags=["my subsidy (enterprise)"], dependencies=rule(ENTERPRISE_SELF)
)

KindForm = Annotated[
    str, Form(pattern=r"^[a-z_]{1,40}$", description="business_licence, size_declaration, ...")
]
FileForm = Annotated[UploadFile, File(description="A PDF, JPEG or PNG file.")]


def _listing(session: SessionDep, owner: service.Owner) -> MaterialsOut:
    found = service.materials_of(session, owner)
    return MaterialsOut.model_validate(
        {
            "items": [DocumentOut.model_validate(d) for d in found.items],
            "required": found.required,
            "missing": found.missing,
        }
    )


def _read(file: UploadFile, max_bytes: int) -> bytes:
    # One byte more than allowed is enough to refuse it (the gate bounds the body anyway).
    return file.file.read(max_bytes + 1)


@enterprise_router.post(
    "/{uscc}/applications/{application_id}/materials", status_code=status.HTTP_201_CREATED
)
def upload_material(
    uscc: USCC,
    application_id: Id,
    kind: KindForm,
    file: FileForm,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> DocumentOut:
    """File a document with my application (multipart: ``kind`` and ``file``). Its type is
    read from its content: PDF, JPEG or PNG; at most VOUCHER_MATERIAL_MAX_BYTES."""
    owner = service.application_owner(session, application_id, enterprise_id=_own(session, uscc))
    return _file(session, owner, kind, file, settings, now)


@enterprise_router.post(
    "/{uscc}/selections/{selection_id}/materials", status_code=status.HTTP_201_CREATED
)
def upload_selection_material(
    uscc: USCC,
    selection_id: Id,
    kind: KindForm,
    file: FileForm,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> DocumentOut:
    """File a filing document with my model selection (measure 3)."""
    owner = service.selection_owner(session, selection_id, enterprise_id=_own(session, uscc))
    return _file(session, owner, kind, file, settings, now)


@enterprise_router.post("/{uscc}/claims/{claim_id}/materials", status_code=status.HTTP_201_CREATED)
def upload_claim_material(
    uscc: USCC,
    claim_id: Id,
    kind: KindForm,
    file: FileForm,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> DocumentOut:
    """File my claim's contract, an invoice's scan or the proof of payment (multipart:
    ``kind``: compute_contract, invoice, payment_proof or other; ``file``), while the claim
    waits for the reviewer. Its approval needs a ``payment_proof`` on file."""
    owner = service.claim_owner(session, claim_id, enterprise_id=_own(session, uscc))
    return _file(session, owner, kind, file, settings, now)


def _file(
    session: SessionDep,
    owner: service.Owner,
    kind: str,
    file: UploadFile,
    settings: SettingsDep,
    now: NowDep,
) -> DocumentOut:
    row = service.file_material(
        session,
        owner,
        service.Upload(
            kind=kind,
            filename=file.filename or "",
            content=_read(file, settings.material_max_bytes),
        ),
        max_bytes=settings.material_max_bytes,
        now=now,
    )
    return DocumentOut.model_validate(row)


def _own(session: SessionDep, uscc: str) -> int:
    """The enterprise of the enterprise's own routes (its documents only)."""
    enterprise_id = get_enterprise(session, parse_uscc_param(uscc)).id
    assert enterprise_id is not None
    return enterprise_id


def _owner(
    session: SessionDep,
    application_id: int | None,
    selection_id: int | None,
    uscc: str | None = None,
) -> service.Owner:
    """The application or selection the documents belong to: with ``uscc`` (the enterprise's
    own routes), only that enterprise's."""
    enterprise_id = _own(session, uscc) if uscc is not None else None
    if application_id is not None:
        return service.application_owner(session, application_id, enterprise_id=enterprise_id)
    assert selection_id is not None
    return service.selection_owner(session, selection_id, enterprise_id=enterprise_id)


def _download(session: SessionDep, owner: service.Owner, document_id: int) -> Response:
    return download_response(service.download(session, owner, document_id))


@enterprise_router.get("/{uscc}/applications/{application_id}/materials")
def my_materials(uscc: USCC, application_id: Id, session: SessionDep) -> MaterialsOut:
    """My application's documents, with the kinds its program requires and those missing."""
    return _listing(session, _owner(session, application_id, None, uscc))


@enterprise_router.get("/{uscc}/applications/{application_id}/materials/{document_id}")
def my_material(uscc: USCC, application_id: Id, document_id: Id, session: SessionDep) -> Response:
    return _download(session, _owner(session, application_id, None, uscc), document_id)


@enterprise_router.get("/{uscc}/selections/{selection_id}/materials")
def my_selection_materials(uscc: USCC, selection_id: Id, session: SessionDep) -> MaterialsOut:
    return _listing(session, _owner(session, None, selection_id, uscc))


@enterprise_router.get("/{uscc}/selections/{selection_id}/materials/{document_id}")
def my_selection_material(
    uscc: USCC, selection_id: Id, document_id: Id, session: SessionDep
) -> Response:
    return _download(session, _owner(session, None, selection_id, uscc), document_id)


@admin_router.get("/applications/{application_id}/materials", dependencies=rule(BUREAU_READ))
def application_materials(application_id: Id, session: SessionDep) -> MaterialsOut:
    """An application's documents, the kinds its program requires, and those missing."""
    return _listing(session, _owner(session, application_id, None))


@admin_router.get(
    "/applications/{application_id}/materials/{document_id}", dependencies=rule(BUREAU_READ)
)
def application_material(application_id: Id, document_id: Id, session: SessionDep) -> Response:
    """Download one document (an audit entry names who read it)."""
    return _download(session, _owner(session, application_id, None), document_id)


@admin_router.get("/selections/{selection_id}/materials", dependencies=rule(BUREAU_READ))
def selection_materials(selection_id: Id, session: SessionDep) -> MaterialsOut:
    return _listing(session, _owner(session, None, selection_id))


@admin_router.get(
    "/selections/{selection_id}/materials/{document_id}", dependencies=rule(BUREAU_READ)
)
def selection_material(selection_id: Id, document_id: Id, session: SessionDep) -> Response:
    return _download(session, _owner(session, None, selection_id), document_id)


@enterprise_router.get("/{uscc}/claims/{claim_id}/materials")
def my_claim_materials(uscc: USCC, claim_id: Id, session: SessionDep) -> MaterialsOut:
    """My claim's documents, with the kinds its approval needs and those missing."""
    owner = service.claim_owner(session, claim_id, enterprise_id=_own(session, uscc))
    return _listing(session, owner)


@enterprise_router.get("/{uscc}/claims/{claim_id}/materials/{document_id}")
def my_claim_material(uscc: USCC, claim_id: Id, document_id: Id, session: SessionDep) -> Response:
    owner = service.claim_owner(session, claim_id, enterprise_id=_own(session, uscc))
    return _download(session, owner, document_id)


@admin_router.get(
    "/claims/{claim_id}/materials", dependencies=rule(BUREAU_READ), tags=["claims (bureau)"]
)
def claim_materials(claim_id: Id, session: SessionDep) -> MaterialsOut:
    """A claim's documents (contract, invoices, proof of payment), the kinds its approval
    needs, and those missing."""
    return _listing(session, service.claim_owner(session, claim_id))


@admin_router.get(
    "/claims/{claim_id}/materials/{document_id}",
    dependencies=rule(BUREAU_READ),
    tags=["claims (bureau)"],
)
def claim_material(claim_id: Id, document_id: Id, session: SessionDep) -> Response:
    """Download one of a claim's documents (an audit entry names who read it)."""
    return _download(session, service.claim_owner(session, claim_id), document_id)
