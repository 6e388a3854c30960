"""Disputes: a provider disputes a refused or priced record with a reason; the bureau's
reviewer accepts it (naming the correction made through the ordinary repost or refund path)
or declines it with a reason. One open dispute per record; another provider's is not found;
every step is an audit entry; no money moves."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.factories import Scene, auditor, bureau_person, last_entry, post_provider, uscc
from voucher_service.books import verify_ledger
from voucher_service.db.tables.auth import Duty


def dispute(scene: Scene, record_id: str, reason: str = "the credit code was corrected"):  # type: ignore[no-untyped-def]
    return scene.client.post(
        f"/v1/provider/{scene.provider}/usage-records/{record_id}/disputes",
        json={"reason": reason},
    )


def test_a_refused_record_disputed_accepted_and_reposted(scene: Scene, session: Session) -> None:
    assert scene.post("job-1", uscc=uscc()).json()["outcome"] == "refused"
    before = scene.voucher_state()
    raised = dispute(scene, "job-1")
    assert raised.status_code == 201, raised.text
    body = raised.json()
    assert (body["status"], body["record_outcome"], body["record_reason"]) == (
        "open",
        "refused",
        "uscc_mismatch",
    )
    assert last_entry(session, "dispute.raise").target_id == str(body["id"])

    # one open dispute per record
    again = dispute(scene, "job-1", "once more")
    assert again.status_code == 409 and again.json()["error"]["code"] == "dispute_open"

    # the bureau's queue
    queue = scene.client.get("/v1/admin/disputes", params={"status": "open"}).json()["items"]
    assert [(d["id"], d["record_id"], d["provider_uscc"]) for d in queue] == [
        (body["id"], "job-1", scene.provider)
    ]
    # an auditor reads, but only a reviewer decides
    assert scene.client.get("/v1/admin/disputes", headers=auditor(scene.client)).status_code == 200
    refused = scene.client.post(
        f"/v1/admin/disputes/{body['id']}/accept",
        json={"correction": "repost", "resolution": "repost it"},
        headers=auditor(scene.client),
    )
    assert refused.status_code == 403

    # the provider reposts under a new id (the ordinary path), the reviewer names it
    assert scene.post("job-1-repost").json()["outcome"] == "subsidised"
    reviewer = bureau_person(scene.client, Duty.REVIEW)
    accepted = scene.client.post(
        f"/v1/admin/disputes/{body['id']}/accept",
        json={
            "correction": "repost",
            "resolution": "the holder is right: reposted",
            "correction_record_id": "job-1-repost",
        },
        headers=reviewer,
    )
    assert accepted.status_code == 200, accepted.text
    decided = accepted.json()
    assert (decided["status"], decided["correction"], decided["correction_record_id"]) == (
        "accepted",
        "repost",
        "job-1-repost",
    )
    assert decided["decided_by"] == "bureau:test review"
    entry = last_entry(session, "dispute.accept")
    assert entry.target_id == str(body["id"]) and "job-1-repost" in (entry.after or "")

    # the provider sees the decision; the dispute itself moved no money
    mine = scene.client.get(f"/v1/provider/{scene.provider}/disputes").json()["items"]
    assert [(d["status"], d["resolution"]) for d in mine] == [
        ("accepted", "the holder is right: reposted")
    ]
    after = scene.voucher_state()
    assert int(before["balance_yuan"].replace(".", "")) - 5000 == int(
        after["balance_yuan"].replace(".", "")
    )  # only the repost's 50.00
    assert verify_ledger(session) == []

    # decided once; a new dispute may be raised after it
    twice = scene.client.post(
        f"/v1/admin/disputes/{body['id']}/decline", json={"reason": "no"}, headers=reviewer
    )
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "invalid_state"
    assert dispute(scene, "job-1", "a second look").status_code == 201


def test_a_priced_record_refunded_or_declined(scene: Scene, session: Session) -> None:
    assert scene.post("job-2").json()["subsidy_yuan"] == "50.00"
    first = dispute(scene, "job-2", "priced on 8 card-hours; 4 were used").json()
    reviewer = bureau_person(scene.client, Duty.REVIEW)
    # a refund that is not of the disputed record is refused, nothing written
    assert scene.post("job-3").status_code == 201
    wrong = scene.client.post(
        f"/v1/admin/disputes/{first['id']}/accept",
        json={"correction": "refund", "resolution": "refund", "correction_record_id": "job-3"},
        headers=reviewer,
    )
    assert wrong.status_code == 422, wrong.text
    refund = scene.client.post(
        f"/v1/provider/{scene.provider}/adjustments",
        json={"record_id": "refund-2", "adjusts_record_id": "job-2", "refund_yuan": "50.00"},
    )
    assert refund.status_code == 201, refund.text
    accepted = scene.client.post(
        f"/v1/admin/disputes/{first['id']}/accept",
        json={
            "correction": "refund",
            "resolution": "half refunded",
            "correction_record_id": "refund-2",
        },
        headers=reviewer,
    )
    assert accepted.status_code == 200 and accepted.json()["correction"] == "refund"

    # refunds are not disputable themselves
    refusal = dispute(scene, "refund-2")
    assert refusal.status_code == 409 and refusal.json()["error"]["code"] == "not_disputable"

    second = dispute(scene, "job-3", "we think this was priced twice").json()
    no_reason = scene.client.post(
        f"/v1/admin/disputes/{second['id']}/decline", json={"reason": "  "}, headers=reviewer
    )
    assert no_reason.status_code == 422
    declined = scene.client.post(
        f"/v1/admin/disputes/{second['id']}/decline",
        json={"reason": "one job, one record: job-3 is not a copy"},
        headers=reviewer,
    )
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert last_entry(session, "dispute.decline").target_id == str(second["id"])
    one = scene.client.get(f"/v1/provider/{scene.provider}/disputes/{second['id']}").json()
    assert one["resolution"] == "one job, one record: job-3 is not a copy"
    assert verify_ledger(session) == []


def test_another_providers_records_and_disputes_are_not_found(scene: Scene) -> None:
    assert scene.post("job-4").status_code == 201
    mine = dispute(scene, "job-4").json()
    other = post_provider(scene.client)
    missing = scene.client.post(
        f"/v1/provider/{other}/usage-records/job-4/disputes", json={"reason": "not mine"}
    )
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "record_not_found"
    theirs = scene.client.get(f"/v1/provider/{other}/disputes/{mine['id']}")
    assert theirs.status_code == 404 and theirs.json()["error"]["code"] == "dispute_not_found"
    assert scene.client.get(f"/v1/provider/{other}/disputes").json()["items"] == []
    # with the first provider's key, the other's path is not found either
    own_key = scene.client.auth_for(f"/v1/provider/{scene.provider}/")
    crossed = scene.client.get(f"/v1/provider/{other}/disputes", headers=own_key)
    assert crossed.status_code == 404
    assert scene.client.get("/v1/admin/disputes/999999").status_code == 404
    empty = dispute(scene, "job-4", "")
    assert empty.status_code == 422
