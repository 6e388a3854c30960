"""Measure 3 in the console: an SME puts its model up for selection, reviewers select or
decline (with a reason) one by one or in bulk, and both sides see the outcome — the same
service calls and refusals as the API."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import (
    ADMIN,
    REVIEWER,
    Browser,
    People,
    csrf_of,
    keys_in,
    make_program,
    post_form,
    section,
)
from voucher_service.db.tables.applications import ModelSelection

ME, OTHER = "finance.chen", "finance.zhou"
QUEUE = "/console/bureau/selections"


def _program(session: Session) -> str:
    program = make_program(session, code="WH-AI-M3", requires_selection=True)
    session.commit()
    return program.code


def _submit(browser: Browser, login: str, uscc: str, program: str, model: str, **changes: str):  # type: ignore[no-untyped-def]
    person = browser(login)
    page = f"/console/enterprise/{uscc}/selections"
    token = csrf_of(person.get(page).text)
    form = {
        "program_code": program,
        "year": "2026",
        "model_name": model,
        "sector": "manufacturing",
        "filing_reference": "Hubei-20260101",
        "description": "",
        "csrf_token": token,
        **changes,
    }
    return person.post(page, data=form, follow_redirects=False)


def _count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(ModelSelection)) or 0)


def test_an_sme_submits_and_reviewers_select_one_and_decline_one(
    browser: Browser, people: People, session: Session
) -> None:
    program = _program(session)
    mine, theirs = (
        people.enterprise.enterprise_uscc or "",
        people.other_enterprise.enterprise_uscc or "",
    )
    people.reviewer.account.display_name = "李审核"
    session.commit()
    page = browser(ME).get(f"/console/enterprise/{mine}/selections")
    assert page.status_code == 200 and "WH-AI-M3" in page.text and "制造业" in page.text
    assert 'href="/console/enterprise/' + mine + '/selections"' in page.text  # in the menu

    # bad input: refused as the API refuses it, nothing written, what was typed kept
    refused = _submit(browser, ME, mine, program, "", filing_reference="x")
    assert refused.status_code == 422 and _count(session) == 0
    assert 'value="x"' in refused.text
    assert _submit(browser, ME, mine, program, "工业质检大模型").status_code == 303
    again = _submit(browser, ME, mine, program, "工业质检大模型")
    assert again.status_code == 409 and _count(session) == 1
    assert _submit(browser, OTHER, theirs, program, "遥感解译模型").status_code == 303

    queue = browser(REVIEWER).get(QUEUE)
    assert queue.status_code == 200
    ids = keys_in(queue.text, "selections")
    assert len(ids) == 2 and "工业质检大模型" in queue.text and "遥感解译模型" in queue.text
    first, second = ids
    assert 'id="bulk"' in queue.text  # a reviewer may decide the ticked ones
    # declining needs a reason: refused, unchanged
    detail = f"{QUEUE}/{second}"
    no_reason = post_form(browser(REVIEWER), detail, f"{detail}/decline", reason=" ")
    assert no_reason.status_code == 422 and "原因" in no_reason.text
    assert (
        post_form(browser(REVIEWER), f"{QUEUE}/{first}", f"{QUEUE}/{first}/select").status_code
        == 303
    )
    declined = post_form(browser(REVIEWER), detail, f"{detail}/decline", reason="备案号与模型不符")
    assert declined.status_code == 303
    assert keys_in(browser(REVIEWER).get(QUEUE).text, "selections") == []
    everything = browser(ADMIN).get(QUEUE, params={"status": "all"}).text
    assert keys_in(everything, "selections") == [first, second]
    shown = browser(ADMIN).get(detail).text
    assert "未入选" in shown and "备案号与模型不符" in shown
    assert "不予入选" in section(shown, "history")  # history: the decline, by name
    assert "武汉市经信局 审核人员 李审核" in shown and REVIEWER not in shown

    # each SME sees its own outcome, with the reviewer by name
    own = section(browser(ME).get(f"/console/enterprise/{mine}/selections").text, "my-selections")
    assert "已入选" in own and "李审核" in own and REVIEWER not in own
    other = section(
        browser(OTHER).get(f"/console/enterprise/{theirs}/selections").text, "my-selections"
    )
    assert "未入选" in other and "备案号与模型不符" in other and "工业质检大模型" not in other
    # another company's page is not found; the queue is the bureau's
    assert browser(ME).get(f"/console/enterprise/{theirs}/selections").status_code == 404
    assert browser(ME).get(QUEUE).status_code in (403, 404)


def test_the_queue_decides_in_bulk_each_on_its_own(
    browser: Browser, people: People, session: Session
) -> None:
    program = _program(session)
    mine, theirs = (
        people.enterprise.enterprise_uscc or "",
        people.other_enterprise.enterprise_uscc or "",
    )
    assert _submit(browser, ME, mine, program, "模型甲").status_code == 303
    assert _submit(browser, OTHER, theirs, program, "模型乙").status_code == 303
    ids = keys_in(browser(REVIEWER).get(QUEUE).text, "selections")
    reviewer = browser(REVIEWER)
    token = csrf_of(reviewer.get(QUEUE).text)
    no_reason = reviewer.post(
        f"{QUEUE}/decide-bulk",
        data={"ids": ids, "decision": "decline", "reason": "", "csrf_token": token},
    )
    assert no_reason.status_code == 200
    assert section(no_reason.text, "bulk-results").count('class="failed"') == 2
    selected = reviewer.post(
        f"{QUEUE}/decide-bulk",
        data={"ids": ids, "decision": "select", "reason": "", "csrf_token": token},
    )
    assert section(selected.text, "bulk-results").count('class="passed"') == 2
    assert keys_in(selected.text, "selections") == []
