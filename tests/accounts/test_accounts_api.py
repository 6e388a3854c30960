"""The bureau admin's JSON API for accounts: the access rules of the rest of /v1/admin."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.factories import NOW, KeyedClient, People, sysadmin
from voucher_service.accounts import signin
from voucher_service.db.tables.auth import Role


def test_create_list_reset_disable(client: KeyedClient, session: Session, people: People) -> None:
    body = {
        "login": "Clerk.Liu",
        "display_name": "刘文员",
        "role": "enterprise",
        "uscc": people.enterprise.enterprise_uscc.lower(),  # type: ignore[union-attr]
    }
    it = sysadmin(client)
    created = client.post("/v1/admin/accounts", json=body, headers=it)
    assert created.status_code == 201, created.text
    account = created.json()
    assert (account["login"], account["role"], account["must_change_password"]) == (
        "clerk.liu",
        "enterprise",
        True,
    )
    assert account["uscc"] == people.enterprise.enterprise_uscc
    assert "password_hash" not in account
    # the temporary password is shown once and signs in
    person = signin.check_password(
        session, login="clerk.liu", password=account["temporary_password"], client="x", now=NOW
    )
    assert person.principal.id == people.enterprise.principal.id

    assert (
        client.post("/v1/admin/accounts", json=body, headers=it).json()["error"]["code"]
        == "account_exists"
    )

    listed = client.get(
        "/v1/admin/accounts", params={"role": "enterprise", "limit": 2}, headers=it
    ).json()
    assert [a["login"] for a in listed["items"]] == ["finance.chen", "finance.zhou"]
    rest = client.get(
        "/v1/admin/accounts",
        params={"role": "enterprise", "cursor": listed["next_cursor"]},
        headers=it,
    ).json()
    assert [a["login"] for a in rest["items"]] == ["clerk.liu"] and rest["next_cursor"] is None

    reset = client.post(f"/v1/admin/accounts/{account['id']}/reset-password", headers=it).json()
    assert reset["temporary_password"] != account["temporary_password"]
    disabled = client.post(f"/v1/admin/accounts/{account['id']}/disable", headers=it).json()
    assert disabled["disabled_at"] is not None
    again = client.post(f"/v1/admin/accounts/{account['id']}/disable", headers=it)
    assert again.status_code == 409
    assert client.post("/v1/admin/accounts/999999/disable", headers=it).status_code == 404


def test_only_the_admin_manages_and_auditors_read(client: KeyedClient, people: People) -> None:
    body = {"login": "someone", "display_name": "x", "role": "auditor"}
    for role, create, read in [
        (Role.BUREAU_ADMIN, 403, 403),  # no system administration since duties were split
        (Role.BUREAU_REVIEWER, 403, 403),
        (Role.AUDITOR, 403, 200),
        (Role.ENTERPRISE, 403, 403),
    ]:
        subject = people.of(role).enterprise_uscc or "x"
        auth = {"Authorization": f"Bearer {client.key(role, subject)}"}
        assert client.post("/v1/admin/accounts", json=body, headers=auth).status_code == create
        assert client.get("/v1/admin/accounts", headers=auth).status_code == read
