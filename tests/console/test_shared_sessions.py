"""Two API processes on one database: a session started through one is ended through the
other. Nothing about sessions lives in a process: two apps with their own engines (their own
connection pools) on a committed database stand for two processes here."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.factories import PASSWORD, csrf_of, sign_in
from voucher_service.accounts.service import create_account
from voucher_service.api import create_app
from voucher_service.auth.service import create_key, principal_for
from voucher_service.db.session import create_db_engine, transaction
from voucher_service.db.tables.auth import Duty, Role
from voucher_service.db.types import utcnow


def app_on(engine: Engine) -> FastAPI:
    app = create_app()
    app.state.sessions = app.state.auth_sessions = lambda: transaction(engine)
    return app


def test_sign_out_and_reset_through_one_process_end_the_session_in_another(
    scratch_database: str,
) -> None:
    engines = [create_db_engine(scratch_database) for _ in range(2)]
    try:
        with transaction(engines[0]) as session:
            person = create_account(
                session,
                login="clerk.wu",
                display_name="吴",
                role=Role.BUREAU_REVIEWER,
                password=PASSWORD,
                now=utcnow(),
            )
            admin = principal_for(session, Role.BUREAU, name="ops", duties=frozenset({Duty.SYSTEM}))
            admin_key = create_key(session, admin, name="test", now=utcnow()).key
            account_id = person.account.id
        one, two = (TestClient(app_on(e)) for e in engines)

        assert sign_in(one, "clerk.wu").status_code == 303
        # the same browser, its next request balanced to process two (one keeps the cookie)
        two.cookies.set("vs_session", one.cookies["vs_session"], path="/console")
        assert two.get("/console/bureau").status_code == 200
        token = csrf_of(two.get("/console/bureau").text)
        assert two.post("/console/sign-out", data={"csrf_token": token}).status_code == 200
        assert "vs_session" in one.cookies  # the old cookie, still sent by this browser
        assert one.get("/console/bureau", follow_redirects=False).status_code == 303

        assert sign_in(one, "clerk.wu").status_code == 303
        assert one.get("/console/bureau").status_code == 200
        reset = two.post(
            f"/v1/admin/accounts/{account_id}/reset-password",
            headers={"Authorization": f"Bearer {admin_key}"},
        )
        assert reset.status_code == 200
        assert one.get("/console/bureau", follow_redirects=False).status_code == 303
    finally:
        for engine in engines:
            engine.dispose()
