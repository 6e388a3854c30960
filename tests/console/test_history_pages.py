"""History sections: the pages of an application (the bureau's and the SME's own), a voucher,
a statement, an enterprise and a provider read their audit entries as people would — Chinese
action names, people by name (never a login), money in ¥, changes as old → new."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.factories import (
    ADMIN,
    AUDITOR,
    REVIEWER,
    Browser,
    Month,
    People,
    keys_in,
    make_application,
    post_form,
    section,
)
from voucher_service import audit_log
from voucher_service.audit.history import PersonKind, changes_of
from voucher_service.enterprises.service import get_enterprise
from voucher_service.programs.service import get_program

ME = "finance.chen"


def approved_for_less(month: Month, browser: Browser, people: People, session: Session) -> int:
    """The SME's person files ¥100.00; a reviewer called 李审核 approves ¥80.00 in the
    console."""
    people.reviewer.account.display_name = "李审核"
    people.enterprise.account.display_name = "陈会计"
    audit_log.set_actor(session, people.enterprise.actor())
    row = make_application(
        session,
        program=get_program(session, month.program),
        enterprise=get_enterprise(session, month.enterprise),
    )
    session.commit()
    page = f"/console/bureau/applications/{row.id}"
    done = post_form(
        browser(REVIEWER), page, f"{page}/approve", amount="80.00", reason="按预算核减"
    )
    assert done.status_code == 303, done.text[:400]
    assert row.id is not None
    return row.id


def test_an_application_approved_for_less_reads_in_chinese_for_both_sides(
    month: Month, browser: Browser, people: People, session: Session
) -> None:
    application_id = approved_for_less(month, browser, people, session)
    for login, url in (
        (ME, f"/console/enterprise/{month.enterprise}/applications/{application_id}"),
        (ADMIN, f"/console/bureau/applications/{application_id}"),
    ):
        html = browser(login).get(url).text
        history = section(html, "history")
        assert history.index("提交申请") < history.index("批准申请"), login
        assert "武汉市经信局 审核人员 李审核" in history and "陈会计" in history
        assert "批准金额" in history and "¥80.00" in history  # the field by name, in yuan
        assert "申请金额" in history and "¥100.00" in history
        assert "待审核" in history and "已批准" in history  # status: submitted → approved
        assert "按预算核减" in history
        # the decision names the person too, never the login the log keeps
        assert "武汉市经信局 审核人员 李审核" in html
        for login_text in (REVIEWER, "bureau_reviewer:", ME, "approved_fen", "application."):
            assert login_text not in history.replace('data-action="application.', ""), login_text
        assert REVIEWER not in html and "bureau_reviewer:" not in html


def test_every_detail_page_has_its_history(
    month: Month, browser: Browser, people: People, session: Session
) -> None:
    reader = browser(AUDITOR)
    voucher = reader.get(f"/console/bureau/vouchers/{month.voucher}").text
    assert "发放算力券" in section(voucher, "history")
    assert "核销绑定" in section(voucher, "history")  # its redemption belongs to it
    enterprise = reader.get(f"/console/bureau/enterprises/{month.enterprise}").text
    assert "登记企业" in section(enterprise, "history")
    provider = reader.get(f"/console/bureau/providers/{month.provider}").text
    assert "登记服务商" in section(provider, "history")
    assert "上报用量" not in section(provider, "history")  # too many: the audit log has them


def test_the_audit_page_reads_the_same_way_and_filters_by_object(
    month: Month, browser: Browser, people: People, session: Session
) -> None:
    application_id = approved_for_less(month, browser, people, session)
    reader = browser(AUDITOR)
    page = reader.get("/console/bureau/audit", params={"object": f"application:{application_id}"})
    assert page.status_code == 200
    assert len(keys_in(page.text, "audit")) == 2
    table = section(page.text, "audit")
    assert "提交申请" in table and "批准申请" in table and "李审核" in table
    assert "¥80.00" in table and "bureau_reviewer:" not in table


def _recorded_actions() -> tuple[set[str], set[str]]:
    """The action codes the service records (``audit_log.record``/``entry``/``created``
    calls), and the prefixes of those it builds at run time (``f"statement.{action}"``)."""
    import ast
    from pathlib import Path

    import voucher_service

    codes: set[str] = set()
    prefixes: set[str] = set()
    for path in Path(voucher_service.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            action = {"record": 1, "entry": 1, "created": 2}.get(node.func.attr)
            if action is None or len(node.args) < 4:
                continue
            for part in ast.walk(node.args[action]):
                if isinstance(part, ast.JoinedStr) and isinstance(part.values[0], ast.Constant):
                    prefixes.add(str(part.values[0].value))
                elif isinstance(part, ast.Constant) and isinstance(part.value, str):
                    codes.add(part.value)
    return codes - prefixes, prefixes


def test_every_action_the_service_records_has_a_name() -> None:
    from voucher_service.audit import history
    from voucher_service.console.history import action_codes
    from voucher_service.console.i18n import MESSAGES

    codes, prefixes = _recorded_actions()
    named = set(action_codes())
    assert len(codes) > 30 and codes - named == set()
    for prefix in prefixes:  # application., confirmation., statement.
        assert any(code.startswith(prefix) for code in named), prefix
    for verb in ("approve", "pay", "close"):
        assert f"statement.{verb}" in named
    for language in ("zh-CN", "en"):
        assert all(f"history.object.{kind}" in MESSAGES[language] for kind in history.OBJECT_KINDS)


def test_fields_naming_people_by_login_are_left_to_the_entrys_person() -> None:
    from datetime import UTC, datetime

    from voucher_service.audit.history import HistoryRow
    from voucher_service.audit.history import Person as Who
    from voucher_service.console.history import shown
    from voucher_service.console.i18n import Translator

    row = HistoryRow(
        id=1,
        occurred_at=datetime(2026, 6, 15, tzinfo=UTC),
        action="confirmation.confirm",
        target_type="confirmation",
        target_id="3",
        person=Who(PersonKind.BUREAU, "bureau_reviewer", None, "李审核"),
        changes=changes_of(
            {"status": "pending"},
            {
                "status": "confirmed",
                "proposed_by": "reviewer.li",
                "decided_by": "admin.wang",
                "summary": "approve application 6 for 80.00 yuan",
            },  # fmt: skip
        ),
    )
    [entry] = shown(Translator("zh-CN"), [row])
    assert (entry.action, entry.person) == ("复核通过", "武汉市经信局 审核人员 李审核")
    assert [(c.field, c.before, c.after) for c in entry.changes] == [("状态", "待复核", "已确认")]
