"""The checker's queue in the console (待复核): a reviewer's approval above the program's
second-review amount waits; another reviewer confirms it there; the proposer may only
withdraw — as the API does (tests/confirmations)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import (
    ADMIN,
    REVIEWER,
    Browser,
    People,
    acting_as,
    make_application,
    make_pool,
    make_program,
    post_form,
)
from voucher_service.console.bureau.confirmations import said
from voucher_service.console.i18n import Translator
from voucher_service.db.types import utcnow
from voucher_service.domain.rules import SelectionField, VoucherValidity
from voucher_service.programs.proposals import propose_pool
from voucher_service.programs.settings import ProgramSettings

QUEUE = "/console/bureau/confirmations"


def test_a_second_reviewer_confirms_in_the_console(
    client: TestClient, browser: Browser, people: People, session: Session
) -> None:
    program = make_program(session)
    make_pool(session, program)
    program.second_review_above_fen = 100_000_00
    application = make_application(session, program=program, requested_fen=150_000_00)
    session.commit()
    page = f"/console/bureau/applications/{application.id}"
    maker, checker = browser(REVIEWER), browser(ADMIN)
    proposed = post_form(maker, page, f"{page}/approve")
    assert proposed.headers["location"] == f"{page}?done=proposed"
    assert "须另一名审核人员" in maker.get(proposed.headers["location"]).text
    assert client.get(f"/v1/admin/applications/{application.id}").json()["status"] == "submitted"

    mine = maker.get(QUEUE).text
    [waiting] = client.get("/v1/admin/confirmations", params={"everyone": "true"}).json()["items"]
    assert f'data-key="{waiting["id"]}"' in mine
    assert f"批准申请 {application.id}：金额 ¥150,000.00" in mine
    assert f"{waiting['id']}/withdraw" in mine and f"{waiting['id']}/confirm" not in mine
    theirs = checker.get(QUEUE).text
    assert f"{waiting['id']}/confirm" in theirs and f"{waiting['id']}/withdraw" not in theirs
    forced = post_form(maker, QUEUE, f"{QUEUE}/{waiting['id']}/confirm")
    assert forced.status_code == 403 and "须由另一人完成" in forced.text
    done = post_form(checker, QUEUE, f"{QUEUE}/{waiting['id']}/confirm")
    assert done.headers["location"] == f"{QUEUE}?done=confirmed"
    assert client.get(f"/v1/admin/applications/{application.id}").json()["status"] == "approved"
    assert "目前没有待复核的事项" in checker.get(QUEUE).text


def test_a_pool_waits_for_a_second_program_administrator_in_the_console(
    client: TestClient, browser: Browser, people: People, session: Session
) -> None:
    program = make_program(session)
    acting_as(session, people.admin.principal)
    row = propose_pool(
        session, program, year=2026, total_fen=10_000_000_00, today=program.valid_from, now=utcnow()
    )
    session.commit()
    said = f"新建资金池：{program.code} 2026 年 ¥10,000,000.00"
    reviewer = browser(REVIEWER).get(QUEUE).text  # sees it, but reviews no pool
    assert said in reviewer and f"{row.id}/confirm" not in reviewer
    maker = browser(ADMIN)
    assert f"{row.id}/withdraw" in maker.get(QUEUE).text
    english = maker.get(f"{QUEUE}?lang=en").text
    assert f"New pool: {program.code} 2026, ¥10,000,000.00" in english
    forced = post_form(maker, QUEUE, f"{QUEUE}/{row.id}/confirm")
    assert forced.status_code == 403
    pools = f"/v1/admin/programs/{program.code}/pools/2026"
    assert client.get(pools).status_code == 404
    withdrawn = post_form(maker, QUEUE, f"{QUEUE}/{row.id}/withdraw")
    assert withdrawn.headers["location"] == f"{QUEUE}?done=withdrawn"
    assert client.get(pools).status_code == 404


def test_a_settings_proposal_reads_in_chinese() -> None:
    payload = ProgramSettings(
        VoucherValidity.MONTHS, 12, (SelectionField("education", "教育"),)
    ).as_payload()
    zh, en = Translator("zh-CN"), Translator("en")
    assert (
        said("program.settings", {"program": "WH-AI-M3", **payload}, "summary", zh)
        == "修改项目设置：WH-AI-M3 算力券有效期自发放起 12 个月；遴选领域：教育"
    )
    default = ProgramSettings().as_payload()
    assert said("program.settings", {"program": "P", **default}, "summary", en) == (
        "Program settings of P: vouchers valid to the end of the pool's year; selection fields: "
        "电子信息制造、工业质检、教育、医疗、遥感、文创、金融"
    )
