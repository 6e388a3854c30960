"""Search (``q``) and sorting (``sort``, with numbered pages and a total) on the lists people
search (issue 23): names beside codes, a case-insensitive part of a name or a code, a sort
from each list's own whitelist, and a clear 422 for a search or a sort the list does not take.
Run on SQLite and PostgreSQL alike (``TEST_DATABASE_URL``)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import (
    KeyedClient,
    make_application,
    make_enterprise,
    make_month,
    make_people,
    make_pool,
    make_program,
    make_provider,
    make_redemption,
    make_voucher,
)
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.programs import Program


@pytest.fixture
def program(session: Session) -> Program:
    program = make_program(session)
    make_pool(session, program, year=2026)
    session.commit()
    return program


@pytest.fixture
def applicants(session: Session, program: Program) -> dict[str, Any]:
    """Three applicants by name, asking 300, 100 and 200 yuan."""
    named = {
        "光谷智能制造有限公司": 300_00,
        "江汉数据科技有限公司": 100_00,
        "Hubei AI Labs Co": 200_00,
    }
    made = {}
    for name, fen in named.items():
        enterprise = make_enterprise(session, name=name)
        made[name] = (
            make_application(session, program=program, enterprise=enterprise, requested_fen=fen),
            enterprise,
        )
    session.commit()
    return made


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_the_queue_finds_an_application_by_part_of_its_applicants_name_or_code(
    client: KeyedClient, applicants: dict[str, Any]
) -> None:
    application, enterprise = applicants["光谷智能制造有限公司"]
    found = client.get("/v1/admin/applications", params={"q": "智能制造"})
    assert _ids(found) == [application.id]
    item = found.json()["items"][0]
    assert item["enterprise_name"] == "光谷智能制造有限公司" and item["uscc"] == enterprise.uscc
    # any case, and part of the credit code
    assert _ids(client.get("/v1/admin/applications", params={"q": "hubei ai"})) == [
        applicants["Hubei AI Labs Co"][0].id
    ]
    assert _ids(client.get("/v1/admin/applications", params={"q": enterprise.uscc[-8:]})) == [
        application.id
    ]
    # a wildcard is a character like any other
    assert _ids(client.get("/v1/admin/applications", params={"q": "%"})) == []
    assert _ids(client.get("/v1/admin/applications", params={"q": "_"})) == []


def test_the_queue_sorts_and_numbers_its_pages(
    client: KeyedClient, applicants: dict[str, Any]
) -> None:
    by_amount = [
        applicants[n][0].id
        for n in ("江汉数据科技有限公司", "Hubei AI Labs Co", "光谷智能制造有限公司")
    ]
    ascending = client.get("/v1/admin/applications", params={"sort": "requested"})
    assert _ids(ascending) == by_amount
    assert ascending.json()["total"] == 3 and ascending.json()["page"] == 1
    assert ascending.json()["next_cursor"] is None
    descending = client.get("/v1/admin/applications", params={"sort": "-requested"})
    assert _ids(descending) == by_amount[::-1]
    second = client.get(
        "/v1/admin/applications", params={"sort": "requested", "limit": 2, "page": 2}
    )
    assert _ids(second) == by_amount[2:] and second.json()["total"] == 3
    # the default order is unchanged: oldest first, by cursor, no total
    plain = client.get("/v1/admin/applications").json()
    assert [i["id"] for i in plain["items"]] == sorted(by_amount)
    assert plain["total"] is None


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"sort": "planned_use"}, "invalid_sort"),
        ({"sort": "--requested"}, "invalid_sort"),
        ({"q": "x" * 101}, "invalid_search"),
        ({"q": "智能\x00"}, "invalid_search"),
        ({"q": "a\nb"}, "invalid_search"),
        ({"page": 0}, "invalid_input"),
    ],
)
def test_a_search_or_sort_the_list_does_not_take_is_a_clear_422(
    client: KeyedClient, applicants: dict[str, Any], params: dict[str, Any], code: str
) -> None:
    response = client.get("/v1/admin/applications", params=params)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def test_vouchers_are_found_by_code_with_or_without_hyphens_and_by_holder(
    client: KeyedClient, session: Session, program: Program
) -> None:
    holder = make_enterprise(session, name="汉阳算力应用有限公司")
    wanted = make_voucher(session, program=program, enterprise=holder, face_value_fen=900_00)
    other = make_voucher(session, program=program, face_value_fen=100_00)
    session.commit()
    for q in (wanted.code, wanted.code.replace("-", "").lower(), wanted.code[5:12], "汉阳算力"):
        found = client.get("/v1/admin/vouchers", params={"q": q})
        assert [v["code"] for v in found.json()["items"]] == [wanted.code], q
    assert found.json()["items"][0]["enterprise_name"] == "汉阳算力应用有限公司"
    by_value = client.get("/v1/admin/vouchers", params={"sort": "-face_value"}).json()
    assert [v["code"] for v in by_value["items"]] == [wanted.code, other.code]
    assert by_value["total"] == 2
    assert client.get("/v1/admin/vouchers", params={"sort": "code"}).status_code == 422


def test_enterprises_are_found_and_sorted_by_name(client: KeyedClient, session: Session) -> None:
    for name in ("武昌芯片设计有限公司", "青山钢铁数字有限公司", "武昌云计算有限公司"):
        make_enterprise(session, name=name)
    session.commit()
    found = client.get("/v1/admin/enterprises", params={"q": "武昌", "sort": "name"}).json()
    names = [e["name"] for e in found["items"]]
    assert sorted(names) == ["武昌云计算有限公司", "武昌芯片设计有限公司"]
    assert names == sorted(names) and found["total"] == 2


def test_statements_and_redemptions_carry_names_and_take_a_search(
    client: KeyedClient, session: Session, program: Program
) -> None:
    provider = make_provider(session, name="东湖智算服务有限公司")
    holder = make_enterprise(session, name="洪山视觉科技有限公司")
    make_redemption(
        session,
        voucher=make_voucher(session, program=program, enterprise=holder),
        provider=provider,
    )
    make_redemption(session)
    session.commit()
    mine = client.get(f"/v1/provider/{provider.uscc}/redemptions", params={"q": "洪山"}).json()
    assert [r["enterprise_name"] for r in mine["items"]] == ["洪山视觉科技有限公司"]
    assert (
        client.get(
            f"/v1/provider/{provider.uscc}/redemptions", params={"q": "no such company"}
        ).json()["items"]
        == []
    )
    statements = client.get("/v1/admin/statements", params={"q": "东湖", "sort": "-period"})
    assert statements.status_code == 200 and statements.json()["total"] == 0
    assert client.get("/v1/admin/statements", params={"sort": "fee"}).status_code == 422


def test_usage_records_are_found_by_record_id_voucher_or_holder_and_sorted_by_date(
    client: KeyedClient, session: Session
) -> None:
    month = make_month(client, session, make_people(session))
    mine = f"/v1/provider/{month.provider}/usage-records"
    assert [r["record_id"] for r in month.api(mine, q="JOB-2")["items"]] == ["job-2"]
    by_voucher = month.api(mine, q=month.voucher.replace("-", "")[:8])["items"]
    assert {r["record_id"] for r in by_voucher} == {"job-1", "job-2", "job-3"}  # all name it
    holder = session.get(
        Enterprise, session.scalar(select(Enterprise.id).where(Enterprise.uscc == month.enterprise))
    )
    assert holder is not None
    by_name = month.api(mine, q=holder.name[:4])["items"]
    assert {r["record_id"] for r in by_name} >= {"job-1", "job-2"}
    theirs = f"/v1/enterprise/{month.enterprise}/usage-records"
    newest = month.api(theirs, sort="-service_date")
    # the newest first; on one day, the later record first (ties by id, the same way round)
    assert [r["record_id"] for r in newest["items"]] == ["job-2", "job-3", "job-1"]
    assert newest["total"] == 3
    assert client.get(theirs, params={"sort": "uscc"}).status_code == 422
