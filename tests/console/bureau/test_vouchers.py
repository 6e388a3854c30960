"""Vouchers: the API's rows and a voucher's postings and history, revocation as the API
does it, and each role's view."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.factories import (
    ADMIN,
    AUDITOR,
    REVIEWER,
    Books,
    Browser,
    People,
    as_role,
    audit_count,
    keys_in,
    last_entry,
    make_voucher,
    post_form,
    section,
)
from tests.factories import auditor as audit_headers
from voucher_service.db.tables.auth import Role

LIST = "/console/bureau/vouchers"


def test_the_list_shows_the_apis_rows_with_its_filters(
    books: Books, browser: Browser, people: People
) -> None:
    reviewer = browser(REVIEWER)
    for query in (
        {},
        {"program": books.small_cap},
        {"program": books.other, "year": "2026"},
        {"uscc": books.enterprises["wuchang"]},
        {"status": "revoked"},
        {"limit": "2"},
    ):
        page = reviewer.get(LIST, params=query)
        api = books.client.get("/v1/admin/vouchers", params=query).json()["items"]
        assert keys_in(page.text, "vouchers") == [v["code"] for v in api], query
    code = books.vouchers["city"]
    found = reviewer.get(LIST, params={"code": code.lower()})  # as a person might type it
    assert keys_in(found.text, "vouchers") == [code]
    assert (
        keys_in(reviewer.get(LIST, params={"code": "AAAA-BBBB-CCCC-DDDD"}).text, "vouchers") == []
    )
    year_alone = reviewer.get(LIST, params={"year": "2026"})
    assert (
        year_alone.status_code
        == books.client.get("/v1/admin/vouchers?year=2026").status_code
        == 422
    )


def test_the_list_and_the_api_resolve_their_filters_in_one_call(
    books: Books, browser: Browser, people: People
) -> None:
    """The page and the endpoint call one function (vouchers.queries.find_vouchers): the
    same refusals, with the same code, whoever asks; a search by code checks them too."""
    reviewer = browser(REVIEWER)
    for query, status, code in (
        ({"program": "NO-SUCH-1"}, 404, "program_not_found"),
        ({"program": books.other, "year": "2099"}, 404, "pool_not_found"),
        ({"year": "2026"}, 422, "invalid_filter"),
    ):
        api = books.client.get("/v1/admin/vouchers", params=query)
        assert (api.status_code, api.json()["error"]["code"]) == (status, code), query
        assert reviewer.get(LIST, params=query).status_code == status, query
    searched = reviewer.get(LIST, params={"code": books.vouchers["city"], "year": "2026"})
    assert searched.status_code == 422


def test_a_voucher_with_its_postings_and_history(
    books: Books, browser: Browser, people: People
) -> None:
    code = books.vouchers["revoked"]
    postings = books.client.get(f"/v1/admin/vouchers/{code}/postings").json()["items"]
    assert [p["kind"] for p in postings] == ["issue", "subsidy", "release"]
    trail = books.client.get(
        "/v1/admin/audit",
        headers=audit_headers(books.client),
        params={"target_type": "voucher", "target_id": code},
    ).json()["items"]
    assert [e["action"] for e in trail] == ["voucher.issue", "voucher.revoke"]
    # every bureau reader sees the voucher's history, readable: the audit log stays audit's
    for login in (AUDITOR, "it.qian", REVIEWER, ADMIN):
        html = browser(login).get(f"{LIST}/{code}").text
        assert keys_in(html, "postings") == [str(p["id"]) for p in postings]
        history = section(html, "history")
        assert "发放算力券" in history and "作废算力券" in history
        assert "voucher.issue" not in history.replace('data-action="voucher.issue"', "")
        assert 'id="audit-trail"' not in html
        postings_html = section(html, "postings")
        assert "年度资金池" in postings_html and "pool:" not in postings_html
    assert (
        books.client.get(
            "/v1/admin/audit", headers=as_role(books.client, Role.BUREAU_REVIEWER, REVIEWER)
        ).status_code
        == 403
    )


def test_revoking_in_the_console_does_what_the_api_does(
    books: Books, browser: Browser, people: People, session: Session
) -> None:
    ours = make_voucher(session, face_value_fen=300_00)
    theirs = make_voucher(session, face_value_fen=300_00)
    session.commit()
    page = f"{LIST}/{ours.code}"
    reviewer = browser(REVIEWER)
    before = audit_count(session)
    refused = post_form(reviewer, page, f"{page}/revoke", reason=" ")
    assert refused.status_code == 422 and audit_count(session) == before
    done = post_form(reviewer, page, f"{page}/revoke", reason="enterprise deregistered")
    assert done.status_code == 303 and done.headers["location"] == f"{page}?done=revoked"
    books.client.post(
        f"/v1/admin/vouchers/{theirs.code}/revoke", json={"reason": "enterprise deregistered"}
    )
    mine, api = (
        books.client.get(f"/v1/admin/vouchers/{c}").json() for c in (ours.code, theirs.code)
    )
    for field in ("status", "balance_yuan", "released_yuan", "close_reason"):
        assert mine[field] == api[field], field
    assert mine["status"] == "revoked" and mine["released_yuan"] == "300.00"
    assert last_entry(session, "voucher.revoke").target_id == theirs.code
    entry = next(
        e
        for e in books.client.get(
            "/v1/admin/audit",
            headers=audit_headers(books.client),
            params={"action": "voucher.revoke", "target_id": ours.code},
        ).json()["items"]
    )
    assert entry["actor"] == f"bureau_reviewer:{REVIEWER}"
    again = post_form(reviewer, page, f"{page}/revoke", reason="twice")
    assert again.status_code == 409  # already revoked, as the API says


def test_who_may_see_and_revoke(books: Books, browser: Browser, people: People) -> None:
    code = books.vouchers["city"]
    page = f"{LIST}/{code}"
    auditor = browser(AUDITOR)
    assert "revoke-form" not in auditor.get(page).text
    assert post_form(auditor, page, f"{page}/revoke", reason="x").status_code == 403
    api = books.client.post(
        f"/v1/admin/vouchers/{code}/revoke",
        json={"reason": "x"},
        headers=as_role(books.client, Role.AUDITOR, AUDITOR),
    )
    assert api.status_code == 403
    enterprise = browser("finance.chen").get(page)
    api_enterprise = books.client.get(
        f"/v1/admin/vouchers/{code}",
        headers=as_role(books.client, Role.ENTERPRISE, people.enterprise.enterprise_uscc),  # type: ignore[arg-type]
    )
    assert enterprise.status_code == api_enterprise.status_code == 403
    missing = browser(ADMIN).get(f"{LIST}/AAAA-BBBB-CCCC-DDDD")
    assert (
        missing.status_code
        == books.client.get("/v1/admin/vouchers/AAAA-BBBB-CCCC-DDDD").status_code
    )
    assert books.client.get(f"/v1/admin/vouchers/{code}").json()["status"] == "active"
