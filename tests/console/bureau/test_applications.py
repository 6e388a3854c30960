"""The application queue: the same rows and checks as the API, decisions that change exactly
what the API's would (and are the person's in the audit log), refusals with nothing kept."""

from __future__ import annotations

from html import unescape
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import (
    ADMIN,
    AUDITOR,
    REVIEWER,
    Browser,
    KeyedClient,
    People,
    as_role,
    audit_count,
    keys_in,
    last_entry,
    make_application,
    make_enterprise,
    make_pool,
    make_program,
    post_form,
    section,
)
from voucher_service.db.tables.applications import Application, SizeClass
from voucher_service.db.tables.audit import AuditEntry
from voucher_service.db.tables.auth import Role
from voucher_service.db.tables.programs import Program

QUEUE = "/console/bureau/applications"


class Twins:
    """Two applications alike in all but their applicant: one decided in the console, the
    other through the API, so their outcomes can be compared field by field."""

    def __init__(self, session: Session, program: Program, **kw: Any) -> None:
        self.program = program
        self.ids = [
            make_application(session, program=program, enterprise=make_enterprise(session), **kw).id
            for _ in range(2)
        ]
        session.commit()


@pytest.fixture
def program(session: Session) -> Program:
    program = make_program(session)
    make_pool(session, program, total_fen=1_000_000_00)
    session.commit()
    return program


def _same(client: KeyedClient, path: str) -> dict[str, Any]:
    body = client.get(path).json()
    varying_fields = ("id", "uscc", "voucher_code", "code", "created_at", "updated_at")
    for varying in (*varying_fields, "decided_at", "issued_at"):
        body.pop(varying, None)
    body.pop("decided_by", None)
    return body  # type: ignore[no-any-return]


def test_the_queue_shows_the_apis_rows_with_its_filters(
    client: KeyedClient, browser: Browser, people: People, session: Session, program: Program
) -> None:
    other = make_program(session)
    make_pool(session, other)
    make_application(session, program=program, size_class=SizeClass.MICRO, headcount=5)
    make_application(session, program=program, requested_fen=900_000_00)  # fails its amount check
    make_application(session, program=other)
    session.commit()
    reviewer = browser(REVIEWER)
    for query in (
        {},
        {"program": program.code},
        {"program": other.code, "year": "2026"},
        {"status": "rejected"},
        {"eligible": "true"},
        {"district_code": "420106"},
        {"limit": "1"},
    ):
        page = reviewer.get(QUEUE, params=query)
        api = client.get("/v1/admin/applications", params=query).json()["items"]
        assert page.status_code == 200
        assert keys_in(page.text, "applications") == [str(a["id"]) for a in api], query
    every = reviewer.get(QUEUE, params={"status": "all"})
    assert len(keys_in(every.text, "applications")) == 3


def test_an_application_shows_the_apis_checks_and_flags(
    client: KeyedClient, browser: Browser, people: People, session: Session, program: Program
) -> None:
    row = make_application(session, program=program)
    session.commit()
    api = client.get(f"/v1/admin/applications/{row.id}").json()
    html = browser(AUDITOR).get(f"{QUEUE}/{row.id}").text
    checks = unescape(section(html, "checks"))
    for check in api["checks"]:
        # the API's English message is on the page in Chinese (the check's note)
        assert f'data-check="{check["check"]}"' in checks and check["message"] not in checks
    assert "approve-form" not in html  # the auditor reads, and decides nothing


def test_approving_in_the_console_does_what_the_api_does(
    client: KeyedClient, browser: Browser, people: People, session: Session, program: Program
) -> None:
    twins = Twins(session, program, requested_fen=80_000_00)
    ours, theirs = twins.ids
    pool = client.get(f"/v1/admin/programs/{program.code}/pools/2026").json()
    page = f"{QUEUE}/{ours}"
    approved = post_form(browser(ADMIN), page, f"{page}/approve", amount="¥60,000.00", reason="ok")
    assert approved.status_code == 303 and approved.headers["location"] == f"{page}?done=approved"
    api = client.post(
        f"/v1/admin/applications/{theirs}/approve", json={"amount_yuan": "60000.00", "reason": "ok"}
    )
    assert api.status_code == 200
    assert _same(client, f"/v1/admin/applications/{ours}") == _same(
        client, f"/v1/admin/applications/{theirs}"
    )
    codes = [client.get(f"/v1/admin/applications/{i}").json()["voucher_code"] for i in twins.ids]
    assert _same(client, f"/v1/admin/vouchers/{codes[0]}") == _same(
        client, f"/v1/admin/vouchers/{codes[1]}"
    )
    after = client.get(f"/v1/admin/programs/{program.code}/pools/2026").json()
    assert int(float(pool["available_yuan"]) - float(after["available_yuan"])) == 120_000
    entries = {
        e.target_id: e
        for e in session.scalars(
            select(AuditEntry).where(AuditEntry.action == "application.approve")
        )
    }
    assert entries[str(ours)].actor == f"bureau_admin:{ADMIN}"  # the person, not a key
    assert entries[str(theirs)].actor == "bureau_admin:test admin"
    assert entries[str(ours)].after == entries[str(theirs)].after
    shown = browser(ADMIN).get(approved.headers["location"]).text
    assert "申请已批准" in shown and codes[0] in shown


@pytest.mark.parametrize("verb", ["return", "reject"])
def test_returning_and_rejecting_need_a_reason_as_in_the_api(
    verb: str,
    client: KeyedClient,
    browser: Browser,
    people: People,
    session: Session,
    program: Program,
) -> None:
    ours, theirs = Twins(session, program).ids
    page = f"{QUEUE}/{ours}"
    reviewer = browser(REVIEWER)
    before = audit_count(session)
    refused = post_form(reviewer, page, f"{page}/{verb}", reason="  ")
    assert audit_count(session) == before and session.get(Application, ours).status == "submitted"  # type: ignore[union-attr]
    api_refused = client.post(f"/v1/admin/applications/{theirs}/{verb}", json={"reason": " "})
    assert api_refused.status_code == 422
    # Post/redirect/get: the refusal is shown on the application's own URL.
    assert refused.status_code == 303
    assert refused.headers["location"].startswith(f"{page}?refused=reason_required")
    shown = reviewer.get(refused.headers["location"])
    assert "请填写原因" in shown.text and 'role="alert"' in shown.text
    done = post_form(reviewer, page, f"{page}/{verb}", reason="计划用途不清楚")
    assert done.status_code == 303
    client.post(f"/v1/admin/applications/{theirs}/{verb}", json={"reason": "计划用途不清楚"})
    assert _same(client, f"/v1/admin/applications/{ours}") == _same(
        client, f"/v1/admin/applications/{theirs}"
    )
    assert last_entry(session, f"application.{verb}").target_id == str(theirs)


def test_approving_for_more_than_asked_is_refused_and_shown(
    browser: Browser, people: People, session: Session, program: Program
) -> None:
    row = make_application(session, program=program, requested_fen=100_00)
    session.commit()
    page = f"{QUEUE}/{row.id}"
    admin = browser(ADMIN)
    refused = post_form(admin, page, f"{page}/approve", amount="500.00")
    assert refused.status_code == 303  # post/redirect/get: a refresh re-submits nothing
    shown = admin.get(refused.headers["location"])
    assert shown.status_code == 200 and 'role="alert"' in shown.text
    assert 'value="500.00"' in shown.text  # the form keeps what was typed
    assert session.get(Application, row.id).status == "submitted"  # type: ignore[union-attr]
    nonsense = post_form(admin, page, f"{page}/approve", amount="lots")
    assert "refused=invalid_amount" in nonsense.headers["location"]


def test_bulk_approval_stands_or_fails_each_on_its_own(
    client: KeyedClient, browser: Browser, people: People, session: Session, program: Program
) -> None:
    good = make_application(session, program=program)
    decided = make_application(session, program=program)
    session.commit()
    client.post(f"/v1/admin/applications/{decided.id}/reject", json={"reason": "no"})
    page = browser(REVIEWER).get(QUEUE).text
    assert 'form="bulk"' in page and 'id="bulk"' in page
    result = post_form(browser(REVIEWER), QUEUE, f"{QUEUE}/approve-bulk", ids=[good.id, decided.id])
    assert result.status_code == 200
    results = section(result.text, "bulk-results")
    assert f'class="passed" data-id="{good.id}"' in results
    assert f'class="failed" data-id="{decided.id}"' in results
    assert client.get(f"/v1/admin/applications/{good.id}").json()["status"] == "approved"


def test_who_may_decide(
    client: KeyedClient, browser: Browser, people: People, session: Session, program: Program
) -> None:
    row = make_application(session, program=program)
    session.commit()
    page = f"{QUEUE}/{row.id}"
    auditor = browser(AUDITOR)
    refused = post_form(auditor, page, f"{page}/approve")
    api = client.post(
        f"/v1/admin/applications/{row.id}/approve",
        json={},
        headers=as_role(client, Role.AUDITOR, AUDITOR),
    )
    assert refused.status_code == api.status_code == 403
    for login, role, subject in (
        ("finance.chen", Role.ENTERPRISE, people.enterprise.enterprise_uscc),
        ("ops.sun", Role.PROVIDER, people.provider.provider_uscc),
    ):
        seen = browser(login).get(page).status_code
        assert (
            seen
            == client.get(
                f"/v1/admin/applications/{row.id}", headers=as_role(client, role, subject)
            ).status_code
            == 403
        )  # type: ignore[arg-type]
    missing = browser(ADMIN).get(f"{QUEUE}/999999")
    assert missing.status_code == client.get("/v1/admin/applications/999999").status_code == 404
    assert client.get(f"/v1/admin/applications/{row.id}").json()["status"] == "submitted"
