"""Monthly statements: close, approve and pay in the console as through the API (the same
statements, the same steps, each in the audit log as the person's), the same files, and the
same refusals for the wrong role."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from tests.factories import (
    ADMIN,
    AUDITOR,
    FINANCE,
    REVIEWER,
    Books,
    Browser,
    People,
    as_role,
    keys_in,
    last_entry,
    post_form,
)
from voucher_service.db.tables.auth import Role

LIST = "/console/bureau/statements"


def _cells(xlsx: bytes) -> list[list[object]]:
    book = load_workbook(io.BytesIO(xlsx))
    return [[c.value for c in row] for sheet in book for row in sheet.iter_rows()]


def test_close_approve_pay_and_download_as_the_api_does(
    books: Books, browser: Browser, people: People, session: Session
) -> None:
    a, _ = books.providers
    reviewer, admin = browser(REVIEWER), browser(ADMIN)
    closed = post_form(reviewer, LIST, LIST, provider_uscc=a, period="2026-05")
    assert closed.status_code == 303
    assert closed.headers["location"] == f"{LIST}?provider={a}&period=2026-05&done=closed"
    shown = reviewer.get(closed.headers["location"])
    assert "结算单已关账" in shown.text
    again = books.client.post(
        "/v1/admin/statements", json={"provider_uscc": a, "period": "2026-05"}
    )
    assert again.status_code == 200  # already closed: the console made the API's statements
    ids = [str(s["id"]) for s in again.json()["statements"]]
    assert keys_in(shown.text, "statements") == ids
    statement = again.json()["statements"][0]
    assert statement["subsidy_yuan"] == "30.00" and statement["record_count"] == 2
    page = f"{LIST}/{statement['id']}"
    assert last_entry(session, "statement.close").actor == f"bureau_reviewer:{REVIEWER}"

    # Two people (docs/access.md): review closes but holds no finance; the admin approves and
    # may not also pay; a second person of finance pays.
    finance = browser(FINANCE)
    assert post_form(reviewer, page, f"{page}/pay", payment_reference="X").status_code == 403
    assert post_form(reviewer, page, f"{page}/approve").status_code == 403
    approved = post_form(admin, page, f"{page}/approve")
    assert approved.headers["location"] == f"{page}?done=statement_approved"
    assert last_entry(session, "statement.approve").actor == f"bureau_admin:{ADMIN}"
    api_pay_as_reviewer = books.client.post(
        f"/v1/admin/statements/{statement['id']}/pay",
        json={"payment_reference": "X"},
        headers=as_role(books.client, Role.BUREAU_REVIEWER, REVIEWER),
    )
    assert api_pay_as_reviewer.status_code == 403
    twice = post_form(admin, page, f"{page}/pay", payment_reference="WH-TREAS-2026-0615-007")
    assert twice.status_code == 403 and "须由另一人完成" in twice.text
    no_reference = post_form(finance, page, f"{page}/pay", payment_reference=" ")
    assert no_reference.status_code == 422 and "请填写支付凭证号" in no_reference.text
    paid = post_form(finance, page, f"{page}/pay", payment_reference="WH-TREAS-2026-0615-007")
    assert paid.headers["location"] == f"{page}?done=paid"
    after = books.client.get(f"/v1/admin/statements/{statement['id']}").json()
    assert after["status"] == "paid" and after["payment_reference"] == "WH-TREAS-2026-0615-007"
    entry = last_entry(session, "statement.pay")
    assert entry.actor == f"bureau:{FINANCE}" and entry.target_id == str(statement["id"])
    assert entry.after is not None and f'"approved_by": "{ADMIN}"' in entry.after

    for fmt in ("csv", "xlsx"):
        ours = admin.get(f"{page}/export", params={"format": fmt})
        theirs = books.client.get(
            f"/v1/admin/statements/{statement['id']}/export",
            params={"format": fmt, "headers": "zh"},
        )
        assert ours.status_code == theirs.status_code == 200
        assert ours.headers["content-disposition"] == theirs.headers["content-disposition"]
        if fmt == "csv":
            assert ours.content == theirs.content
        else:
            assert _cells(ours.content) == _cells(theirs.content)
            assert any("补贴" in str(cell) for row in _cells(ours.content) for cell in row)


def test_the_closer_never_approves_in_the_console(
    books: Books, browser: Browser, people: People
) -> None:
    _, b = books.providers
    finance = browser(FINANCE)
    closed = post_form(finance, LIST, LIST, provider_uscc=b, period="2026-05")
    assert closed.status_code == 303
    [statement] = books.client.get(
        "/v1/admin/statements", params={"provider": b, "period": "2026-05"}
    ).json()["items"]
    page = f"{LIST}/{statement['id']}"
    refused = post_form(finance, page, f"{page}/approve")
    assert refused.status_code == 403 and "须由另一人完成" in refused.text
    assert post_form(browser(ADMIN), page, f"{page}/approve").status_code == 303


def test_a_month_not_over_cannot_be_closed(books: Books, browser: Browser, people: People) -> None:
    a, _ = books.providers
    refused = post_form(browser(ADMIN), LIST, LIST, provider_uscc=a, period="2026-06")
    api = books.client.post("/v1/admin/statements", json={"provider_uscc": a, "period": "2026-06"})
    assert refused.status_code == api.status_code
    assert refused.status_code >= 400 and 'role="alert"' in refused.text
    assert 'value="2026-06"' in refused.text  # the form keeps what was typed
    assert books.client.get("/v1/admin/statements").json()["items"] == []


def test_the_list_shows_the_apis_rows_for_the_roles_it_lets_in(
    books: Books, browser: Browser, people: People
) -> None:
    a, b = books.providers
    for provider in (a, b):
        books.client.post(
            "/v1/admin/statements", json={"provider_uscc": provider, "period": "2026-05"}
        )
    auditor = browser(AUDITOR)
    for query in (
        {},
        {"provider": b},
        {"period": "2026-05"},
        {"status": "closed"},
        {"status": "paid"},
    ):
        page = auditor.get(LIST, params=query)
        api = books.client.get("/v1/admin/statements", params=query).json()["items"]
        assert keys_in(page.text, "statements") == [str(s["id"]) for s in api], query
    assert 'id="close-month"' not in auditor.get(LIST).text  # reads only
    provider = browser("ops.sun").get(LIST)
    api = books.client.get(
        "/v1/admin/statements",
        headers=as_role(books.client, Role.PROVIDER, people.provider.provider_uscc),  # type: ignore[arg-type]
    )
    assert provider.status_code == api.status_code == 403
