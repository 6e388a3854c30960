"""The grants page (issue 25): a grants program's year against its ceiling with its grants,
and one grant's actions, showing what the API answers for the same person."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.factories import ADMIN, AUDITOR, FINANCE, Browser, KeyedClient, People, post_form
from tests.grants.test_grants_api import CODE, apply, budget


def test_the_year_against_its_ceiling_and_a_grant_approved_accepted_and_paid(
    client: KeyedClient, session: Session, people: People, browser: Browser
) -> None:
    institute, _ = budget(client, session)
    grant = apply(client, institute, "1200000.00")
    admin = browser(ADMIN)
    page = admin.get(f"/console/bureau/grants?program={CODE}&year=2026")
    assert page.status_code == 200
    assert "项目资助" in page.text and "¥3,000,000.00" in page.text
    one = f"/console/bureau/grants/{grant['id']}"
    too_much = post_form(admin, one, f"{one}/approve", amount="3,000,000.01", reason="")
    assert too_much.status_code == 422 and "大于零且不超过申请金额" in too_much.text
    approved = post_form(admin, one, f"{one}/approve", amount="1,000,000.00", reason="部分核定")
    assert approved.status_code == 303
    assert client.get(f"/v1/admin/grants/{grant['id']}").json()["approved_yuan"] == "1000000.00"
    added = post_form(admin, one, f"{one}/milestones", description="试运行", amount="400000")
    assert added.status_code == 303
    milestone = client.get(f"/v1/admin/grants/{grant['id']}").json()["milestones"][0]["id"]
    accept = f"{one}/milestones/{milestone}/accept"
    assert post_form(admin, one, accept).status_code == 303
    paid = post_form(browser(FINANCE), one, f"{one}/milestones/{milestone}/pay")
    assert paid.status_code == 303
    year = client.get(f"/v1/admin/grants/budgets/{CODE}/2026").json()
    assert (year["paid_yuan"], year["remaining_yuan"]) == ("400000.00", "2000000.00")
    shown = admin.get(f"/console/bureau/grants?program={CODE}&year=2026").text
    assert "¥400,000.00" in shown and "¥2,000,000.00" in shown
    # The audit log names every step in Chinese.
    audit = browser(AUDITOR).get("/console/bureau/audit")
    assert audit.status_code == 200
    assert all(name in audit.text for name in ("核定资助", "验收里程碑", "拨付分期资助"))
    # An auditor reads the page and is given no action.
    read = browser(AUDITOR).get(one)
    assert read.status_code == 200 and "approve-grant" not in read.text
    assert post_form(browser(AUDITOR), one, f"{one}/reject", reason="x").status_code == 403
