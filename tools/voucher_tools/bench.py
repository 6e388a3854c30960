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

import http.client
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import cycle
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from voucher_service.auth.service import create_key, principal_for
from voucher_service.books import verify_ledger
from voucher_service.config import get_settings
from voucher_service.db.migrate import migrate
from voucher_service.db.session import create_db_engine
from voucher_service.db.tables.auth import Role
from voucher_service.db.types import utcnow
from voucher_service.demo import demo_uscc
from voucher_service.domain.rules import CapScope
from voucher_service.enterprises.service import register_enterprise
from voucher_service.ledger import accounts, counters
from voucher_service.ledger.counters import CapKey
from voucher_service.programs.service import RuleNumbers, create_pool, create_program
from voucher_service.providers.service import register_provider
from voucher_service.redemptions.service import redeem
from voucher_service.vouchers.service import issue_voucher
from voucher_tools.burst import burst
from voucher_tools.localcluster import api_processes
from voucher_tools.scratch import empty_postgres_database


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
            # The floor writes to the cap counter directly: have the ledger make it now.
            cap_key = CapKey(voucher.enrolment_id, 0)
            cap_id = counters.lock_caps(session, {cap_key})[cap_key].id
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


class KeepAlive:
    """One keep-alive HTTP/1.1 connection from the standard library's ``http.client``: the
    lightest client at hand, so that the load generator, which shares the machine, takes
    as little of it as the floor's psycopg connections do (httpx costs about 0.45 ms of CPU
    per request here, ``http.client`` about 0.1 ms)."""

    def __init__(self, url: str, headers: dict[str, str], timeout: float = 600) -> None:
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port, timeout=timeout
        )
        self.headers = {**headers, "Content-Type": "application/json"}

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        self.connection.request("POST", path, body, self.headers)
        response = self.connection.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.connection.close()


def encoded(bodies: list[Any]) -> list[bytes]:
    """Request bodies as bytes, made before the clock starts (the floor's are ready too)."""
    return [json.dumps(body).encode() for body in bodies]


def http_single(
    urls: list[str], path: str, bodies: list[bytes], clients: int, auth: dict[str, str]
) -> tuple[float, list[float]]:
    """Seconds to post ``bodies`` one by one to ``path`` from ``clients`` keep-alive
    clients, and each post's latency."""
    latencies: list[float] = []

    def worker(args: tuple[int, str]) -> None:
        index, url = args
        http = KeepAlive(url, auth)
        try:
            for body in bodies[index::clients]:
                started = time.perf_counter()
                status, reply = http.post(path, body)
                latencies.append(time.perf_counter() - started)
                assert status == 201, reply[:300]
        finally:
            http.close()

    with ThreadPoolExecutor(clients) as pool:
        seconds = timed(lambda: list(pool.map(worker, zip(range(clients), cycle(urls)))))
    return seconds, latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else 0.0


def http_batched(
    urls: list[str],
    provider: str,
    batches: list[bytes],
    clients: int,
    auth: dict[str, str],
    count: int,
) -> float:
    """Seconds to post the encoded ``batches`` of ``count`` records each from ``clients``."""

    def worker(args: tuple[int, str]) -> None:
        index, url = args
        http = KeepAlive(url, auth)
        try:
            for batch in batches[index::clients]:
                status, reply = http.post(f"/v1/provider/{provider}/usage-records/batch", batch)
                assert status == 200 and json.loads(reply)["created"] == count, reply[:300]
        finally:
            http.close()

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


def raw_record(conn: psycopg.Connection[Any], p: dict[str, Any]) -> None:
    """The floor's writes for one record, in a transaction of their own."""
    with conn.transaction():
        usage_record_id = conn.execute(RAW_RECORD, p).fetchone()[0]  # type: ignore[index]
        conn.execute(RAW_POSTING, {**p, "usage_record_id": usage_record_id})
        conn.execute(RAW_CAP, p)
        conn.execute(RAW_VOUCHER, p)


def raw_single(dsn: str, params: list[dict[str, Any]], clients: int) -> float:
    def worker(index: int) -> None:
        with psycopg.connect(dsn) as conn:
            for p in params[index::clients]:
                raw_record(conn, p)

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


RAW_COPY_RECORDS = """COPY usage_record (id, provider_id, record_id, body_hash, kind,
  voucher_id, enterprise_id, enrolment_id, cap_period, voucher_code, uscc, resource_kind,
  resource_model, quantity, unit, unit_price_fen, fee_fen, full_subsidy_fen, subsidy_fen,
  enterprise_share_fen, outcome, rule_version, service_start, service_end, service_date,
  attributes, created_at) FROM STDIN"""
RAW_COPY_POSTINGS = """COPY ledger_posting (kind, from_account, to_account, amount_fen,
  pool_id, voucher_id, usage_record_id, memo, created_at) FROM STDIN"""
RAW_VOUCHERS_UNNEST = """UPDATE voucher SET balance_fen = voucher.balance_fen - d.amount,
  subsidised_fen = voucher.subsidised_fen + d.amount
  FROM unnest(%(ids)s::bigint[], %(amounts)s::bigint[]) AS d(id, amount) WHERE voucher.id = d.id"""
RAW_CAPS_UNNEST = """UPDATE cap_usage SET used_fen = cap_usage.used_fen + d.amount
  FROM unnest(%(ids)s::bigint[], %(amounts)s::bigint[]) AS d(id, amount)
  WHERE cap_usage.id = d.id"""


def raw_copied(dsn: str, batches: list[list[dict[str, Any]]], clients: int) -> float:
    """The honest floor of a batch: the same rows written the fastest raw way — ids from the
    sequence, COPY for records and postings, one UPDATE each for vouchers and caps."""

    def worker(index: int) -> None:
        with psycopg.connect(dsn) as conn:
            for batch in batches[index::clients]:
                with conn.transaction(), conn.cursor() as cur:
                    copy_batch(cur, batch)

    with ThreadPoolExecutor(clients) as pool:
        return timed(lambda: list(pool.map(worker, range(clients))))


def copy_batch(cur: psycopg.Cursor[Any], batch: list[dict[str, Any]]) -> None:
    cur.execute(
        "SELECT nextval(pg_get_serial_sequence('usage_record', 'id')) FROM generate_series(1, %s)",
        (len(batch),),
    )
    ids = [i for (i,) in cur.fetchall()]
    now = utcnow()
    with cur.copy(RAW_COPY_RECORDS) as copy:
        for p, i in zip(batch, ids, strict=True):
            copy.write_row(
                (i, p["provider_id"], p["record_id"], p["body_hash"], "usage", p["voucher_id"],
                 p["enterprise_id"], p["enrolment_id"], 0, p["voucher_code"], p["uscc"],
                 "accelerator", "Ascend 910B", "1", "card_hour", 100, 100, 50, 50, 50,
                 "subsidised", 1, p["start"], p["end"], p["day"], "{}", now)
            )  # fmt: skip
    with cur.copy(RAW_COPY_POSTINGS) as copy:
        for p, i in zip(batch, ids, strict=True):
            copy.write_row(
                ("subsidy", p["from"], p["to"], 50, p["pool_id"], p["voucher_id"], i,
                 p["record_id"], now)
            )  # fmt: skip
    for statement, key in ((RAW_VOUCHERS_UNNEST, "voucher_id"), (RAW_CAPS_UNNEST, "cap_id")):
        moved: dict[int, int] = {}
        for p in batch:
            moved[p[key]] = moved.get(p[key], 0) + 50
        ordered = sorted(moved.items())
        cur.execute(statement, {"ids": [k for k, _ in ordered], "amounts": [a for _, a in ordered]})


CEILING_APP = "voucher_tools.ceiling:app"

BENCH_PHASES = (
    "loading the scratch database",
    "the HTTP ceiling (no database)",
    "single posts over HTTP",
    "single posts on one voucher (hot row)",
    "batched posts over HTTP",
    "a burst of clients",
    "single posts in raw SQL",
    "batched posts in raw SQL (COPY, and executemany)",
    "verify",
)


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
    burst_clients: int,
    log_dir: Path,
    progress: Callable[[str], None] = lambda phase: None,
) -> dict[str, Any]:
    """One benchmark run; ``progress`` is told each of ``BENCH_PHASES`` as it starts."""
    phases = iter(BENCH_PHASES)
    with empty_postgres_database(server_url, prefix="voucher_bench") as url:
        progress(next(phases))
        migrate(url)
        provider_uscc, provider_id, key, targets = load(url, enterprises)
        auth = {"Authorization": f"Bearer {key}"}
        end = datetime.now(get_settings().tz).replace(microsecond=0) - timedelta(minutes=5)
        pick = cycle(targets)
        hot = max(1, single // 4)
        single_bodies = encoded([record(f"s-{i}", next(pick), end) for i in range(single)])
        hot_bodies = encoded([record(f"h-{i}", targets[0], end) for i in range(hot)])
        batch_bodies = encoded(
            [
                {"records": [record(f"b-{j}-{i}", next(pick), end) for i in range(batch_size)]}
                for j in range(batches)
            ]
        )
        posts = f"/v1/provider/{provider_uscc}/usage-records"
        with api_processes(url, workers, log_dir, app=CEILING_APP) as urls:
            progress(next(phases))
            http_single(urls, posts, single_bodies[: single // 10], clients, {})  # warm up
            t_ceiling, ceiling_latencies = http_single(urls, posts, single_bodies, clients, {})
        with api_processes(url, workers, log_dir) as urls:
            warm_up = encoded(
                [{"records": [record(f"w-{i}", t, end)]} for i, t in enumerate(targets)]
            )
            http_batched(urls, provider_uscc, warm_up, 4, auth, 1)
            progress(next(phases))
            t_single, latencies = http_single(urls, posts, single_bodies, clients, auth)
            progress(next(phases))
            t_hot, hot_latencies = http_single(urls, posts, hot_bodies, clients, auth)
            progress(next(phases))
            t_batch = http_batched(
                urls, provider_uscc, batch_bodies, batch_clients, auth, batch_size
            )
            progress(next(phases))
            storm = burst(
                urls,
                provider_uscc,
                key,
                lambda record_id: record(record_id, next(pick), end),
                clients=burst_clients,
                operations=4,
            )
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        raw_single_params = [
            raw_params(f"rs-{i}", next(pick), provider_id, end) for i in range(single)
        ]
        raw_hot_params = [raw_params(f"rh-{i}", targets[0], provider_id, end) for i in range(hot)]
        raw_batch_params = [
            [raw_params(f"rb-{j}-{i}", next(pick), provider_id, end) for i in range(batch_size)]
            for j in range(batches)
        ]
        raw_copy_params = [
            [raw_params(f"rc-{j}-{i}", next(pick), provider_id, end) for i in range(batch_size)]
            for j in range(batches)
        ]
        progress(next(phases))
        t_raw_single = raw_single(dsn, raw_single_params, clients)
        t_raw_hot = raw_single(dsn, raw_hot_params, clients)
        progress(next(phases))
        t_raw_copy = raw_copied(dsn, raw_copy_params, batch_clients)
        t_raw_batch = raw_batched(dsn, raw_batch_params, batch_clients)
        progress(next(phases))
        engine = create_db_engine(url)
        with Session(engine) as session:
            violations = verify_ledger(session)
        engine.dispose()
    total_batched = batches * batch_size
    return {
        "single_http_per_s": single / t_single,
        "single_raw_per_s": single / t_raw_single,
        "single_p50_ms": percentile(latencies, 0.5) * 1000,
        "single_p99_ms": percentile(latencies, 0.99) * 1000,
        "ceiling_http_per_s": single / t_ceiling,
        "ceiling_p50_ms": percentile(ceiling_latencies, 0.5) * 1000,
        "ceiling_p99_ms": percentile(ceiling_latencies, 0.99) * 1000,
        "hot_http_per_s": hot / t_hot,
        "hot_raw_per_s": hot / t_raw_hot,
        "hot_p50_ms": percentile(hot_latencies, 0.5) * 1000,
        "hot_p99_ms": percentile(hot_latencies, 0.99) * 1000,
        "batched_http_per_s": total_batched / t_batch,
        "batched_copy_per_s": total_batched / t_raw_copy,
        "batched_executemany_per_s": total_batched / t_raw_batch,
        "burst_clients": burst_clients,
        "burst_requests": sum(storm.responses.values()),
        "burst_responses": dict(storm.responses),
        "burst_errors": len(storm.unexpected) + storm.unfinished,
        "burst_reconnects": storm.reconnects,
        "burst_seconds": storm.seconds,
        "burst_p50_ms": storm.percentile(0.5) * 1000,
        "burst_p99_ms": storm.percentile(0.99) * 1000,
        "burst_slowest_503_s": storm.slowest_503,
        "verify_violations": len(violations),
    }


def report(figures: dict[str, Any], settings: dict[str, Any]) -> str:
    f = figures

    def line(mode: str, rate: float, floor: float, p50: str = "", p99: str = "") -> str:
        return f"{mode:<40}{rate:>10,.0f}{floor:>10,.0f}{rate / floor:>7.0%}{p50:>9}{p99:>9}"

    return "\n".join(
        [
            f"settings: {json.dumps(settings)}",
            f"{'mode':<40}{'rec/s':>10}{'floor/s':>10}{'ratio':>7}{'p50 ms':>9}{'p99 ms':>9}",
            line(
                f"single posts ({settings['enterprises']} vouchers)",
                f["single_http_per_s"],
                f["single_raw_per_s"],
                f"{f['single_p50_ms']:.1f}",
                f"{f['single_p99_ms']:.1f}",
            ),
            line(
                "HTTP ceiling: same body, no database",
                f["ceiling_http_per_s"],
                f["single_raw_per_s"],
                f"{f['ceiling_p50_ms']:.1f}",
                f"{f['ceiling_p99_ms']:.1f}",
            ),
            line(
                "single posts, one voucher (hot row)",
                f["hot_http_per_s"],
                f["hot_raw_per_s"],
                f"{f['hot_p50_ms']:.1f}",
                f"{f['hot_p99_ms']:.1f}",
            ),
            line(
                "batched posts vs COPY floor",
                f["batched_http_per_s"],
                f["batched_copy_per_s"],
            ),
            line(
                "batched posts vs executemany floor",
                f["batched_http_per_s"],
                f["batched_executemany_per_s"],
            ),
            f"burst: {f['burst_clients']} keep-alive clients released together, "
            f"{f['burst_requests']:,} requests in {f['burst_seconds']:.1f} s: "
            f"{f['burst_responses']}; p50 {f['burst_p50_ms']:.0f} ms, "
            f"p99 {f['burst_p99_ms']:.0f} ms (retries included); "
            f"{f['burst_errors']} error(s), {f['burst_reconnects']} resent on a new connection; "
            f"slowest 503 after {f['burst_slowest_503_s']:.2f} s",
            f"verify after the run: {f['verify_violations']} violation(s)",
        ]
    )


def scrape_cost(server_url: str, rows: int, repeats: int = 5) -> dict[str, float]:
    """Seconds to build /metrics' ledger figures over ``rows`` usage records created over the
    past year (PostgreSQL): the first scrape builds the rollup, the others keep it fresh."""
    from prometheus_client import CollectorRegistry, generate_latest

    from voucher_service.monitoring.collector import LedgerCollector
    from voucher_service.monitoring.rollup import ROLLUP_SECONDS

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
                  now() - interval '2 hours' - (g % 365) * interval '1 day',
                  now() - interval '1 hour' - (g % 365) * interval '1 day',
                  current_date - (g % 365), '{}', now() - (g % 365) * interval '1 day' 
                FROM generate_series(1, :rows) AS g
                JOIN (SELECT id, enterprise_id, enrolment_id, code,
                             row_number() OVER (ORDER BY id) - 1 AS n FROM voucher) v
                  ON v.n = g % (SELECT count(*) FROM voucher)
            """),
                {"provider": provider_id, "rows": rows},
            )
            conn.execute(text("ANALYZE"))
        timings = []
        for attempt in range(repeats + 1):
            # Scrapes ROLLUP_SECONDS apart, as Prometheus makes them: each refreshes the
            # rollup (the records of the last two days) and reads it; the first builds it.
            moment = utcnow() + timedelta(seconds=attempt * (ROLLUP_SECONDS + 1))
            with Session(engine) as session:
                registry = CollectorRegistry(auto_describe=False)
                registry.register(LedgerCollector(session, moment))
                started = time.perf_counter()
                generate_latest(registry)
                session.commit()
                timings.append(time.perf_counter() - started)
        engine.dispose()
    build, scrapes = timings[0], timings[1:]
    return {
        "rows": rows,
        "build_s": build,
        "best_s": min(scrapes),
        "median_s": sorted(scrapes)[len(scrapes) // 2],
    }
