"""The printable documents, rendered by WeasyPrint and read back with pdftotext: the approval
notice of an approved application and a provider's settlement statement carry their figures,
the amount in Chinese capitals, the policy clause, their numbers and signature and seal
lines; each is downloaded by whoever may see it, and by nobody else."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from tests.factories import (
    KeyedClient,
    Scene,
    as_role,
    make_application,
    make_enterprise,
    make_pool,
    make_program,
    make_scene,
    second_admin,
)
from voucher_service.db.tables.auth import Role

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed"
)


def text_of(pdf: bytes) -> str:
    """The PDF's text with all white space removed (lines break anywhere in Chinese)."""
    assert pdf.startswith(b"%PDF-")
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    return re.sub(r"\s+", "", out)


def test_the_approval_notice(client: KeyedClient, session: Session) -> None:
    program = make_program(session, code="WH-AI-M2")
    make_pool(session, program, total_fen=20_000_000_00)
    enterprise = make_enterprise(session, name="光谷智能制造")
    application = make_application(
        session, program=program, enterprise=enterprise, requested_fen=123_456_78
    )
    pending = make_application(session, program=program, requested_fen=1_000_00)
    session.commit()
    approved = client.post(f"/v1/admin/applications/{application.id}/approve", json={})
    assert approved.status_code == 200, approved.text
    voucher = approved.json()["voucher_code"]

    mine = f"/v1/enterprise/{enterprise.uscc}/applications/{application.id}/approval-notice.pdf"
    response = client.get(mine)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert f"approval-notice-{application.id}.pdf" in response.headers["content-disposition"]
    text = text_of(response.content)
    for expected in (
        "武汉市算力服务券审批通知书",
        f"武经信算券审〔2026〕第{application.id:06d}号",
        "光谷智能制造",
        enterprise.uscc,
        "武政规〔2025〕3号",
        "第二条",
        "¥123,456.78",
        "人民币壹拾贰万叁仟肆佰伍拾陆元柒角捌分",
        voucher,
        "武汉市经济和信息化局（盖章）",
        "经办人：",
        "企业签收：",
    ):
        assert expected in text, expected

    bureau = client.get(f"/v1/admin/applications/{application.id}/approval-notice.pdf")
    assert bureau.status_code == 200 and "壹拾贰万叁仟肆佰伍拾陆元柒角捌分" in text_of(
        bureau.content
    )
    # Another enterprise's is not found; an application not approved has no notice.
    other = make_enterprise(session)
    session.commit()
    theirs = client.get(
        f"/v1/enterprise/{other.uscc}/applications/{application.id}/approval-notice.pdf"
    )
    assert (theirs.status_code, theirs.json()["error"]["code"]) == (404, "application_not_found")
    stranger = client.get(mine, headers=as_role(client, Role.ENTERPRISE, other.uscc))
    assert stranger.status_code == 404
    waiting = client.get(f"/v1/admin/applications/{pending.id}/approval-notice.pdf")
    assert (waiting.status_code, waiting.json()["error"]["code"]) == (409, "invalid_state")


def test_the_settlement_statement(client: KeyedClient, session: Session) -> None:
    scene: Scene = make_scene(client, session)
    assert scene.post("job-1", "246.90").json()["subsidy_yuan"] == "123.45"
    client.app.state.clock = lambda: datetime(2026, 7, 2, 2, tzinfo=UTC)  # type: ignore[attr-defined]
    closed = client.post(
        "/v1/admin/statements", json={"provider_uscc": scene.provider, "period": "2026-06"}
    )
    [statement] = closed.json()["statements"]
    sid = statement["id"]
    path = f"/v1/provider/{scene.provider}/statements/{sid}/statement.pdf"
    closed_text = text_of(client.get(path).content)
    assert "已关账，待审核" in closed_text and "支付凭证号" not in closed_text

    assert (
        client.post(f"/v1/admin/statements/{sid}/approve", headers=second_admin(client)).status_code
        == 200
    )
    paid = client.post(f"/v1/admin/statements/{sid}/pay", json={"payment_reference": "WH-TREAS-77"})
    assert paid.status_code == 200
    response = client.get(path)
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = text_of(response.content)
    for expected in (
        "武汉市算力服务券结算单",
        f"武经信算券结〔2026-06〕第{sid:06d}号",
        "武汉智算中心",
        scene.provider,
        "2026-06",
        "（武政规〔2025〕3号）第二条",
        "¥246.90",  # fees
        "¥123.45",  # subsidy and the enterprise's share alike
        "人民币壹佰贰拾叁元肆角伍分",
        "WH-TREAS-77",
        "已支付",
        scene.voucher,
        "服务商（盖章）",
        "武汉市经济和信息化局（盖章）",
        "审核：secondadmin",
    ):
        assert expected in text, expected

    bureau = client.get(f"/v1/admin/statements/{sid}/statement.pdf")
    assert bureau.status_code == 200 and "壹佰贰拾叁元肆角伍分" in text_of(bureau.content)
    rival = make_scene(client, session).provider
    theirs = client.get(f"/v1/provider/{rival}/statements/{sid}/statement.pdf")
    assert (theirs.status_code, theirs.json()["error"]["code"]) == (404, "statement_not_found")
