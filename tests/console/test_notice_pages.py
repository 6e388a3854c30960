"""The pages of materials, public notice and open figures agree with their API: the
enterprise uploads on its application's page, the bureau downloads and decides objections,
and the public reads the notice and objects with no sign-in (but with the CSRF token)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import (
    ADMIN,
    Browser,
    People,
    csrf_of,
    make_application,
    make_pool,
    make_program,
)
from voucher_service.applications.service import approve
from voucher_service.db.tables.applications import Application
from voucher_service.db.tables.paperwork import Document, Objection
from voucher_service.db.types import utcnow
from voucher_service.enterprises.service import get_enterprise
from voucher_service.materials import service as materials
from voucher_service.notices.service import public_notices

PDF = b"%PDF-1.4\n%%EOF\n"
ME = "finance.chen"


def application(session: Session, people: People, *, notice: bool = False) -> Application:
    program = make_program(session)
    program.required_materials = "business_licence"
    program.notice_enabled = notice
    make_pool(session, program)
    assert people.enterprise.enterprise_uscc is not None
    mine = get_enterprise(session, people.enterprise.enterprise_uscc)
    row = make_application(session, program=program, enterprise=mine)
    session.commit()
    return row


def test_the_enterprise_uploads_on_its_application_page(
    session: Session, people: People, browser: Browser
) -> None:
    row = application(session, people)
    me = browser(ME)
    page = f"/console/enterprise/{people.enterprise.enterprise_uscc}/applications/{row.id}"
    shown = me.get(page)
    assert shown.status_code == 200
    assert 'id="materials"' in shown.text and "营业执照" in shown.text
    assert 'enctype="multipart/form-data"' in shown.text
    sent = me.post(
        f"{page}/materials",
        data={"kind": "business_licence", "csrf_token": csrf_of(shown.text)},
        files={"file": ("执照.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text[:500]
    [doc] = session.scalars(select(Document)).all()
    after = me.get(sent.headers["location"])
    assert "材料已上传" in after.text and "执照.pdf" in after.text
    assert me.get(f"{page}/materials/{doc.id}").content == PDF
    refused = me.post(
        f"{page}/materials",
        data={"kind": "business_licence", "csrf_token": csrf_of(shown.text)},
        files={"file": ("fake.pdf", b"not a pdf", "application/pdf")},
    )
    assert refused.status_code == 422
    assert session.scalar(select(func.count()).select_from(Document)) == 1
    # Another enterprise's person finds neither the page nor the document.
    other = browser("finance.zhou")
    theirs = page.replace(
        str(people.enterprise.enterprise_uscc), str(people.other_enterprise.enterprise_uscc)
    )
    assert other.get(f"{theirs}/materials/{doc.id}").status_code == 404
    assert other.get(f"{page}/materials/{doc.id}").status_code == 404
    # The bureau's page lists it with its download.
    clerk = browser(ADMIN)
    bureau = clerk.get(f"/console/bureau/applications/{row.id}")
    link = f"/console/bureau/applications/{row.id}/materials/{doc.id}"
    assert link in bureau.text
    assert clerk.get(link).content == PDF


def test_the_public_notice_page_takes_objections_for_the_queue(
    session: Session, people: People, browser: Browser
) -> None:
    row = application(session, people, notice=True)
    assert row.id is not None
    materials.upload(
        session,
        materials.Owner.of_application(row),
        materials.Upload("business_licence", "l.pdf", PDF),
        max_bytes=1 << 20,
        now=utcnow(),
    )
    approve(session, row, amount_fen=None, reason="", today=utcnow().date(), now=utcnow())
    session.commit()
    assert [n.application_id for n in public_notices(session)] == [row.id]
    public = browser()  # nobody signed in
    page = public.get("/console/public/notices")
    assert page.status_code == 200
    assert (
        "算力服务券拟支持企业公示" in page.text
        and str(people.enterprise.enterprise_uscc) in page.text
    )
    action = f"/console/public/notices/{row.id}/objections"
    fields = {"name": "张三", "contact": "13800000000", "text": "经营地址不在武汉"}
    assert public.post(action, data=fields).status_code == 403  # no CSRF token
    sent = public.post(
        action, data={**fields, "csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert sent.status_code == 303, sent.text[:500]
    assert "异议已提交" in public.get(sent.headers["location"]).text
    [objection] = session.scalars(select(Objection)).all()
    clerk = browser(ADMIN)
    queue = clerk.get("/console/bureau/objections")
    assert "经营地址不在武汉" in queue.text
    decided = clerk.post(
        f"/console/bureau/objections/{objection.id}/dismiss",
        data={"reason": "核实无误", "csrf_token": csrf_of(queue.text)},
        follow_redirects=False,
    )
    assert decided.status_code == 303
    session.refresh(objection)
    assert objection.status == "dismissed"
    english = public.get("/console/public/notices?lang=en")
    assert "Public notice" in english.text


def test_the_open_figures_page_needs_no_sign_in(
    session: Session, people: People, browser: Browser
) -> None:
    program = make_program(session)
    make_pool(session, program)
    session.commit()
    page = browser().get(f"/console/public/figures?program={program.code}&year=2026")
    assert page.status_code == 200
    assert 'data-figure="pool-total"' in page.text
