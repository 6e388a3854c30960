"""Approvals racing for a nearly empty pool across several API processes: the pool holds."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from itertools import cycle
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from tests.factories import make_application, make_key, make_pool, make_program
from voucher_service.books import verify_ledger
from voucher_service.config import get_settings
from voucher_service.db.session import create_db_engine
from voucher_service.db.tables.applications import SizeClass
from voucher_service.db.tables.auth import Role
from voucher_service.programs.service import get_pool, get_program
from voucher_tools.localcluster import api_processes

pytestmark = pytest.mark.slow

ROOM = 10  # applications of 100.00 the pool can still fund


def test_racing_approvals(scratch_database: str, tmp_path: Path) -> None:
    engine = create_db_engine(scratch_database)
    today = get_settings().today()
    with Session(engine) as session:
        program = make_program(
            session,
            code="RACE-APPS",
            valid_from=date(today.year - 1, 1, 1),
            valid_to=date(today.year + 1, 12, 31),
        )
        make_pool(session, program, year=today.year, total_fen=ROOM * 100_00)
        ids = []
        for _ in range(ROOM * 3):
            application = make_application(
                session,
                program=program,
                year=today.year,
                requested_fen=100_00,
                size_class=SizeClass.MICRO,
                headcount=5,
                revenue_fen=1_000_00,
                today=today,
            )
            assert application.status == "submitted"
            ids.append(application.id)
        key = make_key(session, Role.BUREAU_ADMIN, holder="race reviewer", name="race")
        session.commit()

    with (
        api_processes(scratch_database, 3, tmp_path) as urls,
        httpx.Client(timeout=60, headers={"Authorization": f"Bearer {key}"}) as http,
        ThreadPoolExecutor(32) as pool,
    ):

        def approve(args: tuple[str, int]) -> str:
            url, application_id = args
            response = http.post(f"{url}/v1/admin/applications/{application_id}/approve", json={})
            return "approved" if response.status_code == 200 else response.json()["error"]["code"]

        outcomes = Counter(pool.map(approve, zip(cycle(urls), ids)))

    assert outcomes == {"approved": ROOM, "pool_insufficient": 2 * ROOM}, outcomes
    with Session(engine) as session:
        assert get_pool(session, get_program(session, "RACE-APPS"), today.year).available_fen == 0
        assert verify_ledger(session) == []
    engine.dispose()
