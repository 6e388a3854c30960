"""Redemptions: an enterprise binds its voucher to a provider, ends it, binds it again; what
may not be redeemed is refused with its own code."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import make_provider, make_redemption, make_voucher
from tests.test_api_contract import assert_error
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.providers import Provider
from voucher_service.db.tables.redemptions import RedemptionStatus
from voucher_service.vouchers.service import revoke_voucher


def test_redeem_end_and_redeem_again(client: TestClient, session: Session) -> None:
    voucher, provider = make_voucher(session), make_provider(session)
    holder = session.get(Enterprise, voucher.enterprise_id)
    assert holder is not None
    session.commit()
    path = f"/v1/enterprise/{holder.uscc}/redemptions"
    body = {"voucher_code": voucher.code, "provider_uscc": provider.uscc}
    created = client.post(path, json=body)
    assert created.status_code == 201, created.text
    redemption = created.json()
    assert (redemption["voucher_code"], redemption["provider_uscc"], redemption["status"]) == (
        voucher.code,
        provider.uscc,
        "active",
    )
    assert_error(client.post(path, json=body), 409, "already_exists")
    theirs = client.get(f"/v1/provider/{provider.uscc}/redemptions").json()["items"]
    assert [r["id"] for r in theirs] == [redemption["id"]]

    ended = client.post(f"{path}/{redemption['id']}/end").json()
    assert (ended["status"], ended["ended_at"] is not None) == ("ended", True)
    assert_error(client.post(f"{path}/{redemption['id']}/end"), 409, "invalid_state")
    again = client.post(path, json=body).json()
    assert (again["id"], again["status"], again["ended_at"]) == (redemption["id"], "active", None)
    assert [r["status"] for r in client.get(path).json()["items"]] == ["active"]
    assert_error(client.post(f"{path}/999999/end"), 404, "redemption_not_found")


def test_what_may_not_be_redeemed(client: TestClient, session: Session) -> None:
    revoked, provider = make_voucher(session), make_provider(session)
    revoke_voucher(session, revoked, reason="duplicate")
    suspended = make_provider(session)
    session.commit()
    client.post(f"/v1/admin/providers/{suspended.uscc}/suspend", json={"reason": "audit"})
    holder = session.get(Enterprise, revoked.enterprise_id)
    assert holder is not None
    path = f"/v1/enterprise/{holder.uscc}/redemptions"
    refused = client.post(path, json={"voucher_code": revoked.code, "provider_uscc": provider.uscc})
    assert "revoked" in assert_error(refused, 409, "invalid_state")

    active = make_voucher(session, enterprise=holder)
    session.commit()
    to_suspended = {"voucher_code": active.code, "provider_uscc": suspended.uscc}
    assert_error(client.post(path, json=to_suspended), 409, "provider_suspended")


def test_a_provider_lists_only_the_vouchers_redeemed_with_it(
    client: TestClient, session: Session
) -> None:
    mine, other = make_redemption(session), make_redemption(session)
    provider = session.get(Provider, mine.provider_id)
    assert provider is not None and other.provider_id != provider.id
    session.commit()
    listed = client.get(f"/v1/provider/{provider.uscc}/redemptions").json()["items"]
    assert [(r["id"], r["status"]) for r in listed] == [(mine.id, RedemptionStatus.ACTIVE)]
