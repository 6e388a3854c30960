"""Issuance races across several API processes on one database: the database, not process
memory, keeps the pool and the cap. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from itertools import cycle
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from tests.factories import make_enterprise, make_key, make_pool, make_program
from voucher_service.books import verify_ledger
from voucher_service.config import get_settings
from voucher_service.db.session import create_db_engine
from voucher_service.db.tables.auth import Role
from voucher_service.programs.service import get_pool, get_program
from voucher_tools.localcluster import api_processes

pytestmark = pytest.mark.slow

PROCESSES, CLIENTS = 3, 32


def race(urls: list[str], key: str, bodies: list[dict]) -> Counter[str]:  # type: ignore[type-arg]
    """Post every body at once, spread over the processes; count the outcomes by code."""
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(timeout=60, headers=headers) as http, ThreadPoolExecutor(CLIENTS) as pool:

        def post(args: tuple[str, dict]) -> str:  # type: ignore[type-arg]
            url, body = args
            response = http.post(f"{url}/v1/admin/vouchers", json=body)
            return "issued" if response.status_code == 201 else response.json()["error"]["code"]

        return Counter(pool.map(post, zip(cycle(urls), bodies)))


def test_racing_issuers_never_overdraw_the_pool_or_the_cap(
    scratch_database: str, tmp_path: Path
) -> None:
    engine = create_db_engine(scratch_database)
    this_year = get_settings().today().year  # the API's year: Asia/Shanghai, not UTC
    with Session(engine) as session:
        # Pool of exactly 20 vouchers of 10.00; a lone enterprise whose cap allows 10 of them.
        small = make_program(
            session,
            code="RACE-POOL",
            valid_from=date(this_year - 1, 1, 1),
            valid_to=date(this_year + 1, 12, 31),
        )
        make_pool(session, small, year=this_year, total_fen=20 * 10_00)
        crowd = [make_enterprise(session).uscc for _ in range(60)]
        capped = make_program(
            session,
            code="RACE-CAP",
            cap_fen=10 * 10_00,
            valid_from=date(this_year - 1, 1, 1),
            valid_to=date(this_year + 1, 12, 31),
        )
        make_pool(session, capped, year=this_year, total_fen=1_000_000_00)
        lone = make_enterprise(session).uscc
        key = make_key(session, Role.BUREAU_ADMIN, holder="race admin", name="race")
        session.commit()

    with api_processes(scratch_database, PROCESSES, tmp_path) as urls:
        pool_race = race(
            urls,
            key,
            [
                {
                    "program_code": "RACE-POOL",
                    "year": this_year,
                    "uscc": u,
                    "face_value_yuan": "10.00",
                }
                for u in crowd
            ],
        )
        cap_race = race(
            urls,
            key,
            [
                {
                    "program_code": "RACE-CAP",
                    "year": this_year,
                    "uscc": lone,
                    "face_value_yuan": "10.00",
                }
            ]
            * 60,
        )

    assert pool_race == {"issued": 20, "pool_insufficient": 40}, pool_race
    assert cap_race == {"issued": 10, "cap_exceeded": 50}, cap_race
    with Session(engine) as session:
        assert get_pool(session, get_program(session, "RACE-POOL"), this_year).available_fen == 0
        assert verify_ledger(session) == []
    engine.dispose()
