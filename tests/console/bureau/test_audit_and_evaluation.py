"""The audit log and the yearly evaluation pages show what their API endpoints give, to
the roles those endpoints let in."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.factories import (
    ADMIN,
    AUDITOR,
    REVIEWER,
    Books,
    Browser,
    People,
    as_role,
    fen,
    figure_fen,
    keys_in,
)
from tests.factories import auditor as audit_headers
from voucher_service.db.tables.auth import Role

AUDIT = "/console/bureau/audit"
EVALUATION = "/console/bureau/evaluation"


def test_the_audit_log_shows_the_apis_entries_with_its_filters(
    books: Books, browser: Browser, people: People
) -> None:
    audit_headers(books.client)  # the reader's key (and its entry) before the pages are read
    reader = browser(AUDITOR)
    for query in (
        {},
        {"action": "voucher.issue"},
        {"target_type": "voucher", "target_id": books.vouchers["revoked"]},
        {"actor": "bureau_admin:test admin", "limit": "3"},
        {"from": "2026-01-01", "to": "2026-01-02"},
    ):
        page = reader.get(AUDIT, params=query)
        api = books.client.get(
            "/v1/admin/audit", headers=audit_headers(books.client), params=query
        ).json()["items"]
        assert keys_in(page.text, "audit") == [str(e["id"]) for e in api], query
    for login, role, subject in (
        (REVIEWER, Role.BUREAU_REVIEWER, REVIEWER),
        ("finance.chen", Role.ENTERPRISE, people.enterprise.enterprise_uscc),
    ):
        page = browser(login).get(AUDIT)
        api = books.client.get("/v1/admin/audit", headers=as_role(books.client, role, subject))  # type: ignore[arg-type]
        assert page.status_code == api.status_code == 403
    # the menu offers the page only to the roles it lets in
    assert 'href="/console/bureau/audit"' in reader.get("/console/bureau").text
    assert 'href="/console/bureau/audit"' not in browser(REVIEWER).get("/console/bureau").text


def test_the_evaluation_page_and_its_workbook(
    books: Books, browser: Browser, people: People
) -> None:
    api = books.client.get(
        f"/v1/admin/programs/{books.small_cap}/evaluation", params={"year": 2026}
    ).json()
    page = browser(REVIEWER).get(EVALUATION, params={"program": books.small_cap, "year": 2026})
    html = page.text
    assert page.status_code == 200
    assert figure_fen(html, "consumed") == fen(api["pool"]["consumed_yuan"])
    assert figure_fen(html, "recommended") == fen(api["recommendation"]["recommended_yuan"])
    for table, lines in (
        ("eval-district", "by_district"),
        ("eval-provider", "by_provider"),
        ("eval-size", "by_size_class"),
        ("eval-month", "by_month"),
    ):
        assert keys_in(html, table) == [x["key"] for x in api[lines]], table
    assert "下年度建议券池" in html  # the method, stated
    ours = browser(REVIEWER).get(
        f"{EVALUATION}.xlsx", params={"program": books.small_cap, "year": 2026}
    )
    theirs = books.client.get(
        f"/v1/admin/programs/{books.small_cap}/evaluation.xlsx", params={"year": 2026}
    )
    assert ours.status_code == theirs.status_code == 200
    assert ours.headers["content-disposition"] == theirs.headers["content-disposition"]

    def cells(body: bytes) -> list[list[object]]:
        book = load_workbook(io.BytesIO(body))
        return [[c.value for c in row] for sheet in book for row in sheet.iter_rows()]

    assert cells(ours.content) == cells(theirs.content)
    page = browser("ops.sun").get(EVALUATION)
    api_status = books.client.get(
        f"/v1/admin/programs/{books.small_cap}/evaluation",
        params={"year": 2026},
        headers=as_role(books.client, Role.PROVIDER, people.provider.provider_uscc),  # type: ignore[arg-type]
    ).status_code
    assert page.status_code == api_status == 403
    no_year = browser(ADMIN).get(EVALUATION, params={"program": books.small_cap, "year": 2031})
    api_no_year = books.client.get(
        f"/v1/admin/programs/{books.small_cap}/evaluation", params={"year": 2031}
    )
    assert no_year.status_code == api_no_year.status_code
