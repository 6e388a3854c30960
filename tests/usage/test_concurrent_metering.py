"""Metering under load from several API processes on one database (CI runs it on SQLite
and PostgreSQL): the voucher, the cap and exactly-once hold, and verify passes after."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from itertools import cycle
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import (
    make_enterprise,
    make_pool,
    make_program,
    make_rule_version,
    usage_body,
    uscc,
)
from voucher_service.auth.service import create_key, principal_for
from voucher_service.books import verify_ledger
from voucher_service.config import get_settings
from voucher_service.db.session import create_db_engine
from voucher_service.db.tables.auth import Role
from voucher_service.db.tables.usage import UsageRecord
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.db.types import utcnow
from voucher_service.domain.rules import CapScope
from voucher_service.programs.service import RuleNumbers
from voucher_service.providers.service import register_provider
from voucher_service.redemptions.service import redeem
from voucher_service.vouchers.service import issue_voucher
from voucher_tools.localcluster import api_processes

pytestmark = pytest.mark.slow

PROCESSES, CLIENTS = 3, 32
K = 40  # full subsidies of 50.00 the voucher in (a) can pay
KEYS: dict[str, str] = {}  # provider credit code -> its API key


def record(record_id: str, voucher: str, holder: str, fee: str = "100.00") -> dict[str, Any]:
    end = datetime.now(get_settings().tz) - timedelta(minutes=5)
    return usage_body(record_id, voucher, holder, fee, start=end - timedelta(minutes=50), end=end)


def storm(
    urls: list[str], provider: str, bodies: list[dict[str, Any]]
) -> list[tuple[dict[str, Any], int, dict[str, Any]]]:
    """Post every body concurrently across the processes; return (body, status, reply)."""
    headers = {"Authorization": f"Bearer {KEYS[provider]}"}
    with httpx.Client(timeout=120, headers=headers) as http, ThreadPoolExecutor(CLIENTS) as pool:

        def post(args: tuple[str, dict[str, Any]]) -> tuple[dict[str, Any], int, dict[str, Any]]:
            url, body = args
            response = http.post(f"{url}/v1/provider/{provider}/usage-records", json=body)
            return body, response.status_code, response.json()

        return list(pool.map(post, zip(cycle(urls), bodies)))


@pytest.fixture
def metering_world(scratch_database: str) -> dict[str, Any]:
    """Program, pool, provider, and the vouchers of the three scenarios, committed."""
    engine = create_db_engine(scratch_database)
    today = get_settings().today()
    start = today - timedelta(days=10)
    with Session(engine) as session:
        validity = {
            "valid_from": start.replace(month=1, day=1),
            "valid_to": today.replace(year=today.year + 1),
        }
        load = make_program(session, code="LOAD", **validity)
        capped_program = make_program(session, code="CAPPED", cap_fen=1_000_00, **validity)
        for program in (load, capped_program):
            make_pool(session, program, year=start.year, total_fen=100_000_00)
        provider = register_provider(
            session, uscc=uscc(division="420100"), name="load provider", offerings=[]
        )

        def voucher_for(program, enterprise, face_fen: int) -> str:  # type: ignore[no-untyped-def]
            v = issue_voucher(
                session,
                program=program,
                year=start.year,
                enterprise=enterprise,
                face_value_fen=face_fen,
                today=start,
                valid_from=start,
            )
            redeem(session, enterprise=enterprise, voucher_code=v.code, provider=provider)
            return v.code

        exact, capped, stormy = (make_enterprise(session) for _ in range(3))
        metering_world = {
            "exact": (voucher_for(load, exact, K * 50_00 + 25_00), exact.uscc),
            "capped": (
                [
                    voucher_for(capped_program, capped, 600_00),
                    voucher_for(capped_program, capped, 400_00),
                ],
                capped.uscc,
            ),
            "storm": (voucher_for(load, stormy, 1_000_00), stormy.uscc),
            "provider": provider.uscc,
        }
        principal = principal_for(session, Role.PROVIDER, provider=provider)
        KEYS[provider.uscc] = create_key(session, principal, name="load", now=utcnow()).key
        # The yearly review lowers CAPPED's cap to 500.00 from yesterday on: the enterprise
        # holding 1,000.00 of vouchers may now receive only 500.00 for today's usage.
        make_rule_version(
            session,
            capped_program,
            RuleNumbers(
                effective_from=today - timedelta(days=1),
                rate_bp=5000,
                cap_fen=500_00,
                cap_scope=CapScope.LIFETIME,
                window_months=36,
                pool_minimum_fen=0,
            ),
            today=today - timedelta(days=1),
        )
        session.commit()
    engine.dispose()
    return metering_world


def test_metering_holds_under_concurrency(
    metering_world: dict[str, Any], scratch_database: str, tmp_path: Path
) -> None:
    provider = metering_world["provider"]
    rng = random.Random(7)
    with api_processes(scratch_database, PROCESSES, tmp_path) as urls:
        # (a) A voucher worth K full subsidies of 50.00 and 25.00 more, hit by 4K posts.
        voucher, holder = metering_world["exact"]
        a = storm(urls, provider, [record(f"a-{i}", voucher, holder) for i in range(K * 4)])
        # (b) Two vouchers of one enterprise posting at once against the lowered cap.
        (v1, v2), capped = metering_world["capped"]
        b = storm(
            urls, provider, [record(f"b-{i}", (v1, v2)[i % 2], capped, "40.00") for i in range(80)]
        )
        # (c) A duplicate storm: 20% identical replays, 5% same id with another body.
        voucher, holder = metering_world["storm"]
        originals = [record(f"c-{i}", voucher, holder, "2.00") for i in range(300)]
        replays = [dict(rng.choice(originals)) for _ in range(60)]
        conflicting = [
            {**rng.choice(originals), "fee_yuan": "4.00", "unit_price_yuan": "4.00"}
            for _ in range(15)
        ]
        bodies = originals + replays + conflicting
        rng.shuffle(bodies)
        c = storm(urls, provider, bodies)

    engine = create_db_engine(scratch_database)
    with Session(engine) as session:
        # (a) Exactly K full subsidies, one partial of 25.00, the rest refused; balance 0.
        assert {status for _, status, _ in a} == {201}
        outcomes = Counter(reply["outcome"] for _, _, reply in a)
        assert outcomes == {"subsidised": K, "partial": 1, "refused": 3 * K - 1}, outcomes
        assert [r["subsidy_yuan"] for _, _, r in a if r["outcome"] == "partial"] == ["25.00"]
        assert {r["reason"] for _, _, r in a if r["outcome"] == "refused"} == {"voucher_exhausted"}
        exact = session.scalar(select(Voucher).where(Voucher.code == metering_world["exact"][0]))
        assert exact is not None and exact.balance_fen == 0

        # (b) The cap holds across both vouchers: exactly 500.00 subsidised, never more.
        b_subsidy = sum(
            int(r["subsidy_yuan"].replace(".", "")) for _, status, r in b if status == 201
        )
        assert b_subsidy == 500_00
        assert {r["reason"] for _, _, r in b if r["outcome"] == "refused"} == {"cap_reached"}

        # (c) Per record id, exactly one body won; it was created once, replayed otherwise.
        by_id: dict[str, list[tuple[dict[str, Any], int, dict[str, Any]]]] = defaultdict(list)
        for body, status, reply in c:
            by_id[body["record_id"]].append((body, status, reply))
        for record_id, posts in by_id.items():
            created = [p for p in posts if p[1] == 201]
            assert len(created) == 1, (record_id, [p[1] for p in posts])
            winner = created[0][0]
            for body, status, reply in posts:
                if body != winner:
                    assert status == 409 and reply["error"]["code"] == "record_id_conflict"
                else:
                    assert status in (200, 201) and reply == created[0][2]
        stored = session.scalar(
            select(func.count()).select_from(UsageRecord).where(UsageRecord.record_id.like("c-%"))
        )
        assert stored == 300
        assert verify_ledger(session) == []
    engine.dispose()
