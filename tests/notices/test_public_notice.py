"""Public notice (公示): an approval under notice reserves the pool's amount, stands on the
public list, takes objections, and is issued when its period ends; an upheld objection sends
it back to review and releases the reservation. The whole-books check stays clean."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import NOW, make_enterprise, make_pool, make_program
from voucher_service.books import verify_ledger
from voucher_service.db.tables.applications import Application
from voucher_service.db.tables.ledger import LedgerPosting, PostingKind
from voucher_service.db.tables.paperwork import Objection
from voucher_service.db.tables.programs import Pool
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.domain.paperwork import is_working_day, notice_period
from voucher_service.notices.service import close_due

PDF = b"%PDF-1.4\n%%EOF\n"
POOL_FEN = 1_000_000_00
OBJECTION = {"name": "张三", "contact": "13800000000", "text": "该企业注册地址与实际不符。"}


@given(
    st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
    st.integers(min_value=1, max_value=30),
    st.sets(st.dates(min_value=date(2024, 1, 1), max_value=date(2031, 3, 1)), max_size=20),
)
def test_a_notice_lasts_its_working_days_from_the_next_one(
    approved: date, days: int, holidays: set[date]
) -> None:
    start, end = notice_period(approved, days, holidays)
    assert start > approved
    assert is_working_day(start, holidays) and is_working_day(end, holidays)
    span = [start + timedelta(n) for n in range((end - start).days + 1)]
    assert sum(is_working_day(d, holidays) for d in span) == days
    skipped = [approved + timedelta(n) for n in range(1, (start - approved).days)]
    assert not any(is_working_day(d, holidays) for d in skipped)


def test_the_holidays_setting_is_skipped() -> None:
    # 2026-10-01..07 National Day; approved Wednesday 30 September.
    holidays = {date(2026, 10, d) for d in range(1, 8)}
    assert notice_period(date(2026, 9, 30), 5, holidays) == (date(2026, 10, 8), date(2026, 10, 14))
    assert notice_period(date(2026, 6, 15), 5, set()) == (date(2026, 6, 16), date(2026, 6, 22))


def setup(client: TestClient, session: Session) -> tuple[str, str]:
    program = make_program(session)
    make_pool(session, program, total_fen=POOL_FEN)
    enterprise = make_enterprise(session, name="光谷智算科技有限公司")
    session.commit()
    settings = client.put(
        f"/v1/admin/programs/{program.code}/paperwork",
        json={
            "required_materials": ["business_licence"],
            "notice_enabled": True,
            "notice_working_days": 5,
        },
    )
    assert settings.status_code == 200, settings.text
    return program.code, enterprise.uscc


def apply_with_materials(client: TestClient, program: str, uscc: str) -> int:
    body = {
        "program_code": program,
        "year": 2026,
        "requested_yuan": "1000.00",
        "planned_use": "fine-tuning an inspection model",
        "intended_providers": [],
        "size_class": "small",
        "headcount": 40,
        "revenue_yuan": "5000000.00",
        "declares_no_related_party": True,
    }
    applied = client.post(f"/v1/enterprise/{uscc}/applications", json=body)
    assert applied.status_code == 201, applied.text
    application_id: int = applied.json()["id"]
    filed = client.post(
        f"/v1/enterprise/{uscc}/applications/{application_id}/materials",
        data={"kind": "business_licence"},
        files={"file": ("licence.pdf", PDF, "application/pdf")},
    )
    assert filed.status_code == 201, filed.text
    return application_id


def available(session: Session) -> int:
    pools = session.scalars(select(Pool).execution_options(populate_existing=True)).all()
    return sum(p.available_fen for p in pools)


def vouchers(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Voucher)) or 0


def kinds(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(LedgerPosting.kind)
            .where(LedgerPosting.kind.in_([PostingKind.RESERVE, PostingKind.UNRESERVE]))  # type: ignore[attr-defined]
            .order_by(LedgerPosting.id)  # type: ignore[arg-type]
        )
    )


def into_notice(client: TestClient, session: Session) -> tuple[int, str]:
    program, uscc = setup(client, session)
    application_id = apply_with_materials(client, program, uscc)
    approved = client.post(f"/v1/admin/applications/{application_id}/approve", json={})
    assert approved.status_code == 200, approved.text
    a = approved.json()
    assert (a["status"], a["voucher_code"], a["approved_yuan"]) == ("in_notice", None, "1000.00")
    assert (a["notice_start"], a["notice_end"]) == ("2026-06-16", "2026-06-22")
    return application_id, uscc


def test_notice_objection_dismissed_then_issued(client: TestClient, session: Session) -> None:
    application_id, uscc = into_notice(client, session)
    assert vouchers(session) == 0
    assert available(session) == POOL_FEN - 1000_00  # reserved: nothing promised twice
    assert kinds(session) == ["reserve"]
    assert verify_ledger(session) == []

    public = client.get("/public/v1/notices")
    assert public.status_code == 200
    [item] = public.json()["items"]
    assert item == {
        "application_id": application_id,
        "enterprise_name": "光谷智算科技有限公司",
        "uscc": uscc,
        "district_code": "420106",
        "district_name": item["district_name"],
        "program_code": item["program_code"],
        "program_name": "test program",
        "amount_yuan": "1000.00",
        "notice_start": "2026-06-16",
        "notice_end": "2026-06-22",
    }
    assert "武昌" in item["district_name"]

    objected = client.post(f"/public/v1/notices/{application_id}/objections", json=OBJECTION)
    assert objected.status_code == 201, objected.text
    objection_id = objected.json()["id"]
    queue = client.get("/v1/admin/objections").json()
    assert [(o["id"], o["text"]) for o in queue] == [(objection_id, OBJECTION["text"])]

    # The period ends, but an open objection holds the issuance.
    after = date(2026, 6, 23)
    held = close_due(session, today=after, now=NOW)
    assert (held.issued, held.held) == ([], [application_id])
    assert vouchers(session) == 0

    dismissed = client.post(
        f"/v1/admin/objections/{objection_id}/dismiss", json={"reason": "核实：信息属实"}
    )
    assert (dismissed.status_code, dismissed.json()["status"]) == (200, "dismissed")
    again = client.post(f"/v1/admin/objections/{objection_id}/dismiss", json={"reason": "x"})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "invalid_state")

    # Not due before its last day has passed.
    assert close_due(session, today=date(2026, 6, 22), now=NOW).issued == []
    closed = close_due(session, today=after, now=NOW)
    assert closed.issued == [application_id]
    assert close_due(session, today=after, now=NOW).issued == []  # idempotent
    row = session.get(Application, application_id, populate_existing=True)
    assert row is not None and row.status == "approved" and row.voucher_id is not None
    voucher = session.get(Voucher, row.voucher_id)
    assert voucher is not None and voucher.face_value_fen == 1000_00
    assert available(session) == POOL_FEN - 1000_00
    assert kinds(session) == ["reserve", "unreserve"]
    assert client.get("/public/v1/notices").json()["items"] == []
    assert verify_ledger(session) == []


def test_an_upheld_objection_returns_it_to_review(client: TestClient, session: Session) -> None:
    application_id, _ = into_notice(client, session)
    objection_id = client.post(
        f"/public/v1/notices/{application_id}/objections", json=OBJECTION
    ).json()["id"]
    upheld = client.post(
        f"/v1/admin/objections/{objection_id}/uphold", json={"reason": "企业已迁出武汉"}
    )
    assert (upheld.status_code, upheld.json()["status"]) == (200, "upheld")
    back = client.get(f"/v1/admin/applications/{application_id}").json()
    assert (back["status"], back["approved_yuan"], back["notice_end"]) == ("submitted", None, None)
    assert available(session) == POOL_FEN
    assert kinds(session) == ["reserve", "unreserve"]
    assert verify_ledger(session) == []
    assert close_due(session, today=date(2026, 7, 1), now=NOW).issued == []
    assert vouchers(session) == 0
    # Back in review, it can be decided again (and stands in notice again).
    again = client.post(f"/v1/admin/applications/{application_id}/approve", json={})
    assert again.json()["status"] == "in_notice"
    assert verify_ledger(session) == []


def test_bad_objections_are_refused_and_change_nothing(
    client: TestClient, session: Session
) -> None:
    application_id, _ = into_notice(client, session)
    url = f"/public/v1/notices/{application_id}/objections"
    for body in (
        {**OBJECTION, "text": ""},
        {**OBJECTION, "text": "x" * 2001},
        {**OBJECTION, "name": "a\x00b"},
        {**OBJECTION, "extra": 1},
    ):
        answer = client.post(url, json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert set(answer.json()["error"]) == {"code", "message"}
    unknown = client.post("/public/v1/notices/999999/objections", json=OBJECTION)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "application_not_found")
    assert session.scalar(select(func.count()).select_from(Objection)) == 0


def test_objections_are_rate_limited_per_address(client: TestClient, session: Session) -> None:
    application_id, _ = into_notice(client, session)
    url = f"/public/v1/notices/{application_id}/objections"
    answers = [client.post(url, json=OBJECTION).status_code for _ in range(6)]
    assert answers == [201] * 5 + [429]
    refused = client.post(url, json=OBJECTION)
    assert refused.json()["error"]["code"] == "too_many_objections"
    assert refused.headers["retry-after"] == "3600"
    assert session.scalar(select(func.count()).select_from(Objection)) == 5


def test_a_pool_cannot_promise_a_reserved_amount_twice(
    client: TestClient, session: Session
) -> None:
    program = make_program(session)
    make_pool(session, program, total_fen=1500_00)
    first, second = make_enterprise(session, name="甲公司"), make_enterprise(session, name="乙公司")
    session.commit()
    client.put(
        f"/v1/admin/programs/{program.code}/paperwork",
        json={"notice_enabled": True, "notice_working_days": 5},
    )
    ids = [apply_with_materials(client, program.code, e.uscc) for e in (first, second)]
    assert client.post(f"/v1/admin/applications/{ids[0]}/approve", json={}).status_code == 200
    refused = client.post(f"/v1/admin/applications/{ids[1]}/approve", json={})
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "pool_insufficient")
    assert verify_ledger(session) == []


def test_paperwork_settings_refuse_bad_values(client: TestClient, session: Session) -> None:
    program = make_program(session)
    session.commit()
    url = f"/v1/admin/programs/{program.code}/paperwork"
    for body in (
        {"required_materials": ["passport"]},
        {"notice_enabled": True, "notice_working_days": 0},
        {"notice_enabled": True, "notice_working_days": 31},
    ):
        answer = client.put(url, json=body)
        assert answer.status_code == 422, answer.text
    assert client.put("/v1/admin/programs/NOPE/paperwork", json={}).status_code == 404


def test_open_figures_suppress_small_cells(client: TestClient, session: Session) -> None:
    program = make_program(session)
    make_pool(session, program, total_fen=POOL_FEN)
    session.commit()
    for n in range(6):
        e = make_enterprise(session, name=f"企业{n}", division=("420102", "420103")[n % 2])
        session.commit()
        client.post(
            "/v1/admin/vouchers",
            json={
                "program_code": program.code,
                "year": 2026,
                "uscc": e.uscc,
                "face_value_yuan": "100.00" if n % 2 == 0 else "200.00",
            },
        )
    lone = make_enterprise(session, name="独家", division="420111")
    session.commit()
    issued = client.post(
        "/v1/admin/vouchers",
        json={
            "program_code": program.code,
            "year": 2026,
            "uscc": lone.uscc,
            "face_value_yuan": "700.00",
        },
    )
    assert issued.status_code == 201, issued.text
    figures = client.get(f"/public/v1/figures/{program.code}/2026")
    assert figures.status_code == 200, figures.text
    data: dict[str, Any] = figures.json()
    assert (data["enterprises_supported"], data["issued_yuan"]) == (7, "1600.00")
    districts = {c["key"]: c for c in data["by_district"]}
    assert districts["420103"]["issued_yuan"] == "600.00"
    assert districts["420103"]["enterprise_count"] == 3
    assert districts["420111"]["suppressed"] is True
    assert districts["420111"]["issued_yuan"] is None
    # ... and the smallest shown district with it, or 1600 - 600 would give the lone one away
    assert districts["420102"]["suppressed"] is True
    assert districts["420102"]["issued_yuan"] is None
    assert "700.00" not in figures.text
