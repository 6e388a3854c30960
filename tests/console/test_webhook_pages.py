"""The provider's webhook page agrees with the API (the same endpoints and deliveries, the
same refusals), shows a secret once, rotates, deletes and resends; and the PDF buttons on the
provider's, the SME's and the bureau's pages download the documents the API serves."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.console.html import Page
from tests.factories import Browser, Month, People, make_application, post_form, second_admin
from voucher_service.db.tables.programs import Program
from voucher_service.db.tables.webhooks import WebhookDelivery, WebhookEndpoint

ME = "ops.sun"


def test_register_rotate_resend_delete(
    month: Month, browser: Browser, session: Session, people: People
) -> None:
    person = browser(ME)
    page = f"/console/provider/{month.provider}/webhooks"
    assert Page(person.get(page).text).keys("endpoints") == []

    refused = post_form(person, page, page, url="http://ops.example.cn/h")
    assert refused.status_code == 422 and "https" in refused.text

    made = post_form(person, page, page, url="https://ops.example.cn/h", description="运维")
    assert made.status_code == 201, made.text
    endpoint = session.scalar(select(WebhookEndpoint))
    assert endpoint is not None and endpoint.secret in made.text  # shown this once
    assert endpoint.secret not in person.get(page).text  # and never again
    api = month.api(f"/v1/provider/{month.provider}/webhook-endpoints")["items"]
    assert Page(person.get(page).text).keys("endpoints") == [str(e["id"]) for e in api]

    rotated = post_form(person, page, f"{page}/{endpoint.id}/rotate")
    session.refresh(endpoint)
    assert rotated.status_code == 201 and endpoint.secret in rotated.text
    assert endpoint.previous_secret is not None

    month.post("job-9", "30.00", uscc=people.other_enterprise.enterprise_uscc)  # refused: an event
    deliveries = month.api(f"/v1/provider/{month.provider}/webhook-deliveries")["items"]
    [delivery] = deliveries
    listed = Page(person.get(page).text)
    assert listed.keys("deliveries") == [str(delivery["id"])]
    assert "usage_record.refused" in listed.rows("deliveries")[str(delivery["id"])]
    detail = person.get(f"{page}/deliveries/{delivery['id']}")
    assert detail.status_code == 200 and delivery["event_id"] in detail.text
    resent = post_form(person, page, f"{page}/deliveries/{delivery['id']}/resend")
    assert resent.status_code == 303

    gone = post_form(person, page, f"{page}/{endpoint.id}/delete")
    assert gone.status_code == 303
    assert Page(person.get(page).text).keys("endpoints") == []
    assert session.scalar(select(WebhookDelivery.status)) == "failed"
    # Another provider's page is not found, as in the API.
    other = browser(ME).get(f"/console/provider/{month.other_provider}/webhooks")
    assert other.status_code == 404


def test_pdf_buttons(month: Month, browser: Browser, session: Session, people: People) -> None:
    month.client.app.state.clock = lambda: datetime(2026, 7, 2, 2, tzinfo=UTC)  # type: ignore[attr-defined]
    closed = month.client.post(
        "/v1/admin/statements", json={"provider_uscc": month.provider, "period": "2026-06"}
    )
    [statement] = closed.json()["statements"]
    mine = browser(ME)
    page = mine.get(f"/console/provider/{month.provider}/statements/{statement['id']}").text
    link = f"/console/provider/{month.provider}/statements/{statement['id']}/statement.pdf"
    assert f'href="{link}"' in page
    pdf = mine.get(link)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert browser("finance.zhou").get(link).status_code in (403, 404)
    bureau = browser("reviewer.li")
    bureau_link = f"/console/bureau/statements/{statement['id']}/statement.pdf"
    assert (
        f'href="{bureau_link}"' in bureau.get(f"/console/bureau/statements/{statement['id']}").text
    )
    assert bureau.get(bureau_link).content.startswith(b"%PDF-")

    program = session.scalar(select(Program).where(Program.code == month.program))
    assert program is not None
    from voucher_service.enterprises.service import get_enterprise

    application = make_application(
        session, program=program, enterprise=get_enterprise(session, month.enterprise)
    )
    session.commit()
    approved = month.client.post(
        f"/v1/admin/applications/{application.id}/approve",
        json={},
        headers=second_admin(month.client),
    )
    assert approved.status_code == 200, approved.text
    sme = browser("finance.chen")
    base = f"/console/enterprise/{month.enterprise}/applications/{application.id}"
    assert f'href="{base}/approval-notice.pdf"' in sme.get(base).text
    assert sme.get(f"{base}/approval-notice.pdf").content.startswith(b"%PDF-")
    bureau_notice = f"/console/bureau/applications/{application.id}/approval-notice.pdf"
    assert (
        f'href="{bureau_notice}"'
        in bureau.get(f"/console/bureau/applications/{application.id}").text
    )
    assert bureau.get(bureau_notice).content.startswith(b"%PDF-")
