"""Every refusal has its own code, is stored, and answers a retry the same way."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from tests.factories import Scene, post_provider, uscc
from voucher_service.books import verify_ledger
from voucher_service.config import Settings
from voucher_service.deps import settings


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"voucher_code": "2222-2222-2222-222Z"}, None),  # fixed below: a well-formed unknown code
        ({"uscc": None}, "uscc_mismatch"),
        ({"fee_yuan": "100.01"}, "fee_mismatch"),
        ({"service_end": "2026-06-15T08:00:00+08:00"}, "invalid_period"),
        (
            {
                "service_start": "2026-06-15T11:00:00+08:00",
                "service_end": "2026-06-15T12:30:00+08:00",
            },
            "service_in_future",
        ),
        (
            {
                "service_start": "2026-05-20T08:00:00+08:00",
                "service_end": "2026-05-20T09:00:00+08:00",
            },
            "outside_window",
        ),
    ],
)
def test_refusals_are_stored_with_their_code(
    scene: Scene, session: Session, changes: dict, reason: str | None
) -> None:  # type: ignore[type-arg]
    if "voucher_code" in changes:
        from voucher_service.domain.codes import format_code, luhn_check_character

        body = "2222222222222A2"
        changes, reason = (
            {"voucher_code": format_code(body + luhn_check_character(body))},
            "unknown_voucher",
        )
    if changes.get("uscc", "") is None:
        changes["uscc"] = uscc()
    first = scene.post("r-1", **changes)
    assert first.status_code == 201, first.text
    assert (first.json()["outcome"], first.json()["reason"], first.json()["subsidy_yuan"]) == (
        "refused",
        reason,
        "0.00",
    )
    again = scene.post("r-1", **changes)
    assert again.status_code == 200 and again.json() == first.json()
    assert scene.voucher_state()["balance_yuan"] == "1000.00"
    assert verify_ledger(session) == []


def test_not_redeemed_with_this_provider(scene: Scene) -> None:
    other = post_provider(scene.client)
    response = scene.client.post(f"/v1/provider/{other}/usage-records", json=scene.record("x-1"))
    assert response.json()["reason"] == "unknown_voucher"


def test_revoked_voucher_and_ended_redemption(scene: Scene) -> None:
    ended = scene.client.get(f"/v1/enterprise/{scene.enterprise}/redemptions").json()["items"][0]
    assert (
        scene.client.post(
            f"/v1/enterprise/{scene.enterprise}/redemptions/{ended['id']}/end"
        ).json()["status"]
        == "ended"
    )
    assert scene.post("e-1").json()["reason"] == "unknown_voucher"
    again = scene.client.post(
        f"/v1/enterprise/{scene.enterprise}/redemptions",
        json={"voucher_code": scene.voucher, "provider_uscc": scene.provider},
    )
    assert again.status_code == 201 and again.json()["status"] == "active"
    scene.client.post(f"/v1/admin/vouchers/{scene.voucher}/revoke", json={"reason": "test"})
    assert scene.post("e-2").json()["reason"] == "voucher_not_active"


def issue_redeemed(
    scene: Scene, session: Session, *, valid_from: date, valid_to: date, today: date
) -> str:
    """Another voucher for the scene's enterprise, issued on ``today``, redeemed."""
    from voucher_service.enterprises.service import get_enterprise
    from voucher_service.programs.service import get_program
    from voucher_service.vouchers.service import issue_voucher

    voucher = issue_voucher(
        session,
        program=get_program(session, scene.program),
        year=2026,
        enterprise=get_enterprise(session, scene.enterprise),
        face_value_fen=10_00,
        today=today,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    session.commit()
    response = scene.client.post(
        f"/v1/enterprise/{scene.enterprise}/redemptions",
        json={"voucher_code": voucher.code, "provider_uscc": scene.provider},
    )
    assert response.status_code == 201, response.text
    return voucher.code


def test_service_date_outside_the_vouchers_validity(scene: Scene, session: Session) -> None:
    code = issue_redeemed(
        scene,
        session,
        valid_from=date(2026, 6, 10),
        valid_to=date(2026, 12, 31),
        today=date(2026, 6, 10),
    )
    body = scene.record(
        "v-1",
        voucher_code=code,
        service_start="2026-06-05T08:00:00+08:00",
        service_end="2026-06-05T09:00:00+08:00",
    )
    response = scene.client.post(f"/v1/provider/{scene.provider}/usage-records", json=body)
    assert (response.json()["outcome"], response.json()["reason"]) == (
        "refused",
        "voucher_not_valid_on_date",
    )


def test_reported_too_late(scene: Scene, session: Session) -> None:
    """Usage may be reported until the grace period after the voucher's last valid day."""
    code = issue_redeemed(
        scene,
        session,
        valid_from=date(2026, 6, 1),
        valid_to=date(2026, 6, 10),
        today=date(2026, 6, 1),
    )
    body = scene.record(
        "late-1",
        voucher_code=code,
        service_start="2026-06-10T08:00:00+08:00",
        service_end="2026-06-10T09:00:00+08:00",
    )
    app = scene.client.app
    app.dependency_overrides[settings] = lambda: Settings(grace_days=4)  # type: ignore[attr-defined]
    late = scene.client.post(f"/v1/provider/{scene.provider}/usage-records", json=body)
    assert (late.json()["outcome"], late.json()["reason"]) == ("refused", "reported_too_late")
    app.dependency_overrides[settings] = lambda: Settings(grace_days=5)  # type: ignore[attr-defined]
    on_time = scene.client.post(
        f"/v1/provider/{scene.provider}/usage-records", json={**body, "record_id": "late-2"}
    )
    assert (on_time.json()["outcome"], on_time.json()["subsidy_yuan"]) == ("partial", "10.00")


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"service_start": "2026-06-15T08:00:00"}, "timezone"),
        ({"quantity": "-1"}, "quantity"),
        ({"quantity": "1e3"}, "quantity"),
        ({"fee_yuan": 100}, "decimal string"),
        ({"fee_yuan": "-1.00"}, "negative"),
        ({"resource_kind": "gpu"}, "resource_kind"),
        ({"record_id": ""}, "record_id"),
        ({"voucher_code": "0000-0000-0000-0000"}, "0, O, 1 or I"),
        ({"attributes": {"blob": "x" * 5000}}, "4,000 bytes"),
    ],
)
def test_malformed_records_are_422_and_write_nothing(
    scene: Scene, changes: dict, fragment: str
) -> None:  # type: ignore[type-arg]
    response = scene.client.post(
        f"/v1/provider/{scene.provider}/usage-records", json={**scene.record("bad-1"), **changes}
    )
    assert response.status_code == 422, response.text
    assert fragment in response.json()["error"]["message"]
    assert scene.client.get(f"/v1/provider/{scene.provider}/usage-records").json()["items"] == []


def test_suspended_provider_is_refused_until_reinstated(scene: Scene) -> None:
    suspended = scene.client.post(
        f"/v1/admin/providers/{scene.provider}/suspend", json={"reason": "audit"}
    )
    assert suspended.json()["status"] == "suspended"
    refused = scene.post("s-1")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "provider_suspended")
    assert "audit" in refused.json()["error"]["message"]
    reinstated = scene.client.post(
        f"/v1/admin/providers/{scene.provider}/reinstate", json={"reason": "audit passed"}
    )
    assert [h["status"] for h in reinstated.json()["status_history"]] == ["suspended", "active"]
    assert scene.post("s-1").status_code == 201


def test_unknown_provider_is_404(scene: Scene) -> None:
    """A provider's key on another (here: no) provider's path: not found, not forbidden."""
    mine = scene.client.auth_for(f"/v1/provider/{scene.provider}/")  # type: ignore[attr-defined]
    response = scene.client.post(
        f"/v1/provider/{uscc()}/usage-records", json=scene.record("u-1"), headers=mine
    )
    assert (response.status_code, response.json()["error"]["code"]) == (404, "provider_not_found")


def test_a_record_may_name_its_redemption_instead_of_the_voucher(scene: Scene) -> None:
    redemption = scene.client.get(f"/v1/provider/{scene.provider}/redemptions").json()["items"][0]
    body = {k: v for k, v in scene.record("rd-1").items() if k != "voucher_code"}
    by_id = scene.client.post(
        f"/v1/provider/{scene.provider}/usage-records",
        json={**body, "redemption_id": redemption["id"]},
    )
    assert by_id.status_code == 201, by_id.text
    assert (by_id.json()["voucher_code"], by_id.json()["subsidy_yuan"]) == (scene.voucher, "50.00")
    # Another provider cannot use that redemption id: to it, it does not exist.
    other = post_provider(scene.client)
    stranger = scene.client.post(
        f"/v1/provider/{other}/usage-records",
        json={**body, "record_id": "rd-2", "redemption_id": redemption["id"]},
    )
    assert (stranger.json()["outcome"], stranger.json()["reason"]) == (
        "refused",
        "unknown_redemption",
    )
    both = scene.client.post(
        f"/v1/provider/{scene.provider}/usage-records",
        json={**scene.record("rd-3"), "redemption_id": redemption["id"]},
    )
    assert both.status_code == 422 and "exactly one" in both.json()["error"]["message"]
