"""Claims after payment (reimbursement mode), through the API: an enterprise claims with its
contract, invoices and proof of payment; a reviewer approves in part; the subsidy is priced
by the program's rate and cap and drawn from the year's pool through the ledger; finance
pays it; a correction gives part back. An invoice is claimed once; a point-of-sale program
takes no claims (and a reimbursement program issues no vouchers); another's claim is 404;
bad amounts are 422 with nothing written; ``verify`` stays clean."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import (
    KeyedClient,
    Scene,
    attach_proof,
    auditor,
    bureau_person,
    last_entry,
    make_enterprise,
    make_pool,
    make_program,
    uscc,
)
from voucher_service.books import verify_ledger
from voucher_service.db.tables.auth import Duty
from voucher_service.db.tables.claims import Claim, ClaimInvoice
from voucher_service.db.tables.ledger import CapUsage, LedgerPosting
from voucher_service.db.tables.programs import Pool, Program
from voucher_service.domain.rules import ProgramMode
from voucher_service.programs.settings import ProgramSettings, settings_of, store

REIMBURSE = ProgramSettings(mode=ProgramMode.REIMBURSEMENT)
SELLER = uscc(division="420100")


@dataclass
class ClaimScene:
    client: KeyedClient
    session: Session
    program: Program
    enterprise: str

    def submit(self, *invoices: dict[str, Any], **changes: Any) -> Any:
        body = {
            "program_code": self.program.code,
            "period_start": "2026-04-01",
            "period_end": "2026-06-10",
            "contract_reference": "HT-2026-0042",
            "payment_proof": "ICBC transfer 2026061000123",
            "invoices": list(invoices) or [invoice("00000001", "1000.00")],
            **changes,
        }
        return self.client.post(f"/v1/enterprise/{self.enterprise}/claims", json=body)

    def pool_available(self) -> int:
        return int(
            self.session.scalar(
                select(Pool.available_fen)
                .where(Pool.program_id == self.program.id)
                .execution_options(populate_existing=True)
            )
            or 0
        )

    def cap_used(self) -> int:
        return int(
            self.session.scalar(
                select(func.coalesce(func.sum(CapUsage.used_fen), 0)).execution_options(
                    populate_existing=True
                )
            )
            or 0
        )

    def written(self) -> tuple[int, int, int]:
        return (
            int(self.session.scalar(select(func.count()).select_from(Claim)) or 0),
            int(self.session.scalar(select(func.count()).select_from(ClaimInvoice)) or 0),
            int(self.session.scalar(select(func.count()).select_from(LedgerPosting)) or 0),
        )


def invoice(number: str, amount: str, day: str = "2026-05-31", seller: str = SELLER) -> dict:  # type: ignore[type-arg]
    return {
        "invoice_number": number,
        "invoice_date": day,
        "amount_yuan": amount,
        "seller_name": "武汉算力科技有限公司",
        "seller_uscc": seller,
    }


@pytest.fixture
def claims(client: KeyedClient, session: Session) -> ClaimScene:
    """A reimbursement program (50%, a 20,000-yuan lifetime cap), its 2026 pool of
    1,000,000 yuan, and an enterprise."""
    program = make_program(session, cap_fen=20_000_00, settings=REIMBURSE)
    make_pool(session, program, total_fen=1_000_000_00)
    enterprise = make_enterprise(session).uscc
    session.commit()
    return ClaimScene(client, session, program, enterprise)


def test_two_invoices_approved_in_part_paid_exactly_rate_times_approved_capped(
    claims: ClaimScene,
) -> None:
    client = claims.client
    submitted = claims.submit(invoice("A-1", "30000.00"), invoice("B-2", "20000.00", "2026-06-02"))
    assert submitted.status_code == 201, submitted.text
    claim = submitted.json()
    assert (claim["status"], claim["claimed_yuan"], claim["year"]) == (
        "submitted",
        "50000.00",
        2026,
    )
    assert last_entry(claims.session, "claim.submit").target_id == str(claim["id"])
    a, b = claim["invoices"]
    pool_before = claims.pool_available()
    attach_proof(client, claims.enterprise, claim["id"])  # what approval needs on file

    reviewer = bureau_person(client, Duty.REVIEW, name="reviewer li")
    # less than the invoice without a reason: 422, nothing written
    no_reason = client.post(
        f"/v1/admin/claims/{claim['id']}/approve",
        json={"invoices": [{"invoice_id": b["id"], "approved_yuan": "12000.00"}]},
        headers=reviewer,
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["error"]["code"] == "reason_required"
    approved = client.post(
        f"/v1/admin/claims/{claim['id']}/approve",
        json={
            "invoices": [
                {
                    "invoice_id": b["id"],
                    "approved_yuan": "12000.00",
                    "reason": "8,000 of it is storage, not compute",
                }
            ]
        },
        headers=reviewer,
    )
    assert approved.status_code == 200, approved.text
    body = approved.json()
    # 50% of 30,000 + 50% of 12,000 = 21,000, capped at 20,000: the second invoice gets 5,000
    assert [(i["approved_yuan"], i["subsidy_yuan"], i["shortfall"]) for i in body["invoices"]] == [
        ("30000.00", "15000.00", None),
        ("12000.00", "5000.00", "cap_reached"),
    ]
    assert (body["status"], body["approved_yuan"], body["subsidy_yuan"], body["payable_yuan"]) == (
        "approved",
        "42000.00",
        "20000.00",
        "20000.00",
    )
    assert claims.pool_available() == pool_before - 20_000_00
    assert claims.cap_used() == 20_000_00
    assert verify_ledger(claims.session) == []

    # finance pays, never the reviewer who approved
    same = client.post(
        f"/v1/admin/claims/{claim['id']}/pay", json={"payment_reference": "TR-1"}, headers=reviewer
    )
    assert same.status_code == 403, same.text
    paid = client.post(
        f"/v1/admin/claims/{claim['id']}/pay",
        json={"payment_reference": "TR-2026-0001"},
        headers=bureau_person(client, Duty.FINANCE, name="finance wang"),
    )
    assert paid.status_code == 200, paid.text
    assert (paid.json()["status"], paid.json()["paid_yuan"], paid.json()["payable_yuan"]) == (
        "paid",
        "20000.00",
        "0.00",
    )
    assert verify_ledger(claims.session) == []

    # a correction: invoice B down to 4,000 earns 2,000; 3,000 goes back to the pool and cap
    corrected = client.post(
        f"/v1/admin/claims/{claim['id']}/correct",
        json={"invoice_id": b["id"], "approved_yuan": "4000.00", "reason": "credit note 0042"},
        headers=reviewer,
    )
    assert corrected.status_code == 200, corrected.text
    body = corrected.json()
    assert (body["subsidy_yuan"], body["payable_yuan"]) == ("17000.00", "-3000.00")
    assert body["corrections"][0]["subsidy_back_yuan"] == "3000.00"
    assert claims.pool_available() == pool_before - 17_000_00
    assert claims.cap_used() == 17_000_00
    assert last_entry(claims.session, "claim.correct").target_id == str(claim["id"])
    assert verify_ledger(claims.session) == []


def test_the_same_invoice_is_never_claimed_twice(claims: ClaimScene) -> None:
    first = claims.submit(invoice("INV-7", "1000.00"))
    assert first.status_code == 201, first.text
    written = claims.written()
    # the same seller's invoice in a second claim
    again = claims.submit(invoice("OTHER-1", "50.00"), invoice("INV-7", "1000.00"))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invoice_already_claimed"
    # twice in one claim
    twice = claims.submit(invoice("INV-8", "10.00"), invoice("INV-8", "10.00"))
    assert twice.status_code == 422
    assert twice.json()["error"]["code"] == "invoice_already_claimed"
    assert claims.written() == written
    # the same number from another seller is another invoice
    other_seller = claims.submit(invoice("INV-7", "1000.00", seller=uscc(division="420100")))
    assert other_seller.status_code == 201, other_seller.text


def test_the_database_refuses_a_second_claim_of_an_invoice(claims: ClaimScene) -> None:
    """The unique key holds whatever process asks (the service's check aside)."""
    from sqlalchemy.exc import IntegrityError

    first = claims.submit(invoice("DB-1", "10.00")).json()
    row = claims.session.get(ClaimInvoice, first["invoices"][0]["id"])
    assert row is not None
    claims.session.add(
        ClaimInvoice(
            claim_id=first["id"],
            invoice_number="DB-1",
            invoice_date=row.invoice_date,
            amount_fen=1000,
            seller_name="x",
            seller_uscc=SELLER,
        )
    )
    with pytest.raises(IntegrityError):
        claims.session.flush()
    claims.session.rollback()


def test_each_program_pays_one_way(claims: ClaimScene, scene: Scene) -> None:
    # a point-of-sale program takes no claims
    pos = claims.submit(program_code=scene.program)
    assert pos.status_code == 409 and pos.json()["error"]["code"] == "not_reimbursement"
    # a reimbursement program issues no vouchers
    voucher = claims.client.post(
        "/v1/admin/vouchers",
        json={
            "program_code": claims.program.code,
            "year": 2026,
            "uscc": claims.enterprise,
            "face_value_yuan": "100.00",
        },
    )
    assert voucher.status_code == 409
    assert voucher.json()["error"]["code"] == "reimbursement_program"
    shown = claims.client.get(f"/v1/admin/programs/{claims.program.code}").json()
    assert shown["mode"] == "reimbursement"


def test_spending_subsidised_at_the_point_of_sale_is_not_claimed(
    scene: Scene, session: Session
) -> None:
    assert scene.post("job-1", "400.00").json()["outcome"] == "subsidised"
    program = session.scalar(select(Program).where(Program.code == scene.program))
    assert program is not None
    store(program, replace(settings_of(program), mode=ProgramMode.REIMBURSEMENT))
    session.commit()
    body = {
        "program_code": scene.program,
        "period_start": "2026-06-01",
        "period_end": "2026-06-15",
        "contract_reference": "HT-1",
        "payment_proof": "transfer 1",
        "invoices": [invoice("P-1", "400.00", "2026-06-15", seller=scene.provider)],
    }
    refused = scene.client.post(f"/v1/enterprise/{scene.enterprise}/claims", json=body)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "already_subsidised"


def test_another_enterprise_s_claim_is_not_found(claims: ClaimScene) -> None:
    claim = claims.submit().json()
    other = make_enterprise(claims.session).uscc
    claims.session.commit()
    mine = claims.client.get(f"/v1/enterprise/{claims.enterprise}/claims/{claim['id']}")
    assert mine.status_code == 200
    theirs = claims.client.get(f"/v1/enterprise/{other}/claims/{claim['id']}")
    assert theirs.status_code == 404
    assert theirs.json()["error"]["code"] == "claim_not_found"
    assert claims.client.get(f"/v1/enterprise/{other}/claims").json()["items"] == []
    # another's key on my path: 404, as for every owner rule
    from voucher_service.db.tables.auth import Role

    foreign = claims.client.get(
        f"/v1/enterprise/{claims.enterprise}/claims",
        headers={"Authorization": f"Bearer {claims.client.key(Role.ENTERPRISE, other)}"},
    )
    assert foreign.status_code == 404


@pytest.mark.parametrize("amount", ["0.00", "-5.00", "12.345", "abc", 100])
def test_bad_amounts_are_422_with_nothing_written(claims: ClaimScene, amount: Any) -> None:
    written = claims.written()
    bad = claims.submit(invoice("BAD-1", amount))
    assert bad.status_code == 422, bad.text
    assert set(bad.json()["error"]) >= {"code", "message"}
    assert claims.written() == written


def test_approving_more_than_an_invoice_or_twice_is_refused(claims: ClaimScene) -> None:
    claim = claims.submit(invoice("X-1", "100.00")).json()
    attach_proof(claims.client, claims.enterprise, claim["id"])
    reviewer = bureau_person(claims.client, Duty.REVIEW, name="reviewer li")
    written = claims.written()
    over = claims.client.post(
        f"/v1/admin/claims/{claim['id']}/approve",
        json={"invoices": [{"invoice_id": claim["invoices"][0]["id"], "approved_yuan": "100.01"}]},
        headers=reviewer,
    )
    assert over.status_code == 422 and over.json()["error"]["code"] == "invalid_amount"
    assert claims.written() == written
    ok = claims.client.post(f"/v1/admin/claims/{claim['id']}/approve", json={}, headers=reviewer)
    assert ok.status_code == 200 and ok.json()["subsidy_yuan"] == "50.00"
    again = claims.client.post(f"/v1/admin/claims/{claim['id']}/approve", json={}, headers=reviewer)
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state"


def test_a_claim_rejected_with_a_reason_moves_nothing(claims: ClaimScene) -> None:
    claim = claims.submit().json()
    reviewer = bureau_person(claims.client, Duty.REVIEW, name="reviewer li")
    postings = claims.written()[2]
    no_reason = claims.client.post(
        f"/v1/admin/claims/{claim['id']}/reject", json={"reason": ""}, headers=reviewer
    )
    assert no_reason.status_code == 422
    rejected = claims.client.post(
        f"/v1/admin/claims/{claim['id']}/reject",
        json={"reason": "the contract is with another enterprise"},
        headers=reviewer,
    )
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["status"], rejected.json()["reason"]) == (
        "rejected",
        "the contract is with another enterprise",
    )
    assert claims.written()[2] == postings
    assert last_entry(claims.session, "claim.reject").target_id == str(claim["id"])


def test_the_queue_lists_filters_and_searches(claims: ClaimScene) -> None:
    first = claims.submit(invoice("Q-1", "10.00")).json()
    second = claims.submit(invoice("Q-2", "20.00"), contract_reference="CONTRACT-SPECIAL-9").json()
    client = claims.client
    queue = client.get("/v1/admin/claims", params={"status": "submitted"}).json()["items"]
    assert [c["id"] for c in queue] == [first["id"], second["id"]]
    found = client.get("/v1/admin/claims", params={"q": "special-9"}).json()["items"]
    assert [c["id"] for c in found] == [second["id"]]
    by_program = client.get("/v1/admin/claims", params={"program": claims.program.code}).json()
    assert len(by_program["items"]) == 2
    numbered = client.get("/v1/admin/claims", params={"sort": "-claimed"}).json()
    assert ([c["id"] for c in numbered["items"]], numbered["total"]) == (
        [second["id"], first["id"]],
        2,
    )
    # an auditor reads the queue, but never decides
    assert client.get("/v1/admin/claims", headers=auditor(client)).status_code == 200
    refused = client.post(
        f"/v1/admin/claims/{first['id']}/approve", json={}, headers=auditor(client)
    )
    assert refused.status_code == 403


def test_a_period_outside_the_program_or_spanning_years_is_refused(claims: ClaimScene) -> None:
    spans = claims.submit(period_start="2025-12-01", period_end="2026-01-31")
    assert spans.status_code == 422 and spans.json()["error"]["code"] == "invalid_period"
    future = claims.submit(period_end="2026-07-31")
    assert future.status_code == 422
    outside = claims.submit(invoice("O-1", "10.00", day="2026-03-01"))
    assert outside.status_code == 422 and outside.json()["error"]["code"] == "invalid_period"


def test_a_claim_under_a_year_cap_beside_the_lifetime_cap_counts_on_both(
    client: KeyedClient, session: Session
) -> None:
    """A reimbursement program with 5,000 yuan a subsidy year under 8,000 over the window
    (the example file reimbursement-per-year.toml's shape, smaller): a claim is held at the
    year's cap; its subsidy counts on the year's counter and on the lifetime counter; a
    correction gives back to both, and ``verify`` agrees."""
    program = make_program(session, cap_fen=8_000_00, year_cap_fen=5_000_00, settings=REIMBURSE)
    make_pool(session, program, total_fen=1_000_000_00)
    scene = ClaimScene(client, session, program, make_enterprise(session).uscc)
    session.commit()
    submitted = scene.submit(invoice("Y-1", "8000.00"), invoice("Y-2", "6000.00", "2026-06-01"))
    assert submitted.status_code == 201, submitted.text
    claim = submitted.json()
    attach_proof(client, scene.enterprise, claim["id"])
    reviewer = bureau_person(client, Duty.REVIEW, name="reviewer zhou")
    approved = client.post(
        f"/v1/admin/claims/{claim['id']}/approve", json={"invoices": []}, headers=reviewer
    )
    assert approved.status_code == 200, approved.text
    body = approved.json()
    # 50% of 8,000 = 4,000; 50% of 6,000 = 3,000 but only 1,000 is left of the year's 5,000
    assert [(i["subsidy_yuan"], i["shortfall"]) for i in body["invoices"]] == [
        ("4000.00", None),
        ("1000.00", "cap_reached"),
    ]
    counters = dict(
        session.execute(
            select(CapUsage.period, CapUsage.used_fen).execution_options(populate_existing=True)
        ).all()
    )
    assert counters == {0: 5_000_00, 1: 5_000_00}
    assert verify_ledger(session) == []

    corrected = client.post(
        f"/v1/admin/claims/{claim['id']}/correct",
        json={"invoice_id": body["invoices"][0]["id"], "approved_yuan": "2000.00", "reason": "x"},
        headers=reviewer,
    )
    assert corrected.status_code == 200, corrected.text
    counters = dict(
        session.execute(
            select(CapUsage.period, CapUsage.used_fen).execution_options(populate_existing=True)
        ).all()
    )
    assert counters == {0: 2_000_00, 1: 2_000_00}
    assert scene.pool_available() == 1_000_000_00 - 2_000_00
    assert verify_ledger(session) == []
