"""Every form of the bureau's pages is refused without its CSRF token, with nothing done;
every table downloads the whole filtered listing as CSV or XLSX with the page's headers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from fastapi.routing import APIRoute
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import ADMIN, Books, Browser, People, audit_count, keys_in, make_application
from voucher_service.console.bureau.router import AREAS
from voucher_service.db.tables.programs import Program


def test_every_bureau_form_needs_its_csrf_token(
    books: Books, browser: Browser, people: People, session: Session
) -> None:
    program = session.scalar(select(Program).where(Program.code == books.small_cap))
    assert program is not None
    application = make_application(session, program=program)
    session.commit()
    values = {
        "application_id": str(application.id),
        "verb": "reject",
        "code": books.vouchers["city"],
        "uscc": books.providers[0],
        "statement_id": "1",
        "confirmation_id": "1",
        "dispute_id": "1",
        "selection_id": "1",
        "objection_id": "1",
        "claim_id": "1",
        "grant_id": "1",
        "milestone_id": "1",
        "verdict": "dismiss",
    }
    posts = [
        r
        for area in AREAS
        for r in area.router.routes
        if isinstance(r, APIRoute) and "POST" in r.methods
    ]
    assert len(posts) >= 9
    admin = browser(ADMIN)
    before = audit_count(session)
    for route in posts:
        path = "/console" + route.path.format(**values)
        form = {"reason": "x", "ids": str(application.id), "provider_uscc": books.providers[0],
                "period": "2026-05", "payment_reference": "x", "amount": ""}  # fmt: skip
        refused = admin.post(path, data=form)
        assert refused.status_code == 403 and "表单已过期" in refused.text, path
        stale = admin.post(path, data={**form, "csrf_token": "not-the-token"})
        assert stale.status_code == 403, path
    assert audit_count(session) == before
    assert (
        books.client.get(f"/v1/admin/applications/{application.id}").json()["status"] == "submitted"
    )
    assert (
        books.client.get(f"/v1/admin/vouchers/{books.vouchers['city']}").json()["status"]
        == "active"
    )
    assert books.client.get("/v1/admin/statements").json()["items"] == []


def test_a_table_downloads_every_row_its_filters_select(
    books: Books, browser: Browser, people: People
) -> None:
    admin = browser(ADMIN)
    page = admin.get("/console/bureau/vouchers", params={"limit": "2"})
    assert len(keys_in(page.text, "vouchers")) == 2 and 'rel="next"' in page.text
    assert 'href="/console/bureau/vouchers?limit=2&amp;format=xlsx"' in page.text
    every = [v["code"] for v in books.client.get("/v1/admin/vouchers").json()["items"]]
    assert len(every) == 5
    as_csv = admin.get("/console/bureau/vouchers", params={"limit": "2", "format": "csv"})
    assert as_csv.headers["content-disposition"] == 'attachment; filename="vouchers.csv"'
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["券号", "项目"] and [r[0] for r in rows[1:]] == every
    as_xlsx = admin.get(
        "/console/bureau/vouchers", params={"program": books.other, "format": "xlsx", "lang": "en"}
    )
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet is not None
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0][:2] == ["Code", "Program"]
    listed = books.client.get("/v1/admin/vouchers", params={"program": books.other})
    other = listed.json()["items"]
    assert [r[0] for r in cells[1:]] == [v["code"] for v in other]
    faces = {
        r[0]: Decimal(str(r[5])) for r in cells[1:]
    }  # numbers a spreadsheet sums (after the holder's name)
    assert faces == {v["code"]: Decimal(v["face_value_yuan"]) for v in other}
    statuses = {"active": "Active", "revoked": "Revoked"}
    assert [r[-1] for r in cells[1:]] == [statuses[v["status"]] for v in other]


def test_a_filter_form_sent_with_blank_fields_filters_nothing(
    books: Books, browser: Browser, people: People
) -> None:
    admin = browser(ADMIN)
    blank = admin.get("/console/bureau/vouchers?code=&program=&year=&uscc=&status=")
    assert blank.status_code == 200
    assert keys_in(blank.text, "vouchers") == keys_in(
        admin.get("/console/bureau/vouchers").text, "vouchers"
    )
    queue = admin.get(
        "/console/bureau/applications?status=&program=&year=&eligible=&district_code="
    )
    assert queue.status_code == 200
