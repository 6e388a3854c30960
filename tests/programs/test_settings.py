"""A program's settings beside its rules (issue 25): how long its vouchers live, and the
fields (领域) measure 3 selects models in; set when the program is made, changed by two
program administrators like any rule."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.applications.test_selection import apply
from tests.factories import (
    make_enterprise,
    make_pool,
    make_program,
    make_voucher,
    maker_and_checker,
)
from tests.programs.test_programs_api import MEASURE_2
from voucher_service.db.tables.auth import Duty
from voucher_service.domain.rules import SelectionField, VoucherValidity
from voucher_service.errors import ProgramNotValid
from voucher_service.programs.settings import ProgramSettings

DECEMBER = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("settings", "valid_to", "last_day"),
    [
        # The default: to the pool year's end (a December voucher lives 25 days).
        (ProgramSettings(), date(2030, 12, 31), date(2026, 12, 31)),
        (ProgramSettings(VoucherValidity.MONTHS, 12), date(2030, 12, 31), date(2027, 12, 6)),
        # Never past the program's end.
        (ProgramSettings(VoucherValidity.MONTHS, 12), date(2027, 3, 18), date(2027, 3, 18)),
        # To the window's end: 36 months from this, the enterprise's first voucher.
        (ProgramSettings(VoucherValidity.WINDOW), date(2030, 12, 31), date(2029, 12, 6)),
    ],
)
def test_a_december_voucher_lives_as_its_program_says(
    session: Session, settings: ProgramSettings, valid_to: date, last_day: date
) -> None:
    program = make_program(session, valid_to=valid_to, settings=settings)
    make_pool(session, program, today=DECEMBER)
    voucher = make_voucher(session, program=program, today=DECEMBER)
    assert (voucher.valid_from, voucher.valid_to) == (DECEMBER, last_day)
    # A reviewer may ask for less, never for more.
    enterprise = make_enterprise(session)
    shorter = make_voucher(
        session, program=program, enterprise=enterprise, today=DECEMBER, valid_to=date(2026, 12, 20)
    )
    assert shorter.valid_to == date(2026, 12, 20)
    with pytest.raises(ProgramNotValid):
        make_voucher(
            session,
            program=program,
            enterprise=make_enterprise(session),
            today=DECEMBER,
            valid_to=last_day + timedelta(days=1),
        )


def program_body(**settings: Any) -> dict[str, Any]:
    return {**MEASURE_2, "code": "WH-AI-M3", "valid_to": "2030-12-31", **settings}


def test_settings_are_read_back_and_nonsense_is_refused(client: TestClient) -> None:
    made = client.post(
        "/v1/admin/programs",
        json=program_body(voucher_validity="months", voucher_validity_months=12),
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["voucher_validity"], body["voucher_validity_months"]) == ("months", 12)
    # No list of its own: the policy's seven fields, 教育 among them.
    assert [f["code"] for f in body["selection_fields"]] == [
        "manufacturing",
        "industrial_inspection",
        "education",
        "healthcare",
        "remote_sensing",
        "culture",
        "finance",
    ]
    assert {"code": "education", "name": "教育"} in body["selection_fields"]
    for bad, code in [
        ({"voucher_validity": "months"}, "invalid_rules"),
        ({"voucher_validity_months": 6}, "invalid_rules"),
        ({"voucher_validity": "months", "voucher_validity_months": 37}, "invalid_input"),
        ({"voucher_validity": "forever"}, "invalid_input"),
        ({"selection_fields": []}, "invalid_rules"),
        ({"selection_fields": [{"code": "Edu", "name": "教育"}]}, "invalid_input"),
        (
            {"selection_fields": [{"code": "edu", "name": "教育"}, {"code": "edu", "name": "x"}]},
            "invalid_rules",
        ),
    ]:
        refused = client.post("/v1/admin/programs", json=program_body(code="WH-X", **bad))
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.json()["error"]["code"] == code, (bad, refused.text)
    assert client.get("/v1/admin/programs/WH-X").status_code == 404


def test_settings_change_by_two_program_administrators(
    client: TestClient, session: Session
) -> None:
    program = make_program(session, valid_to=date(2030, 12, 31))
    session.commit()
    zhou, wu = maker_and_checker(client, Duty.PROGRAM, "program zhou", "program wu")
    path = f"/v1/admin/programs/{program.code}"
    change = {
        "settings": {
            "voucher_validity": "window",
            "selection_fields": [
                {"code": "education", "name": "教育"},
                {"code": "agriculture", "name": "智慧农业"},
            ],
        }
    }
    for neither_or_both in ({}, {**change, "second_review_above_yuan": "1.00"}):
        refused = client.patch(path, json=neither_or_both, headers=zhou)
        assert (refused.status_code, refused.json()["error"]["code"]) == (422, "invalid_input")
    proposed = client.patch(path, json=change, headers=zhou)
    assert (proposed.status_code, proposed.json()["kind"]) == (202, "program.settings")
    assert "vouchers valid to window" in proposed.json()["summary"]
    assert client.get(path).json()["voucher_validity"] == "pool_year"
    same = client.post(f"/v1/admin/confirmations/{proposed.json()['id']}/confirm", headers=zhou)
    assert (same.status_code, same.json()["error"]["code"]) == (403, "same_person")
    confirmed = client.post(f"/v1/admin/confirmations/{proposed.json()['id']}/confirm", headers=wu)
    assert confirmed.status_code == 200, confirmed.text
    after = client.get(path).json()
    assert after["voucher_validity"] == "window"
    assert [f["code"] for f in after["selection_fields"]] == ["education", "agriculture"]


def test_a_selection_in_any_of_the_programs_fields(client: TestClient, session: Session) -> None:
    default = make_program(session, requires_selection=True)
    own = make_program(
        session,
        requires_selection=True,
        settings=ProgramSettings(selection_fields=(SelectionField("agriculture", "智慧农业"),)),
    )
    for program in (default, own):
        make_pool(session, program)
    first, second, third = (make_enterprise(session).uscc for _ in range(3))
    session.commit()
    # 教育 is one of the seven fields the policy names (the list ends in 等领域).
    education = apply(client, first, default.code, sector="education")
    assert (education.status_code, education.json()["sector"]) == (201, "education")
    # A program lists its own fields; anything else is refused, naming the list.
    for uscc, program, sector in (
        (second, own.code, "education"),
        (second, default.code, "agriculture"),
    ):
        refused = apply(client, uscc, program, sector=sector)
        assert (refused.status_code, refused.json()["error"]["code"]) == (422, "unknown_field")
    assert (
        "agriculture (智慧农业)"
        in apply(client, third, own.code, sector="finance").json()["error"]["message"]
    )
    farming = apply(client, second, own.code, sector="agriculture")
    assert farming.status_code == 201, farming.text
    listed = client.get("/v1/admin/selections", params={"sector": "agriculture"}).json()["items"]
    assert [s["uscc"] for s in listed] == [second]
    bad = client.get("/v1/admin/selections", params={"sector": "Not A Code"})
    assert bad.status_code == 422
