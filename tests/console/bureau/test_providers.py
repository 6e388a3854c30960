"""Providers: the API's status, quality score, health and price flags; suspending and
reinstating as the API does."""

from __future__ import annotations

import re
from collections import Counter

from sqlalchemy.orm import Session

from tests.factories import (
    ADMIN,
    AUDITOR,
    REVIEWER,
    Books,
    Browser,
    People,
    as_role,
    keys_in,
    last_entry,
    post_form,
    section,
    telemetry_snapshot,
)
from tests.factories import auditor as audit_headers
from voucher_service.db.tables.auth import Role

LIST = "/console/bureau/providers"


def _with_telemetry(books: Books) -> None:
    for provider, price in zip(books.providers, ("10.00", "14.00"), strict=True):
        sent = books.client.post(
            f"/v1/provider/{provider}/telemetry", json={"snapshots": [telemetry_snapshot(price)]}
        )
        assert sent.status_code == 200, sent.text


def test_the_list_shows_the_networks_scores_and_flags(
    books: Books, browser: Browser, people: People
) -> None:
    _with_telemetry(books)
    html = browser(REVIEWER).get(LIST).text
    api = books.client.get("/v1/admin/providers").json()["items"]
    assert keys_in(html, "providers") == [p["uscc"] for p in api]
    network = {p["uscc"]: p for p in books.client.get("/v1/admin/network").json()}
    flagged = Counter(
        f["provider"] for f in books.client.get("/v1/admin/network/flagged-records").json()
    )
    assert flagged  # the books' prices are far above the 12.00 index
    for uscc in books.providers:
        row = section(html, "providers").split(f'data-key="{uscc}"')[1].split("</tr>")[0]
        score = network[uscc]["quality"]["score"]
        assert f"{score * 100:.2f}%" in row
        assert re.search(rf'<td class="num"[^>]*>{flagged[uscc]}</td>', row)
    index = books.client.get("/v1/admin/network/price-index").json()
    assert keys_in(html, "price-index") == list(index) and "¥12.00" in section(html, "price-index")


def test_a_provider_page_with_capacity_and_flags(
    books: Books, browser: Browser, people: People
) -> None:
    _with_telemetry(books)
    a = books.providers[0]
    html = browser(AUDITOR).get(f"{LIST}/{a}").text
    flagged = [
        f
        for f in books.client.get("/v1/admin/network/flagged-records").json()
        if f["provider"] == a
    ]
    assert section(html, "flagged").count("<tr>") - 1 == len(flagged)  # a header row, then one each
    assert "Ascend 910B" in section(html, "capacity")
    assert "/suspend" not in html  # the auditor reads; the reviewer's page has the form
    assert f"{LIST}/{a}/suspend" in browser(REVIEWER).get(f"{LIST}/{a}").text


def test_suspending_and_reinstating_as_the_api_does(
    books: Books, browser: Browser, people: People, session: Session
) -> None:
    a, b = books.providers
    page = f"{LIST}/{a}"
    reviewer = browser(REVIEWER)
    assert post_form(reviewer, page, f"{page}/suspend", reason="").status_code == 422
    done = post_form(reviewer, page, f"{page}/suspend", reason="metering audit pending")
    assert done.headers["location"] == f"{page}?done=suspended"
    books.client.post(f"/v1/admin/providers/{b}/suspend", json={"reason": "metering audit pending"})
    ours, theirs = (books.client.get(f"/v1/admin/providers/{p}").json() for p in (a, b))
    assert (
        (ours["status"], ours["status_reason"])
        == (theirs["status"], theirs["status_reason"])
        == (
            "suspended",
            "metering audit pending",
        )
    )
    assert [h["status"] for h in ours["status_history"]] == [
        h["status"] for h in theirs["status_history"]
    ]
    entries = [
        e
        for e in books.client.get(
            "/v1/admin/audit",
            headers=audit_headers(books.client),
            params={"action": "provider.suspend"},
        ).json()["items"]
    ]
    assert {e["target_id"]: e["actor"] for e in entries} == {
        a: f"bureau_reviewer:{REVIEWER}",
        b: "bureau_admin:test admin",
    }
    again = post_form(reviewer, page, f"{page}/suspend", reason="twice")
    api_again = books.client.post(f"/v1/admin/providers/{b}/suspend", json={"reason": "twice"})
    assert again.status_code == api_again.status_code == 409
    back = post_form(browser(ADMIN), page, f"{page}/reinstate", reason="audit passed")
    assert back.headers["location"] == f"{page}?done=reinstated"
    assert last_entry(session, "provider.reinstate").actor == f"bureau_admin:{ADMIN}"
    auditor = browser(AUDITOR)
    assert post_form(auditor, page, f"{page}/suspend", reason="x").status_code == 403
    assert (
        books.client.post(
            f"/v1/admin/providers/{a}/suspend",
            json={"reason": "x"},
            headers=as_role(books.client, Role.AUDITOR, AUDITOR),
        ).status_code
        == 403
    )
