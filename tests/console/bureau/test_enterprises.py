"""Enterprises: the API's register and an enterprise's standing in each program."""

from __future__ import annotations

from tests.factories import (
    ADMIN,
    CITY,
    HONGSHAN,
    REVIEWER,
    Books,
    Browser,
    People,
    as_role,
    fen,
    keys_in,
    section,
)
from tests.factories import uscc as valid_uscc
from voucher_service.console.formatting import yuan
from voucher_service.db.tables.auth import Role

LIST = "/console/bureau/enterprises"


def test_the_register_shows_the_apis_rows(books: Books, browser: Browser, people: People) -> None:
    reviewer = browser(REVIEWER)
    for query in ({}, {"district_code": HONGSHAN}, {"district_code": CITY}, {"limit": "2"}):
        page = reviewer.get(LIST, params=query)
        api = books.client.get("/v1/admin/enterprises", params=query).json()["items"]
        assert keys_in(page.text, "enterprises") == [e["uscc"] for e in api], query
    assert "洪山区" in reviewer.get(LIST).text


def test_an_enterprise_with_its_standing_and_vouchers(
    books: Books, browser: Browser, people: People
) -> None:
    uscc = books.enterprises["wuchang"]
    html = browser(ADMIN).get(f"{LIST}/{uscc}").text
    for program in (books.small_cap, books.other):
        status = books.client.get(
            f"/v1/admin/enterprises/{uscc}/status", params={"program": program}
        ).json()
        row = section(html, "standing").split(f'data-key="{program}"')[1].split("</tr>")[0]
        for field in ("cap_used_yuan", "cap_remaining_yuan", "outstanding_yuan", "issuable_yuan"):
            assert yuan(fen(status[field]) or 0) in row, field
    vouchers = books.client.get("/v1/admin/vouchers", params={"uscc": uscc}).json()["items"]
    assert keys_in(html, "enterprise-vouchers") == [v["code"] for v in vouchers]


def test_the_wrong_role_and_an_unknown_enterprise(
    books: Books, browser: Browser, people: People
) -> None:
    uscc = books.enterprises["city"]
    page = browser("finance.chen").get(f"{LIST}/{uscc}")
    api = books.client.get(
        f"/v1/admin/enterprises/{uscc}",
        headers=as_role(books.client, Role.ENTERPRISE, people.enterprise.enterprise_uscc),  # type: ignore[arg-type]
    )
    assert page.status_code == api.status_code == 403
    nobody = valid_uscc()  # a valid credit code no enterprise has
    assert browser(ADMIN).get(f"{LIST}/{nobody}").status_code == 404
    assert books.client.get(f"/v1/admin/enterprises/{nobody}").status_code == 404
