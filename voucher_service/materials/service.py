"""Materials (申报材料): documents an enterprise files with its application, its model
selection (measure 3) or its claim after payment (contract, invoices, proof of payment), and
the reviewers read.

A document is PDF, JPEG or PNG by its content (``domain.paperwork.media_type_of``: the
first bytes, never the name or the client's content type), at most
``VOUCHER_MATERIAL_MAX_BYTES``, and of a known kind. Its bytes are stored in the database,
so the backups that hold the ledger hold them too. Access follows the application's: the
enterprise sees its own (another's is 404), the bureau reads all, providers none. Every
upload and every download is an audit entry.

Which kinds an application must carry is the program's setting (``required_materials``);
approval checks it (``require_complete``), not submission: an enterprise files its
application first and then attaches what it has, and the reviewer cannot approve before
every required kind is there. A claim's approval needs its proof of payment on file
(``kinds.CLAIM_REQUIRED``, ``require_claim_complete``), whatever the program.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, defer
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from voucher_service import audit_log
from voucher_service.db.tables.applications import (
    Application,
    ApplicationStatus,
    ModelSelection,
    SelectionStatus,
)
from voucher_service.db.tables.claims import Claim, ClaimStatus
from voucher_service.db.tables.paperwork import Document
from voucher_service.db.tables.programs import Program
from voucher_service.domain.paperwork import media_type_of
from voucher_service.errors import (
    DocumentTooLarge,
    ErrorCode,
    InvalidInput,
    InvalidState,
    MaterialsMissing,
    NotFound,
)
from voucher_service.materials.kinds import CLAIM_REQUIRED, NAMES, MaterialKind, parse_kinds
from voucher_service.pagination import where_given

FILENAME_MAX = 200
# Materials may be added while the bureau has not decided yet, or sent back for changes.
OPEN_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED)


@dataclass(frozen=True)
class Owner:
    """What a document belongs to: an application, a model selection or a claim, of one
    enterprise."""

    enterprise_id: int
    application_id: int | None = None
    selection_id: int | None = None
    claim_id: int | None = None

    @classmethod
    def of_application(cls, row: Application) -> Owner:
        assert row.id is not None
        return cls(row.enterprise_id, application_id=row.id)

    @classmethod
    def of_selection(cls, row: ModelSelection) -> Owner:
        assert row.id is not None
        return cls(row.enterprise_id, selection_id=row.id)

    @classmethod
    def of_claim(cls, row: Claim) -> Owner:
        assert row.id is not None
        return cls(row.enterprise_id, claim_id=row.id)

    @property
    def label(self) -> tuple[str, int]:
        if self.application_id is not None:
            return "application", self.application_id
        if self.claim_id is not None:
            return "claim", self.claim_id
        assert self.selection_id is not None
        return "selection", self.selection_id


@dataclass(frozen=True)
class Upload:
    """A document as a caller sends it."""

    kind: str
    filename: str
    content: bytes


def application_owner(
    session: Session, application_id: int, *, enterprise_id: int | None = None
) -> Owner:
    """The application a document belongs to, as its caller may see it: an enterprise's
    own only (another's is not found, as in the applications' endpoints)."""
    owner = _enterprise_of(session, Application, application_id, enterprise_id)
    return Owner(owner, application_id=application_id)


def selection_owner(
    session: Session, selection_id: int, *, enterprise_id: int | None = None
) -> Owner:
    """The model selection a document belongs to (measure 3), as ``application_owner``."""
    return Owner(
        _enterprise_of(session, ModelSelection, selection_id, enterprise_id),
        selection_id=selection_id,
    )


def claim_owner(session: Session, claim_id: int, *, enterprise_id: int | None = None) -> Owner:
    """The claim a document belongs to, as ``application_owner`` (another's is not found)."""
    return Owner(_enterprise_of(session, Claim, claim_id, enterprise_id), claim_id=claim_id)


def _enterprise_of(
    session: Session,
    model: type[Application] | type[ModelSelection] | type[Claim],
    row_id: int,
    enterprise_id: int | None,
) -> int:
    """The enterprise of an application's or a selection's row; not found when there is
    none (or it is another's than ``enterprise_id``, when given)."""
    query = where_given(
        select(model.enterprise_id), (model.id, row_id), (model.enterprise_id, enterprise_id)
    )
    found: int | None = session.scalar(query)
    if found is not None:
        return found
    if model is Application:
        raise NotFound(
            "no application {application_id}",
            code=ErrorCode.APPLICATION_NOT_FOUND,
            application_id=row_id,
        )
    if model is Claim:
        raise NotFound("no claim {claim_id}", claim_id=row_id, code=ErrorCode.CLAIM_NOT_FOUND)
    raise NotFound(
        "no selection {selection_id}", code=ErrorCode.SELECTION_NOT_FOUND, selection_id=row_id
    )


def _kind(value: str) -> MaterialKind:
    try:
        return MaterialKind(value)
    except ValueError:
        known = ", ".join(k.value for k in MaterialKind)
        raise InvalidInput(
            "unknown kind of material {value!r}: one of {known}",
            code=ErrorCode.INVALID_DOCUMENT_KIND,
            value=value[:40],
            known=known,
        ) from None


def _filename(value: str) -> str:
    name = value.replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())[:FILENAME_MAX]
    return name or "document"


def upload(
    session: Session, owner: Owner, upload: Upload, *, max_bytes: int, now: datetime
) -> Document:
    """File a document with an application, a selection or a claim. Refused, with nothing written,
    when its kind is unknown, it is empty or above ``max_bytes`` (413), or its content is
    not PDF, JPEG or PNG (422, whatever its name says)."""
    kind = _kind(upload.kind)
    if len(upload.content) > max_bytes:
        raise DocumentTooLarge(
            "the document is {size} bytes; at most {max_bytes} are accepted",
            size=len(upload.content),
            max_bytes=max_bytes,
        )
    media_type = media_type_of(upload.content)
    if media_type is None:
        raise InvalidInput(
            "the document is not a PDF, JPEG or PNG file (its content was checked, not its name)",
            code=ErrorCode.INVALID_DOCUMENT,
        )
    row = Document(
        enterprise_id=owner.enterprise_id,
        application_id=owner.application_id,
        selection_id=owner.selection_id,
        claim_id=owner.claim_id,
        kind=kind.value,
        filename=_filename(upload.filename),
        media_type=media_type,
        size_bytes=len(upload.content),
        sha256=hashlib.sha256(upload.content).hexdigest(),
        content=upload.content,
        uploaded_by=audit_log.actor_of(session).name,
        created_at=now,
    )
    session.add(row)
    session.flush()
    what, owner_id = owner.label
    audit_log.record(
        session,
        "document.upload",
        "document",
        row.id,
        after={
            what: owner_id,
            "kind": row.kind,
            "filename": row.filename,
            "size_bytes": row.size_bytes,
            "sha256": row.sha256,
        },
    )
    return row


def file_material(
    session: Session, owner: Owner, doc: Upload, *, max_bytes: int, now: datetime
) -> Document:
    """An application's material (while it waits for a decision or was returned), a
    model selection's filing document (while it waits for the batch), or a claim's contract,
    invoice or proof of payment (while it waits for the reviewer)."""
    if owner.claim_id is not None:
        status = session.scalar(select(Claim.status).where(Claim.id == owner.claim_id))
        if status != ClaimStatus.SUBMITTED:
            raise InvalidState(
                "claim {claim_id} is {status}; documents are added while it is submitted",
                claim_id=owner.claim_id,
                status=status,
            )
    elif owner.application_id is not None:
        status = session.scalar(
            select(Application.status).where(Application.id == owner.application_id)
        )
        if status not in OPEN_STATUSES:
            raise InvalidState(
                "application {application_id} is {status}; materials are added while "
                "it is submitted or returned",
                application_id=owner.application_id,
                status=status,
            )
    else:
        status = session.scalar(
            select(ModelSelection.status).where(ModelSelection.id == owner.selection_id)
        )
        if status != SelectionStatus.SUBMITTED:
            raise InvalidState(
                "selection {selection_id} is {status}; documents are added while it is submitted",
                selection_id=owner.selection_id,
                status=status,
            )
    return upload(session, owner, doc, max_bytes=max_bytes, now=now)


def _owned(owner: Owner) -> ColumnElement[bool]:
    if owner.application_id is not None:
        return col(Document.application_id) == owner.application_id
    if owner.claim_id is not None:
        return col(Document.claim_id) == owner.claim_id
    return col(Document.selection_id) == owner.selection_id


def list_documents(session: Session, owner: Owner) -> list[Document]:
    """The documents of an application, a selection or a claim, oldest first (without their
    bytes)."""
    query = (
        select(Document)
        .where(_owned(owner))
        .options(defer(Document.content))
        .order_by(col(Document.id))
    )
    return list(session.scalars(query))


def download(session: Session, owner: Owner, document_id: int) -> Document:
    """One document with its bytes; the download is an audit entry. Another application's
    document is not found, as another enterprise's application is."""
    row: Document | None = session.scalar(
        select(Document).where(Document.id == document_id, _owned(owner))
    )
    if row is None:
        raise NotFound(
            "no document {document_id}", code=ErrorCode.DOCUMENT_NOT_FOUND, document_id=document_id
        )
    what, owner_id = owner.label
    audit_log.record(
        session,
        "document.download",
        "document",
        row.id,
        after={what: owner_id, "kind": row.kind, "sha256": row.sha256},
    )
    return row


def program_of(session: Session, application_id: int) -> Program:
    program: Program | None = session.scalar(
        select(Program)
        .join(Application, Application.program_id == Program.id)
        .where(Application.id == application_id)
    )
    assert program is not None
    return program


def required_kinds(program: Program) -> list[MaterialKind]:
    return parse_kinds(program.required_materials)


def _missing(
    session: Session, owner: Owner, required: Sequence[MaterialKind]
) -> list[MaterialKind]:
    """The ``required`` kinds the owner has no document of yet."""
    if not required:
        return []
    filed = set(session.scalars(select(Document.kind).where(_owned(owner))))
    return [kind for kind in required if kind.value not in filed]


def missing_kinds(session: Session, program: Program, application_id: int) -> list[MaterialKind]:
    """The program's required kinds the application has no document of yet."""
    owner = Owner(0, application_id=application_id)  # the enterprise plays no part here
    return _missing(session, owner, required_kinds(program))


def _named(missing: Sequence[MaterialKind]) -> str:
    return ", ".join(f"{k.value} ({NAMES[k][0]})" for k in missing)


def require_complete(session: Session, program: Program, application: Application) -> None:
    """Approval's check: every kind of material the program requires is filed (409 naming
    what is missing, otherwise)."""
    assert application.id is not None
    missing = missing_kinds(session, program, application.id)
    if missing:
        raise MaterialsMissing(
            "application {application_id} lacks required materials: {named}",
            application_id=application.id,
            named=_named(missing),
        )


def require_claim_complete(session: Session, claim: Claim) -> None:
    """A claim's approval's check: its proof of payment is on file as a document (409
    ``materials_missing`` naming what is missing, otherwise)."""
    missing = _missing(session, Owner.of_claim(claim), CLAIM_REQUIRED)
    if missing:
        raise MaterialsMissing(
            "claim {claim_id} lacks required materials: {named}",
            claim_id=claim.id,
            named=_named(missing),
        )


@dataclass(frozen=True)
class Materials:
    """What an application's (or a selection's) materials page shows: its documents, the
    kinds its program requires, and those still missing."""

    items: list[Document]
    required: list[MaterialKind]
    missing: list[MaterialKind]


def materials_of(session: Session, owner: Owner) -> Materials:
    """An application's or a selection's documents with the program's required kinds (the
    API's list and the console's section are this one call)."""
    documents = list_documents(session, owner)
    if owner.claim_id is not None:
        required = list(CLAIM_REQUIRED)
        return Materials(documents, required, _missing(session, owner, required))
    if owner.application_id is None:
        return Materials(documents, [], [])
    program = program_of(session, owner.application_id)
    return Materials(
        documents, required_kinds(program), missing_kinds(session, program, owner.application_id)
    )
