"""Every change is traceable to who made it; the chain shows any tampering."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tests.factories import Scene, auditor
from voucher_service.audit.service import seal, verify_chain
from voucher_service.books import verify_ledger
from voucher_service.db.tables.auth import Role


def entries(scene: Scene, **params: str) -> list[dict]:  # type: ignore[type-arg]
    return scene.client.get(  # type: ignore[no-any-return]
        "/v1/admin/audit", params={"limit": 500, **params}, headers=auditor(scene.client)
    ).json()["items"]


def test_each_action_writes_an_entry_naming_who(scene: Scene) -> None:
    scene.post("a-1")
    scene.client.post(f"/v1/admin/providers/{scene.provider}/suspend", json={"reason": "audit"})
    actions = [e["action"] for e in entries(scene)]
    for action in (
        "program.create",
        "pool.create",
        "enterprise.register",
        "provider.register",
        "key.create",
        "voucher.issue",
        "redemption.create",
        "usage.post",
        "provider.suspend",
    ):
        assert action in actions, action
    usage = entries(scene, action="usage.post")[0]
    assert usage["actor"] == f"provider:{scene.provider}" and usage["key_id"] is not None
    assert usage["after"]["records"] == ["a-1"] and usage["after"]["subsidy_fen"] == 50_00
    suspend = entries(scene, action="provider.suspend")[0]
    assert suspend["actor"] == "bureau_admin:test admin"
    assert (suspend["before"], suspend["after"]) == (
        {"status": "active"},
        {"status": "suspended", "reason": "audit"},
    )
    issue = entries(scene, target_type="voucher", target_id=scene.voucher)
    assert [e["action"] for e in issue] == ["voucher.issue"]
    # Entries carry the real time of the change (not the tests' fixed clock).
    assert entries(scene, to="2000-01-01") == []
    assert len(entries(scene, **{"from": "2000-01-01"})) == len(entries(scene))


def test_auditors_read_reviewers_do_not(scene: Scene) -> None:
    reviewer = {"Authorization": f"Bearer {scene.client.key(Role.BUREAU_REVIEWER, 'reviewer')}"}  # type: ignore[attr-defined]
    assert scene.client.get("/v1/admin/audit", headers=auditor(scene.client)).status_code == 200
    assert scene.client.get("/v1/admin/audit", headers=reviewer).status_code == 403
    # Program administration, review and finance (the old bureau_admin) read no audit log.
    assert scene.client.get("/v1/admin/audit").status_code == 403


def test_sealing_chains_entries_and_verify_walks_them(scene: Scene, session: Session) -> None:
    auditor(scene.client)  # the reader's key (and its entry) before the seal
    scene.post("s-1")
    sealed = seal(session)
    assert sealed >= 8
    assert seal(session) == 0  # idempotent
    scene.post("s-2")
    assert seal(session) >= 1
    assert verify_chain(session) == [] and verify_ledger(session) == []
    chained = entries(scene)
    assert [e["seq"] for e in chained] == list(
        range(chained[0]["seq"], chained[0]["seq"] + len(chained))
    )


def test_sealed_entries_cannot_be_changed_or_deleted(scene: Scene, session: Session) -> None:
    seal(session)
    for statement in ("UPDATE audit_entry SET actor = 'someone else'", "DELETE FROM audit_entry"):
        with pytest.raises(DBAPIError, match="sealed audit entries"), session.begin_nested():
            session.execute(text(statement))


def test_tampering_is_found_and_named(scene: Scene, session: Session) -> None:
    scene.post("t-1")
    seal(session)
    target = session.execute(
        text("SELECT id, seq FROM audit_entry WHERE action = 'voucher.issue'")
    ).one()
    # Someone with database rights switches the protection off and rewrites history.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_protect"))
    else:
        session.execute(text("DROP TRIGGER audit_entry_no_update"))
    session.execute(
        text("UPDATE audit_entry SET after = replace(after, '100000', '999999') WHERE id = :id"),
        {"id": target.id},
    )
    problems = verify_ledger(session)
    assert problems == [
        f"audit entry id {target.id} (seq {target.seq}, voucher.issue on voucher {scene.voucher}): "
        "its content does not match its hash (altered)"
    ]
