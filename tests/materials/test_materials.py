"""Materials: documents filed with an application, type by content, size, owners, audit,
and approval refused until the program's required kinds are filed."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import (
    KeyedClient,
    last_entry,
    make_application,
    make_enterprise,
    make_pool,
    make_program,
    make_provider,
    make_selection,
)
from voucher_service.books import verify_ledger
from voucher_service.db.tables.audit import AuditEntry
from voucher_service.db.tables.auth import Role
from voucher_service.db.tables.paperwork import Document
from voucher_service.domain.paperwork import media_type_of

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


@given(st.binary(max_size=64))
def test_only_pdf_png_and_jpeg_magic_bytes_are_documents(content: bytes) -> None:
    known = content.startswith((b"%PDF-", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"))
    assert (media_type_of(content) is not None) == known


def document_entries(session: Session) -> int:
    """Audit entries of uploads and downloads (keys made on the way write their own)."""
    query = (
        select(func.count())
        .select_from(AuditEntry)
        .where(
            AuditEntry.action.in_(("document.upload", "document.download"))  # type: ignore[attr-defined]
        )
    )
    return session.scalar(query) or 0


def documents(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Document)) or 0


def upload(
    client: TestClient, path: str, kind: str, content: bytes, name: str = "licence.pdf", **kw: Any
) -> Any:
    files = {"file": (name, content, kw.pop("content_type", "application/pdf"))}
    return client.post(f"{path}/materials", data={"kind": kind}, files=files, **kw)


def scene(session: Session, required: str = "") -> tuple[str, str, int]:
    program = make_program(session)
    program.required_materials = required
    make_pool(session, program)
    enterprise = make_enterprise(session)
    row = make_application(session, program=program, enterprise=enterprise)
    session.commit()
    assert row.id is not None
    return enterprise.uscc, f"/v1/enterprise/{enterprise.uscc}/applications/{row.id}", row.id


def test_upload_list_download_with_audit(client: TestClient, session: Session) -> None:
    uscc, path, application_id = scene(session, "business_licence,size_declaration")
    before = document_entries(session)
    filed = upload(client, path, "business_licence", PDF, name="../营业执照.pdf")
    assert filed.status_code == 201, filed.text
    doc = filed.json()
    assert (doc["kind"], doc["media_type"], doc["size_bytes"]) == (
        "business_licence",
        "application/pdf",
        len(PDF),
    )
    assert doc["filename"] == "营业执照.pdf"  # no path from the client survives
    assert doc["sha256"] == hashlib.sha256(PDF).hexdigest()
    listing = client.get(f"{path}/materials").json()
    assert [d["id"] for d in listing["items"]] == [doc["id"]]
    assert (listing["required"], listing["missing"]) == (
        ["business_licence", "size_declaration"],
        ["size_declaration"],
    )
    got = client.get(f"{path}/materials/{doc['id']}")
    assert got.status_code == 200
    assert got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "attachment" in got.headers["content-disposition"]
    by_bureau = client.get(f"/v1/admin/applications/{application_id}/materials/{doc['id']}")
    assert by_bureau.content == PDF
    assert document_entries(session) == before + 3
    assert last_entry(session, "document.upload").target_id == str(doc["id"])
    assert last_entry(session, "document.download").target_id == str(doc["id"])


def test_the_type_is_read_from_the_content_not_the_name(
    client: TestClient, session: Session
) -> None:
    _, path, _ = scene(session)
    before = document_entries(session)
    for content, name, content_type in (
        (b"MZ\x90\x00 an executable", "licence.pdf", "application/pdf"),
        (b"<html><script>alert(1)</script>", "licence.png", "image/png"),
        (b"", "empty.pdf", "application/pdf"),
    ):
        refused = upload(client, path, "business_licence", content, name, content_type=content_type)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["code"] == "invalid_document"
    # ... and a real PNG named .pdf and sent as text is a PNG
    png = upload(client, path, "other", PNG, "scan.pdf", content_type="text/plain")
    assert (png.status_code, png.json()["media_type"]) == (201, "image/png")
    jpeg = upload(client, path, "other", JPEG, "photo.bin")
    assert jpeg.json()["media_type"] == "image/jpeg"
    unknown = upload(client, path, "passport", PDF)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (
        422,
        "invalid_document_kind",
    )
    assert documents(session) == 2
    assert document_entries(session) == before + 2


def test_a_document_above_the_size_setting_is_refused(
    client: TestClient, session: Session, monkeypatch: Any
) -> None:
    from voucher_service.config import get_settings

    _, path, _ = scene(session)
    monkeypatch.setattr(get_settings(), "material_max_bytes", 2048)
    refused = upload(client, path, "business_licence", PDF + b"0" * 4096)
    assert refused.status_code == 413, refused.text
    assert refused.json()["error"]["code"] == "document_too_large"
    assert documents(session) == 0


def test_access_follows_the_application(client: KeyedClient, session: Session) -> None:
    uscc, path, application_id = scene(session)
    doc = upload(client, path, "business_licence", PDF).json()
    other = make_enterprise(session, name="别家公司")
    provider = make_provider(session)
    session.commit()
    before = documents(session), document_entries(session)
    theirs = path.replace(uscc, other.uscc)
    for method, url in (
        ("get", f"{theirs}/materials"),
        ("get", f"{theirs}/materials/{doc['id']}"),
    ):
        answer = getattr(client, method)(url)
        assert answer.status_code == 404, (url, answer.text)
        assert answer.json()["error"]["code"] == "application_not_found"
    stranger = upload(client, theirs, "business_licence", PDF)
    assert stranger.status_code == 404
    # Another enterprise with the right path: its key is not the owner's.
    as_other = {"Authorization": f"Bearer {client.key(Role.ENTERPRISE, other.uscc)}"}
    assert client.get(f"{path}/materials", headers=as_other).status_code in (403, 404)
    # A provider has no route to materials at all.
    as_provider = {"Authorization": f"Bearer {client.key(Role.PROVIDER, provider.uscc)}"}
    assert client.get(f"{path}/materials", headers=as_provider).status_code in (403, 404)
    assert (
        client.get(
            f"/v1/admin/applications/{application_id}/materials", headers=as_provider
        ).status_code
        == 403
    )
    # A document of one application is not found through another.
    _, second_path, second_id = scene(session)
    wrong = client.get(f"/v1/admin/applications/{second_id}/materials/{doc['id']}")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (404, "document_not_found")
    assert (documents(session), document_entries(session)) == before


def test_approval_waits_for_the_required_materials(client: TestClient, session: Session) -> None:
    _, path, application_id = scene(session, "business_licence,compute_contract")
    approve = f"/v1/admin/applications/{application_id}/approve"
    refused = client.post(approve, json={})
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "materials_missing"
    assert "business_licence" in error["message"] and "compute_contract" in error["message"]
    upload(client, path, "business_licence", PDF)
    assert client.post(approve, json={}).json()["error"]["code"] == "materials_missing"
    upload(client, path, "compute_contract", JPEG, "contract.jpg")
    approved = client.post(approve, json={})
    assert (approved.status_code, approved.json()["status"]) == (200, "approved")
    late = upload(client, path, "other", PDF)
    assert (late.status_code, late.json()["error"]["code"]) == (409, "invalid_state")
    assert verify_ledger(session) == []


def test_a_selection_carries_its_filing_documents(client: TestClient, session: Session) -> None:
    program = make_program(session, requires_selection=True)
    enterprise = make_enterprise(session)
    row = make_selection(session, program=program, enterprise=enterprise, selected=False)
    session.commit()
    path = f"/v1/enterprise/{enterprise.uscc}/selections/{row.id}"
    filed = upload(client, path, "filing_certificate", PDF)
    assert filed.status_code == 201, filed.text
    listing = client.get(f"/v1/admin/selections/{row.id}/materials").json()
    assert [d["kind"] for d in listing["items"]] == ["filing_certificate"]
    got = client.get(f"/v1/admin/selections/{row.id}/materials/{filed.json()['id']}")
    assert got.content == PDF
