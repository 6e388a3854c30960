"""A claim's materials (issue #25): the enterprise files its contract, invoice scans and proof
of payment with its own claim (PDF, JPEG or PNG by content, at most the size setting, an
audit entry each), reads and downloads them, as the bureau does; another enterprise's claim
is 404; a bad file is refused with nothing written; and a claim is approved only with a
``payment_proof`` document on file (409 ``materials_missing`` before)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import (
    PROOF_PDF,
    KeyedClient,
    attach_proof,
    bureau_person,
    last_entry,
    make_enterprise,
    make_pool,
    make_program,
    uscc,
)
from voucher_service.books import verify_ledger
from voucher_service.db.tables.audit import AuditEntry
from voucher_service.db.tables.auth import Duty, Role
from voucher_service.db.tables.paperwork import Document
from voucher_service.domain.rules import ProgramMode
from voucher_service.programs.settings import ProgramSettings

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def written(session: Session) -> tuple[int, int]:
    """Documents, and the audit entries of uploads."""
    documents = session.scalar(select(func.count()).select_from(Document)) or 0
    uploads = session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "document.upload")
    )
    return documents, uploads or 0


def upload(
    client: TestClient, path: str, kind: str, content: bytes, name: str = "scan.pdf", **kw: Any
) -> Any:
    files = {"file": (name, content, kw.pop("content_type", "application/pdf"))}
    return client.post(f"{path}/materials", data={"kind": kind}, files=files, **kw)


@pytest.fixture
def claim(client: KeyedClient, session: Session) -> tuple[str, int]:
    """An enterprise's submitted claim in a reimbursement program: (its uscc, the claim's id)."""
    program = make_program(session, settings=ProgramSettings(mode=ProgramMode.REIMBURSEMENT))
    make_pool(session, program)
    enterprise = make_enterprise(session).uscc
    session.commit()
    submitted = client.post(
        f"/v1/enterprise/{enterprise}/claims",
        json={
            "program_code": program.code,
            "period_start": "2026-04-01",
            "period_end": "2026-06-10",
            "contract_reference": "HT-2026-0042",
            "payment_proof": "ICBC transfer 2026061000123",
            "invoices": [
                {
                    "invoice_number": "00000001",
                    "invoice_date": "2026-05-31",
                    "amount_yuan": "1000.00",
                    "seller_name": "武汉算力科技有限公司",
                    "seller_uscc": uscc(division="420100"),
                }
            ],
        },
    )
    assert submitted.status_code == 201, submitted.text
    return enterprise, submitted.json()["id"]


def test_upload_list_download_by_the_owner_and_the_bureau(
    client: KeyedClient, session: Session, claim: tuple[str, int]
) -> None:
    enterprise, claim_id = claim
    mine = f"/v1/enterprise/{enterprise}/claims/{claim_id}"
    listed = client.get(f"{mine}/materials").json()
    assert (listed["items"], listed["required"], listed["missing"]) == (
        [],
        ["payment_proof"],
        ["payment_proof"],
    )
    contract = upload(client, mine, "compute_contract", PROOF_PDF, "合同.pdf")
    assert contract.status_code == 201, contract.text
    assert (contract.json()["kind"], contract.json()["filename"]) == (
        "compute_contract",
        "合同.pdf",
    )
    scan = upload(client, mine, "invoice", PNG, "invoice.pdf", content_type="text/plain")
    assert (scan.status_code, scan.json()["media_type"]) == (201, "image/png")
    proof = attach_proof(client, enterprise, claim_id)
    entry = last_entry(session, "document.upload")
    assert entry.target_id == str(proof["id"]) and f'"claim": {claim_id}' in str(entry.after)

    listed = client.get(f"{mine}/materials").json()
    assert [d["kind"] for d in listed["items"]] == ["compute_contract", "invoice", "payment_proof"]
    assert listed["missing"] == []
    got = client.get(f"{mine}/materials/{proof['id']}")
    assert (got.status_code, got.content) == (200, PROOF_PDF)
    assert got.headers["content-type"] == "application/pdf"

    bureau = f"/v1/admin/claims/{claim_id}/materials"
    reader = bureau_person(client, Duty.AUDIT, name="auditor qian")
    assert [d["id"] for d in client.get(bureau, headers=reader).json()["items"]] == [
        d["id"] for d in listed["items"]
    ]
    by_bureau = client.get(f"{bureau}/{scan.json()['id']}", headers=reader)
    assert (by_bureau.status_code, by_bureau.content) == (200, PNG)
    assert last_entry(session, "document.download").target_id == str(scan.json()["id"])
    # a claim's document is not found through an application, nor another claim's path
    wrong = client.get(f"/v1/admin/claims/{claim_id + 1000}/materials/{proof['id']}")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (404, "claim_not_found")


def test_another_enterprise_s_claim_is_404_and_nothing_written(
    client: KeyedClient, session: Session, claim: tuple[str, int]
) -> None:
    enterprise, claim_id = claim
    doc = attach_proof(client, enterprise, claim_id)
    other = make_enterprise(session, name="别家公司").uscc
    session.commit()
    before = written(session)
    theirs = f"/v1/enterprise/{other}/claims/{claim_id}"
    for answer in (
        client.get(f"{theirs}/materials"),
        client.get(f"{theirs}/materials/{doc['id']}"),
        upload(client, theirs, "payment_proof", PROOF_PDF),
    ):
        assert answer.status_code == 404, answer.text
        assert answer.json()["error"]["code"] == "claim_not_found"
    # another enterprise's key on my claim's path
    as_other = {"Authorization": f"Bearer {client.key(Role.ENTERPRISE, other)}"}
    mine = f"/v1/enterprise/{enterprise}/claims/{claim_id}"
    assert client.get(f"{mine}/materials", headers=as_other).status_code in (403, 404)
    assert upload(client, mine, "invoice", PROOF_PDF, headers=as_other).status_code in (403, 404)
    assert written(session) == before


def test_a_bad_file_is_refused_with_nothing_written(
    client: KeyedClient, session: Session, claim: tuple[str, int], monkeypatch: Any
) -> None:
    from voucher_service.config import get_settings

    enterprise, claim_id = claim
    mine = f"/v1/enterprise/{enterprise}/claims/{claim_id}"
    before = written(session)
    not_pdf = upload(client, mine, "payment_proof", b"MZ\x90\x00 an executable", "proof.pdf")
    assert (not_pdf.status_code, not_pdf.json()["error"]["code"]) == (422, "invalid_document")
    empty = upload(client, mine, "payment_proof", b"", "proof.pdf")
    assert empty.status_code == 422
    unknown = upload(client, mine, "passport", PROOF_PDF)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (422, "invalid_document_kind")
    monkeypatch.setattr(get_settings(), "material_max_bytes", 2048)
    large = upload(client, mine, "payment_proof", PROOF_PDF + b"0" * 4096)
    assert (large.status_code, large.json()["error"]["code"]) == (413, "document_too_large")
    assert written(session) == before
    assert client.get(f"{mine}/materials").json()["items"] == []


def test_approval_needs_a_proof_of_payment_on_file(
    client: KeyedClient, session: Session, claim: tuple[str, int]
) -> None:
    enterprise, claim_id = claim
    mine = f"/v1/enterprise/{enterprise}/claims/{claim_id}"
    approve = f"/v1/admin/claims/{claim_id}/approve"
    reviewer = bureau_person(client, Duty.REVIEW, name="reviewer li")
    refused = client.post(approve, json={}, headers=reviewer)
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "materials_missing" and "payment_proof" in error["message"]
    # an invoice's scan is not a proof of payment
    assert upload(client, mine, "invoice", PROOF_PDF).status_code == 201
    again = client.post(approve, json={}, headers=reviewer)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "materials_missing")
    assert client.get(f"/v1/admin/claims/{claim_id}").json()["status"] == "submitted"

    attach_proof(client, enterprise, claim_id)
    approved = client.post(approve, json={}, headers=reviewer)
    assert (approved.status_code, approved.json()["status"]) == (200, "approved"), approved.text
    assert approved.json()["subsidy_yuan"] == "500.00"
    # decided: no more documents for it
    late = upload(client, mine, "other", PROOF_PDF)
    assert (late.status_code, late.json()["error"]["code"]) == (409, "invalid_state")
    assert verify_ledger(session) == []
