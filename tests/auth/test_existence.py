"""No existence leaks (issue 11): what a caller may not see answers exactly as what does not
exist. A provider posting against a voucher redeemed only with another provider, or with a
credit code that does not hold it, learns nothing that a made-up code would not tell it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import Scene, make_enterprise, post_provider
from voucher_service.db.tables.auth import Role
from voucher_service.domain.codes import new_voucher_code

VOLATILE = {"record_id", "created_at", "voucher_code", "attributes"}  # as sent


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def seen(response: Any) -> tuple[int, Any]:
    body = response.json()
    if isinstance(body, dict) and "error" not in body:
        body = {k: v for k, v in body.items() if k not in VOLATILE}
    elif isinstance(body, dict):
        body = body["error"]["code"]
    return response.status_code, body


def test_a_provider_cannot_tell_anothers_voucher_from_none(scene: Scene) -> None:
    c = scene.client
    rival = post_provider(c)
    key = bearer(c.key(Role.PROVIDER, rival))  # type: ignore[attr-defined]
    path = f"/v1/provider/{rival}/usage-records"
    stranger = make_enterprise_uscc(c)
    cases = {
        "none": scene.record("n-1", voucher_code=new_voucher_code()),
        "theirs": scene.record("n-2"),
        "theirs, wrong holder": scene.record("n-3", uscc=stranger),
        "none, wrong holder": scene.record("n-4", voucher_code=new_voucher_code(), uscc=stranger),
    }
    answers = {name: seen(c.post(path, json=body, headers=key)) for name, body in cases.items()}
    assert answers["none"] == answers["theirs"], answers
    assert answers["none, wrong holder"] == answers["theirs, wrong holder"], answers
    assert answers["none"][1]["reason"] == "unknown_voucher"
    # In a batch too, record by record.
    batch = c.post(
        f"{path}/batch",
        json={
            "records": [scene.record("b-1", voucher_code=new_voucher_code()), scene.record("b-2")]
        },
        headers=key,
    ).json()["results"]
    assert [{k: v for k, v in r.items() if k not in {"index", "record_id"}} for r in batch] == [
        {k: v for k, v in batch[0].items() if k not in {"index", "record_id"}}
    ] * 2
    # The voucher's holder sees none of the stranger's attempts as its records.
    mine = c.get(f"/v1/enterprise/{scene.enterprise}/usage-records").json()["items"]
    assert not {r["record_id"] for r in mine} & {"n-2", "n-3", "b-2"}
    # Nor can it name the other provider's redemption by id.
    redemption = c.get(f"/v1/enterprise/{scene.enterprise}/redemptions").json()["items"][0]["id"]
    by_id = [
        seen(
            c.post(
                path, json=scene.record(f"r-{i}", voucher_code=None, redemption_id=rid), headers=key
            )
        )
        for i, rid in enumerate([redemption, 999_999])
    ]
    assert by_id[0] == by_id[1] and by_id[0][1]["reason"] == "unknown_redemption"


def make_enterprise_uscc(client: TestClient) -> str:
    session: Session = client.session  # type: ignore[attr-defined]
    code = make_enterprise(session).uscc
    session.commit()
    return code


def test_an_enterprise_cannot_tell_anothers_applications_or_redemptions_from_none(
    scene: Scene,
) -> None:
    c = scene.client
    other = make_enterprise_uscc(c)
    key = bearer(c.key(Role.ENTERPRISE, other))  # type: ignore[attr-defined]
    redemption = c.get(f"/v1/enterprise/{scene.enterprise}/redemptions").json()["items"][0]["id"]
    theirs = c.post(f"/v1/enterprise/{other}/redemptions/{redemption}/end", headers=key)
    none = c.post(f"/v1/enterprise/{other}/redemptions/999999/end", headers=key)
    assert seen(theirs) == seen(none) and theirs.status_code == 404
    # The path of another enterprise: 404, as an enterprise that does not exist.
    assert seen(c.get(f"/v1/enterprise/{scene.enterprise}/vouchers", headers=key)) == seen(
        c.get(f"/v1/enterprise/{make_enterprise_uscc(c)}/vouchers", headers=key)
    )
