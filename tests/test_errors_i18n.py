"""The API answers ``message`` in the request's ``Accept-Language`` (zh-CN or English, English
by default); ``code`` is the same in every language, and a refused request changes nothing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.applications.test_applications import body as application
from tests.applications.test_applications import setup
from tests.factories import KeyedClient
from voucher_service.config import get_settings
from voucher_service.console.people.forms import plain_yuan
from voucher_service.db.tables.applications import Application
from voucher_service.error_language import CHINESE, ENGLISH, catalog, negotiate, say
from voucher_service.money import MoneyError, fen_to_yuan, yuan_to_fen

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, ENGLISH),
        ("", ENGLISH),
        ("zh-CN", CHINESE),
        ("zh", CHINESE),
        ("zh-Hans-CN", CHINESE),
        ("ZH-cn", CHINESE),
        ("zh-TW", CHINESE),
        ("en-US", ENGLISH),
        ("en", ENGLISH),
        ("fr-FR, zh;q=0.5", CHINESE),
        ("en;q=0.4, zh-CN;q=0.8", CHINESE),
        ("zh-CN;q=0.3, en;q=0.9", ENGLISH),
        ("zh-CN;q=0, en", ENGLISH),
        ("zh-CN;q=0", ENGLISH),
        ("fr, de", ENGLISH),
        ("*", ENGLISH),
        ("zh-CN;q=abc, en;q=0.5", ENGLISH),
        ("en;q=1.5, zh", CHINESE),
    ],
)
def test_accept_language_is_read_by_its_q_values(header: str | None, language: str) -> None:
    assert negotiate(header) == language


def test_the_console_keeps_chinese_as_its_default() -> None:
    assert negotiate(None, CHINESE) == CHINESE
    assert negotiate("fr", CHINESE) == CHINESE
    assert negotiate("en-GB", CHINESE) == ENGLISH


def _applications(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Application)) or 0


def test_a_business_conflict_in_chinese_and_in_english(
    client: KeyedClient, session: Session
) -> None:
    program, uscc = setup(session)
    path = f"/v1/enterprise/{uscc}/applications"
    first = client.post(path, json=application(program))
    assert first.status_code == 201, first.text
    number = first.json()["id"]
    before = _applications(session)

    chinese = client.post(path, json=application(program), headers=ZH)
    english = client.post(path, json=application(program), headers=EN)
    default = client.post(path, json=application(program))

    assert chinese.status_code == english.status_code == default.status_code == 409
    assert chinese.json()["error"] == {
        "code": "already_exists",
        "message": f"申请 {number} 仍在办理中：请重新提交该申请或等待审核结果",
    }
    expected = f"application {number} is still open: resubmit or wait for it"
    assert english.json()["error"] == {"code": "already_exists", "message": expected}
    assert default.json() == english.json()
    assert _applications(session) == before


def test_a_404_in_chinese_and_in_english(client: KeyedClient, session: Session) -> None:
    chinese = client.get("/v1/admin/programs/NO-SUCH", headers=ZH)
    english = client.get("/v1/admin/programs/NO-SUCH", headers=EN)
    assert chinese.status_code == english.status_code == 404
    assert chinese.json()["error"] == {
        "code": "program_not_found",
        "message": "没有代码为 'NO-SUCH' 的项目",
    }
    assert english.json()["error"]["message"] == "no program with code 'NO-SUCH'"
    assert client.get("/v1/admin/no-such-list", headers=ZH).json()["error"] == {
        "code": "not_found",
        "message": "未找到",
    }


def test_a_validation_error_per_field_in_chinese(client: KeyedClient, session: Session) -> None:
    program, uscc = setup(session)
    body = application(program, headcount="forty", planned_use="x" * 5000)
    del body["size_class"]
    path = f"/v1/enterprise/{uscc}/applications"
    chinese = client.post(path, json=body, headers=ZH)
    english = client.post(path, json=body)
    assert chinese.status_code == english.status_code == 422
    assert chinese.json()["error"]["code"] == english.json()["error"]["code"] == "invalid_input"
    said = chinese.json()["error"]["message"]
    assert "字段 size_class：必填" in said
    assert "字段 headcount：应为整数" in said
    assert "字段 planned_use：最多 " in said
    # English is pydantic's own text, as before
    assert "size_class: Field required" in english.json()["error"]["message"]
    assert _applications(session) == 0


def test_a_money_format_error_in_chinese_and_in_english(
    client: KeyedClient, session: Session
) -> None:
    program, uscc = setup(session)
    path = f"/v1/enterprise/{uscc}/applications"
    body = application(program, requested_yuan="八万")
    chinese = client.post(path, json=body, headers=ZH).json()["error"]
    english = client.post(path, json=body, headers=EN).json()["error"]
    assert chinese == {
        "code": "invalid_input",
        "message": "字段 requested_yuan：'八万' 不是以元为单位的金额：请用阿拉伯数字填写，"
        '最多两位小数，如 "80000.00"（不用指数，不留空格）',
    }
    assert english["message"] == (
        "requested_yuan: '八万' is not an amount in yuan: use digits with at most two decimal "
        'places, such as "80000.00" (no exponent or spaces)'
    )
    # the API takes no thousands separators, and says so (the console drops them first)
    separated = client.post(path, json=application(program, requested_yuan="80,000.00"))
    assert "without separators" in separated.json()["error"]["message"]
    assert _applications(session) == 0


def test_a_malformed_credit_code_in_a_path_in_chinese(client: KeyedClient) -> None:
    response = client.get("/v1/admin/enterprises/91420106MA4K0000", headers=ZH)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_uscc"
    assert (
        error["message"]
        == "字段 path.uscc：统一社会信用代码须为 18 个字符，'91420106MA4K0000' 有 16 个"
    )


def test_an_authentication_refused_by_the_gate_in_chinese(client: KeyedClient) -> None:
    headers = {"Authorization": "Bearer not-a-key", **ZH}
    response = client.get("/v1/admin/programs", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "unauthorized",
        "message": "API 密钥格式错误：应为 vsk_<前缀>_<密钥>",
    }


def test_the_gate_s_own_refusal_in_chinese(client: KeyedClient) -> None:
    limit = get_settings().max_body_bytes
    response = client.post(
        "/v1/admin/programs",
        content=b"x" * (limit + 1),
        headers={"content-type": "application/json", **ZH},
    )
    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "body_too_large",
        "message": f"请求体超过该接口 {limit:,} 字节的上限",
    }


def test_words_inside_a_message_are_said_in_its_language() -> None:
    template = "voucher {voucher_code} is already {voucher_status}"
    params = {"voucher_code": "7KQ3-MZ8D-R2XW-HT4T", "voucher_status": "revoked"}
    assert say(template, params, CHINESE) == "算力券 7KQ3-MZ8D-R2XW-HT4T 的状态已是“已作废”"
    assert say(template, params, ENGLISH) == "voucher 7KQ3-MZ8D-R2XW-HT4T is already revoked"


@given(st.text(max_size=20))
def test_every_money_refusal_is_in_the_catalog(text: str) -> None:
    """Whatever a person types, the amount is read or refused with a message that has its
    Chinese, the text quoted in both languages."""
    try:
        yuan_to_fen(text)
    except MoneyError as refused:
        assert refused.template in catalog(CHINESE)
        assert repr(text) in say(refused.template, refused.params, CHINESE)
        assert repr(text) in str(refused)


@given(st.integers(min_value=0, max_value=10**13))
def test_the_form_the_console_hints_is_read(fen: int) -> None:
    """The console's hint offers "80,000.00": any amount written with thousands separators
    is the same amount once the console drops them, and the API's message for it names
    separators (never a rule the text does not break)."""
    plain = fen_to_yuan(fen)
    whole, fraction = plain.split(".")
    separated = f"{int(whole):,}.{fraction}"
    assert yuan_to_fen(plain_yuan(separated)) == fen
    if "," in separated:
        with pytest.raises(MoneyError, match="without separators"):
            yuan_to_fen(separated)
