"""Claims after payment in the console: the enterprise submits a claim on its page (the same
service call as the API, the same refusals), the reviewer approves an invoice in part on the
bureau's queue page once the enterprise has filed its proof of payment on its claim's page,
finance pays it; the list downloads as CSV; another company's claims
are not found, and only a reviewer decides."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.console.html import Page
from tests.factories import (
    AUDITOR,
    FINANCE,
    PROOF_PDF,
    REVIEWER,
    Browser,
    KeyedClient,
    People,
    csrf_of,
    make_pool,
    make_program,
    post_form,
    uscc,
)
from voucher_service.books import verify_ledger
from voucher_service.domain.rules import ProgramMode
from voucher_service.programs.settings import ProgramSettings

ME = "finance.chen"
SELLER = uscc(division="420100")


def test_a_claim_from_the_enterprise_page_to_payment(
    client: KeyedClient, session: Session, people: People, browser: Browser
) -> None:
    program = make_program(
        session, code="YZ-CLAIM", settings=ProgramSettings(mode=ProgramMode.REIMBURSEMENT)
    )
    make_pool(session, program)
    session.commit()
    enterprise = people.enterprise.enterprise_uscc
    person = browser(ME)
    mine = f"/console/enterprise/{enterprise}/claims"
    fields = {
        "program_code": "YZ-CLAIM",
        "period_start": "2026-05-01",
        "period_end": "2026-05-31",
        "contract_reference": "HT-7",
        "payment_proof": "转账 0001",
        "invoices": f"INV-1, 2026-05-20, 1000.00, 武汉算力, {SELLER}\n"
        f"INV-2, 2026-05-21, ¥2,000.00, 武汉算力, {SELLER}",
    }
    submitted = post_form(person, mine, mine, **fields)
    assert submitted.status_code == 303, submitted.text
    page = person.get(submitted.headers["location"])
    assert "申报已提交" in page.text
    [(claim_id, cells)] = Page(page.text).rows("claims").items()
    assert "YZ-CLAIM" in cells and "待审核" in cells

    # the same invoice again: refused on the page, with the service's reason
    again = post_form(person, mine, mine, **fields)
    assert again.status_code == 409 and "已申报过" in again.text

    # another company's claim is not found
    other = people.other_enterprise.enterprise_uscc
    assert person.get(f"/console/enterprise/{other}/claims").status_code == 404

    # an auditor reads the queue but never decides
    auditor = browser(AUDITOR)
    one = f"/console/bureau/claims/{claim_id}"
    shown = auditor.get(one)
    assert shown.status_code == 200 and 'id="approve-claim"' in shown.text
    assert 'name="approved_' not in shown.text
    refused = auditor.post(f"{one}/reject", data={"reason": "x", "csrf_token": csrf_of(shown.text)})
    assert refused.status_code == 403

    reviewer = browser(REVIEWER)
    queue = reviewer.get("/console/bureau/claims", params={"status": "submitted"})
    assert claim_id in Page(queue.text).keys("claims")
    csv = reviewer.get("/console/bureau/claims", params={"format": "csv"})
    assert csv.status_code == 200 and "YZ-CLAIM" in csv.text
    api = client.get(f"/v1/admin/claims/{claim_id}").json()
    second = api["invoices"][1]["id"]
    # no proof of payment on file yet: the approval is refused on the page, nothing moves
    early = post_form(reviewer, one, f"{one}/approve")
    assert early.status_code == 409 and "payment_proof" in early.text
    # the enterprise files it on its claim's page (multipart, the API's service call)
    own = f"{mine}/{claim_id}"
    shown = person.get(own)
    assert 'id="materials"' in shown.text and 'enctype="multipart/form-data"' in shown.text
    sent = person.post(
        f"{own}/materials",
        data={"kind": "payment_proof", "csrf_token": csrf_of(shown.text)},
        files={"file": ("转账回单.pdf", PROOF_PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text[:500]
    [doc] = client.get(f"/v1/admin/claims/{claim_id}/materials").json()["items"]
    assert person.get(f"{own}/materials/{doc['id']}").content == PROOF_PDF
    # the reviewer's page lists it with its download
    link = f"{one}/materials/{doc['id']}"
    assert link in reviewer.get(one).text and "转账回单.pdf" in reviewer.get(one).text
    assert reviewer.get(link).content == PROOF_PDF
    approved = post_form(
        reviewer,
        one,
        f"{one}/approve",
        **{f"approved_{second}": "500.00", f"reason_{second}": "只有部分为算力费用"},
    )
    assert approved.status_code == 303, approved.text
    api = client.get(f"/v1/admin/claims/{claim_id}").json()
    assert (api["status"], api["subsidy_yuan"]) == ("approved", "750.00")

    finance = browser(FINANCE)
    paid = post_form(finance, one, f"{one}/pay", payment_reference="BANK-0001")
    assert paid.status_code == 303, paid.text
    assert client.get(f"/v1/admin/claims/{claim_id}").json()["status"] == "paid"
    detail = person.get(f"{mine}/{claim_id}")
    assert detail.status_code == 200 and "750.00" in detail.text and "已支付" in detail.text
    assert verify_ledger(session) == []
