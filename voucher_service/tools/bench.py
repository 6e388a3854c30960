"""``voucher-service bench``: metering throughput against the floor of raw SQL.

On a PostgreSQL server it creates a scratch database, loads a program, a pool, many
enterprises with a redeemed voucher each, and starts the API as several uvicorn
processes. Then, in one run, it measures:

* single posts over HTTP (concurrent clients, one record per request), and
* batched posts over HTTP (10,000 records per request),

and the floor: raw SQL (psycopg, no service) doing the same writes per record — insert the
usage record, insert its subsidy posting, draw the voucher down, count the cap — one
transaction per record with the same concurrency, and one transaction per batch. It prints
records/s for each and the ratio to its floor, checks the books with ``verify``, and drops
the scratch database.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import cycle
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from voucher_service.auth.service import create_key, principal_for
from voucher_service.config import get_settings
from voucher_service.db.migrate import migrate
from voucher_service.db.session import create_db_engine
from voucher_service.db.tables.auth import Role
from voucher_service.db.types import utcnow
from voucher_service.domain.rules import CapScope
from voucher_service.enterprises.service import register_enterprise
from voucher_service.ledger import accounts
from voucher_service.ledger.verify import verify_ledger
from voucher_service.programs.service import RuleNumbers, create_pool, create_program
from voucher_service.providers.service import register_provider
from voucher_service.redemptions.service import redeem
from voucher_service.tools.demo import demo_uscc
from voucher_service.tools.localcluster import api_processes
from voucher_service.tools.scratch import empty_postgres_database
from voucher_service.vouchers.service import issue_voucher


@dataclass(frozen=True)
class Target:
    """A voucher to post against, with the ids the raw-SQL floor writes to."""

    code: str
    uscc: str
    voucher_id: int
    pool_id: int
    enterprise_id: int
    enrolment_id: int
    cap_id: int


def load(url: str, enterprises: int) -> tuple[str, int, str, list[Target]]:
    """Program, pool, provider and one redeemed 200,000-yuan voucher per enterprise."""
    from sqlalchemy import select

    from voucher_service.db.tables.ledger import CapUsage

    today = get_settings().today()
    start = today - timedelta(days=30)
    engine = create_db_engine(url)
    with Session(engine) as session:
        program = create_program(
            session,
            code="BENCH",
            name="benchmark",
            description="",
            valid_from=date(start.year, 1, 1),
            valid_to=date(today.year + 1, 12, 31),
            rules=RuleNumbers(
                effective_from=date(start.year, 1, 1),
                rate_bp=5000,
                cap_fen=200_000_00,
                cap_scope=CapScope.LIFETIME,
                window_months=36,
                pool_minimum_fen=0,
            ),
        )
        create_pool(
            session, program, year=start.year, total_fen=enterprises * 200_000_00, today=today
        )
        provider = register_provider(
            session, uscc=demo_uscc("420100", 900), name="bench", offerings=[]
        )
        targets = []
        for i in range(enterprises):
            enterprise = register_enterprise(
                session, uscc=demo_uscc("420106", 1000 + i), name=f"E{i}"
            )
            voucher = issue_voucher(
                session,
                program=program,
                year=start.year,
                enterprise=enterprise,
                face_value_fen=200_000_00,
                today=start,
                valid_from=start,
            )
            redeem(session, enterprise=enterprise, voucher_code=voucher.code, provider=provider)
            session.add(CapUsage(enrolment_id=voucher.enrolment_id, period=0, used_fen=0))
            session.flush()
            cap_id = session.scalar(
                select(CapUsage.id).where(CapUsage.enrolment_id == voucher.enrolment_id)
            )
            targets.append(
                Target(
                    voucher.code,
                    enterprise.uscc,
                    voucher.id,
                    voucher.pool_id,
                    enterprise.id,
                    voucher.enrolment_id,
                    cap_id,
                )
            )
        principal = principal_for(session, Role.PROVIDER, provider=provider)
        key = create_key(session, principal, name="bench", now=utcnow()).key
        session.commit()
        provider_uscc, provider_id = provider.uscc, provider.id
    engine.dispose()
    return provider_uscc, provider_id, key, targets  # type: ignore[return-value]


def record(record_id: str, target: Target, end: datetime) -> dict[str, Any]:
    """A 1.00-yuan record: 0.50 of subsidy."""
    return {
        "record_id": record_id,
        "voucher_code": target.code,
        "uscc": target.uscc,
        "resource_kind": "accelerator",
        "resource_model": "Ascend 910B",
        "quantity": "1",
        "unit": "card_hour",
        "unit_price_yuan": "1.00",
        "fee_yuan": "1.00",
        "service_start": (end - timedelta(hours=1)).isoformat(),
        "service_end": end.isoformat(),
    }


def timed(work: Callable[[], None]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def http_single(
    urls: list[str], provider: str, bodies: list[dict[str, Any]], clients: int, auth: dict[str, str]
) -> float:
    def worker(args: tuple[int, str]) -> None:
        index, url = args
        with httpx.Client(base_url=url, timeout=120, headers=auth) as http:
            for body in bodies[index::clients]:
                response = http.post(f"/v1/provider/{provider}/usage-records", json=body)
                assert response.status_code == 201, response.text

    with ThreadPoolExecutor(clients) as pool:
        return timed(lambda: list(pool.map(worker, zip(range(clients), cycle(urls)))))


def http_batched(
    urls: list[str],
    provider: str,
    batches: list[list[dict[str, Any]]],
    clients: int,
    auth: dict[str, str],
) -> float:
    def worker(args: tuple[int, str]) -> None:
        index, url = args
        with httpx.Client(base_url=url, timeout=600, headers=auth) as http:
            for batch in batches[index::clients]:
                response = http.post(
                    f"/v1/provider/{provider}/usage-records/batch", json={"records": batch}
                )
                assert response.status_code == 200 and response.json()["created"] == len(batch), (
                    response.text[:300]
                )

    with ThreadPoolExecutor(clients) as pool:
        return timed(lambda: list(pool.map(worker, zip(range(clients), cycle(urls)))))


RAW_RECORD = """INSERT INTO usage_record (provider_id, record_id, body_hash, kind, voucher_id,
  enterprise_id, enrolment_id, cap_period, voucher_code, uscc, resource_kind, resource_model,
  quantity, unit, unit_price_fen, fee_fen, full_subsidy_fen, subsidy_fen, enterprise_share_fen,
  outcome, rule_version, service_start, service_end, service_date, attributes, created_at)
  VALUES (%(provider_id)s, %(record_id)s, %(body_hash)s, 'usage', %(voucher_id)s, %(enterprise_id)s,
  %(enrolment_id)s, 0, %(voucher_code)s, %(uscc)s, 'accelerator', 'Ascend 910B', '1', 'card_hour',
  100, 100, 50, 50, 50, 'subsidised', 1, %(start)s, %(end)s, %(day)s, '{}', now())
  RETURNING id"""
RAW_POSTING = """INSERT INTO ledger_posting (kind, from_account, to_account, amount_fen, pool_id,
  voucher_id, usage_record_id, memo, created_at) VALUES ('subsidy', %(from)s, %(to)s, 50,
  %(pool_id)s, %(voucher_id)s, %(usage_record_id)s, %(record_id)s, now())"""
RAW_VOUCHER = """UPDATE voucher SET balance_fen = balance_fen - %(amount)s,
  subsidised_fen = subsidised_fen + %(amount)s WHERE id = %(voucher_id)s"""
RAW_CAP = "UPDATE cap_usage SET used_fen = used_fen + %(amount)s WHERE id = %(cap_id)s"


def raw_params(record_id: str, target: Target, provider_id: int, end: datetime) -> dict[str, Any]:
    return {
        "provider_id": provider_id,
        "record_id": record_id,
        "body_hash": "0" * 64,
        "voucher_id": target.voucher_id,
        "enterprise_id": target.enterprise_id,
        "enrolment_id": target.enrolment_id,
        "voucher_code": target.code,
        "uscc": target.uscc,
        "start": end - timedelta(hours=1),
        "end": end,
        "day": end.date(),
        "from": str(accounts.voucher(target.voucher_id)),
        "to": str(accounts.payable(provider_id)),
        "pool_id": target.pool_id,
        "cap_id": target.cap_id,
        "amount": 50,
    }


def raw_single(dsn: str, params: list[dict[str, Any]], clients: int) -> float:
    def worker(index: int) -> None:
        with psycopg.connect(dsn) as conn:
            for p in params[index::clients]:
                with conn.transaction():
                    usage_record_id = conn.execute(RAW_RECORD, p).fetchone()[0]  # type: ignore[index]
                    conn.execute(RAW_POSTING, {**p, "usage_record_id": usage_record_id})
                    conn.execute(RAW_CAP, p)
                    conn.execute(RAW_VOUCHER, p)

    with ThreadPoolExecutor(clients) as pool:
        return timed(lambda: list(pool.map(worker, range(clients))))


def raw_batched(dsn: str, batches: list[list[dict[str, Any]]], clients: int) -> float:
    def worker(index: int) -> None:
        with psycopg.connect(dsn) as conn:
            for batch in batches[index::clients]:
                with conn.transaction(), conn.cursor() as cur:
                    cur.executemany(RAW_RECORD, batch, returning=True)
                    ids = []
                    while True:
                        ids.append(cur.fetchone()[0])  # type: ignore[index]
                        if not cur.nextset():
                            break
                    cur.executemany(
                        RAW_POSTING,
                        [{**p, "usage_record_id": i} for p, i in zip(batch, ids, strict=True)],
                    )
                    per_voucher: dict[tuple[int, int], int] = {}
                    for p in batch:
                        key = (p["voucher_id"], p["cap_id"])
                        per_voucher[key] = per_voucher.get(key, 0) + 50
                    ordered = sorted(per_voucher.items())
                    cur.executemany(RAW_CAP, [{"cap_id": c, "amount": a} for (_, c), a in ordered])
                    cur.executemany(
                        RAW_VOUCHER, [{"voucher_id": v, "amount": a} for (v, _), a in ordered]
                    )

    with ThreadPoolExecutor(clients) as pool:
        return timed(lambda: list(pool.map(worker, range(clients))))


def run(
    server_url: str,
    *,
    workers: int,
    clients: int,
    single: int,
    batches: int,
    batch_size: int,
    batch_clients: int,
    enterprises: int,
    log_dir: Path,
) -> dict[str, Any]:
    with empty_postgres_database(server_url, prefix="voucher_bench") as url:
        migrate(url)
        provider_uscc, provider_id, key, targets = load(url, enterprises)
        auth = {"Authorization": f"Bearer {key}"}
        end = datetime.now(get_settings().tz).replace(microsecond=0) - timedelta(minutes=5)
        pick = cycle(targets)
        single_bodies = [record(f"s-{i}", next(pick), end) for i in range(single)]
        batch_bodies = [
            [record(f"b-{j}-{i}", next(pick), end) for i in range(batch_size)]
            for j in range(batches)
        ]
        with api_processes(url, workers, log_dir) as urls:
            warm_up = [[record(f"w-{i}", t, end)] for i, t in enumerate(targets)]
            http_batched(urls, provider_uscc, warm_up, 4, auth)
            t_single = http_single(urls, provider_uscc, single_bodies, clients, auth)
            t_batch = http_batched(urls, provider_uscc, batch_bodies, batch_clients, auth)
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        raw_single_params = [
            raw_params(f"rs-{i}", next(pick), provider_id, end) for i in range(single)
        ]
        raw_batch_params = [
            [raw_params(f"rb-{j}-{i}", next(pick), provider_id, end) for i in range(batch_size)]
            for j in range(batches)
        ]
        t_raw_single = raw_single(dsn, raw_single_params, clients)
        t_raw_batch = raw_batched(dsn, raw_batch_params, batch_clients)
        engine = create_db_engine(url)
        with Session(engine) as session:
            violations = verify_ledger(session)
        engine.dispose()
    total_batched = batches * batch_size
    figures = {
        "single_http_per_s": single / t_single,
        "single_raw_per_s": single / t_raw_single,
        "batched_http_per_s": total_batched / t_batch,
        "batched_raw_per_s": total_batched / t_raw_batch,
        "verify_violations": len(violations),
    }
    figures["single_ratio"] = figures["single_http_per_s"] / figures["single_raw_per_s"]
    figures["batched_ratio"] = figures["batched_http_per_s"] / figures["batched_raw_per_s"]
    return figures


def report(figures: dict[str, Any], settings: dict[str, Any]) -> str:
    lines = [
        f"settings: {json.dumps(settings)}",
        f"{'mode':<28}{'records/s':>12}{'floor/s':>12}{'ratio':>8}",
        f"{'single posts over HTTP':<28}{figures['single_http_per_s']:>12,.0f}"
        f"{figures['single_raw_per_s']:>12,.0f}{figures['single_ratio']:>8.0%}",
        f"{'batched posts over HTTP':<28}{figures['batched_http_per_s']:>12,.0f}"
        f"{figures['batched_raw_per_s']:>12,.0f}{figures['batched_ratio']:>8.0%}",
        f"verify after the run: {figures['verify_violations']} violation(s)",
    ]
    return "\n".join(lines)


def scrape_cost(server_url: str, rows: int, repeats: int = 5) -> dict[str, float]:
    """Seconds to build /metrics' ledger figures over ``rows`` usage records (PostgreSQL)."""
    from prometheus_client import CollectorRegistry, generate_latest

    from voucher_service.monitoring.collector import LedgerCollector

    with empty_postgres_database(server_url, prefix="voucher_bench") as url:
        migrate(url)
        provider_uscc, provider_id, _key, targets = load(url, 200)
        engine = create_db_engine(url)
        with engine.begin() as conn:
            # rows records spread over the 200 vouchers: one INSERT ... SELECT in the database.
            conn.execute(
                text("""
                INSERT INTO usage_record (provider_id, record_id, body_hash, kind, voucher_id,
                  enterprise_id, enrolment_id, cap_period, voucher_code, uscc, resource_kind,
                  resource_model, quantity, unit, unit_price_fen, fee_fen, full_subsidy_fen,
                  subsidy_fen, enterprise_share_fen, outcome, rule_version, service_start,
                  service_end, service_date, attributes, created_at)
                SELECT :provider, 'm-' || g, 'x', 'usage', v.id, v.enterprise_id, v.enrolment_id, 0,
                  v.code, '', 'accelerator', 'Ascend 910B', '1', 'card_hour', 2, 2, 1,
                  CASE WHEN g % 10 = 0 THEN 0 ELSE 1 END, CASE WHEN g % 10 = 0 THEN 2 ELSE 1 END,
                  CASE WHEN g % 10 = 0 THEN 'refused' ELSE 'subsidised' END, 1,
                  now() - interval '2 hours', now() - interval '1 hour', current_date, '{}', now()
                FROM generate_series(1, :rows) AS g
                JOIN (SELECT id, enterprise_id, enrolment_id, code,
                             row_number() OVER (ORDER BY id) - 1 AS n FROM voucher) v
                  ON v.n = g % (SELECT count(*) FROM voucher)
            """),
                {"provider": provider_id, "rows": rows},
            )
            conn.execute(text("ANALYZE"))
        timings = []
        with Session(engine) as session:
            for _ in range(repeats):
                registry = CollectorRegistry(auto_describe=False)
                registry.register(LedgerCollector(session, utcnow()))
                started = time.perf_counter()
                generate_latest(registry)
                timings.append(time.perf_counter() - started)
        engine.dispose()
    return {"rows": rows, "best_s": min(timings), "median_s": sorted(timings)[len(timings) // 2]}
