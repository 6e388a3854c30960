"""``voucher-service bench-console``: the bureau's overview page at real size.

On a PostgreSQL server it makes a scratch database with one program and this year's pool,
enterprises in every district of Wuhan approved on applications (so each has a size class),
several providers, and a million usage records over the year's days so far, posted through
the service's own ingest (priced, in the ledger) as if each day's were reported that day;
then it starts the real service and, signed in as a bureau administrator over HTTP, times:

* the first overview, which builds the usage rollup from every record once;
* the overview, again and again, as a clerk opens it (the rollup fresh);
* the overview right after the rollup's 15 s, when its request refreshes the last two
  days' records first;
* the aggregates API behind it;
* a Prometheus scrape of ``/metrics`` (first, then with its figures fresh);
* an enterprise listing its records page by page to the last (cursor pagination), and the
  busiest provider's listing from its first page to its deepest;
* ``verify`` over the whole books (seal the audit log, re-derive every balance, walk the
  chain), in-process as the CLI runs it;
* closing the last ended month for the busiest provider over HTTP (``POST
  /v1/admin/statements``), which freezes every unsettled record so far into its statement.

Nothing here is a test: it prints figures (docs/performance.md) and drops the database.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from voucher_service.accounts.service import create_account
from voucher_service.applications.service import ApplicationInput, approve, submit
from voucher_service.audit.service import seal
from voucher_service.audit_log import CLI, set_actor
from voucher_service.auth.service import create_key, principal_for
from voucher_service.books import verify_ledger
from voucher_service.config import get_settings
from voucher_service.db.migrate import migrate
from voucher_service.db.session import create_db_engine
from voucher_service.db.tables.applications import SizeClass
from voucher_service.db.tables.auth import Principal, Role
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.db.types import utcnow
from voucher_service.demo import demo_uscc
from voucher_service.domain.divisions import CITY_LEVEL, WUHAN_DISTRICTS
from voucher_service.domain.rules import CapScope
from voucher_service.domain.usage import UsageReport
from voucher_service.enterprises.service import register_enterprise
from voucher_service.monitoring.rollup import ROLLUP_SECONDS
from voucher_service.programs.service import RuleNumbers, create_pool, create_program
from voucher_service.providers.service import all_providers, register_provider
from voucher_service.redemptions.service import redeem
from voucher_service.usage.service import ingest_usage
from voucher_tools.localcluster import api_processes
from voucher_tools.scratch import empty_postgres_database

PROGRAM = "BENCH-M2"
LOGIN, PASSWORD = "bench.clerk", "bench-clerk-password-2026"
DIVISIONS = [*WUHAN_DISTRICTS, CITY_LEVEL]
SIZES = list(SizeClass)


@dataclass(frozen=True)
class Loaded:
    """API keys for the timings: the bureau administrator's, the first enterprise's and the
    first provider's (the busiest: the enterprises are spread over the providers in turn,
    the first getting any extra), with the two credit codes."""

    bureau_key: str
    enterprise_key: str
    enterprise_uscc: str
    provider_key: str
    provider_uscc: str


def load(url: str, *, enterprises: int, providers: int) -> Loaded:
    """The program, this year's pool, providers, enterprises approved on applications, and a
    bureau administrator (an account to sign in with)."""
    today = get_settings().today()
    first = date(today.year, 1, 1)
    engine = create_db_engine(url)
    with Session(engine) as session:
        set_actor(session, CLI)
        program = create_program(
            session,
            code=PROGRAM,
            name="算力服务券 (benchmark)",
            description="",
            valid_from=first,
            valid_to=date(today.year + 1, 12, 31),
            rules=RuleNumbers(first, 5000, 200_000_00, CapScope.LIFETIME, 36, 0),
        )
        create_pool(
            session, program, year=today.year, total_fen=enterprises * 250_000_00, today=first
        )
        by_index = [
            register_provider(
                session,
                uscc=demo_uscc(CITY_LEVEL, 900 + i),
                name=f"算力服务商{i + 1}",
                offerings=[],
            )
            for i in range(providers)
        ]
        for i in range(enterprises):
            enterprise = register_enterprise(
                session, uscc=demo_uscc(DIVISIONS[i % len(DIVISIONS)], 1000 + i), name=f"企业{i}"
            )
            provider = by_index[i % providers]
            application = submit(
                session,
                enterprise,
                ApplicationInput(
                    program=program,
                    year=today.year,
                    requested_fen=200_000_00,
                    planned_use="benchmark",
                    intended_providers=[],
                    size_class=SIZES[i % len(SIZES)],
                    headcount=50,
                    revenue_fen=10_000_000_00,
                    declares_no_related_party=True,
                ),
                today=first,
                now=utcnow(),
            )
            approve(session, application, amount_fen=None, reason="", today=first, now=utcnow())
            voucher = session.get(Voucher, application.voucher_id)
            assert voucher is not None
            redeem(session, enterprise=enterprise, voucher_code=voucher.code, provider=provider)
        create_account(
            session,
            login=LOGIN,
            display_name="基准测试",
            role=Role.BUREAU_ADMIN,
            password=PASSWORD,
            now=utcnow(),
        )
        sme = session.scalars(select(Enterprise).order_by(Enterprise.id)).first()
        assert sme is not None
        provider = by_index[0]

        def key(principal: Principal) -> str:
            return create_key(session, principal, name="bench", now=utcnow()).key

        loaded = Loaded(
            bureau_key=key(principal_for(session, Role.BUREAU_ADMIN, name=LOGIN)),
            enterprise_key=key(principal_for(session, Role.ENTERPRISE, enterprise=sme)),
            enterprise_uscc=sme.uscc,
            provider_key=key(principal_for(session, Role.PROVIDER, provider=provider)),
            provider_uscc=provider.uscc,
        )
        session.commit()
    engine.dispose()
    return loaded


def usage(url: str, *, rows: int, providers: int) -> None:
    """``rows`` usage records posted through the service's own ingest (priced, posted to the
    ledger, counters moved), day by day over this year so far as if reported that day — so
    the records carry their day's creation time, as in a year of real use. Each round puts
    one record on every voucher, on the next day (past the last day, from January again);
    the fee is 100 to 800 yuan, every tenth enterprise's half as much again (so some come
    near the cap)."""
    settings = get_settings()
    today, tz = settings.today(), settings.tz
    first = date(today.year, 1, 1)
    days = max(1, (today - first).days)
    engine = create_db_engine(url)
    with Session(engine) as session:
        set_actor(session, CLI)
        by_provider = all_providers(session)
        held = session.execute(
            select(Voucher.code, Enterprise.uscc)
            .join(Enterprise, Enterprise.id == Voucher.enterprise_id)
            .order_by(Voucher.id)
        ).all()
        posted, round_ = 0, 0
        while posted < rows:
            day = first + timedelta(days=round_ % days)
            start = datetime.combine(day, clock(9), tz)
            batches: dict[int, list[UsageReport]] = {}
            for n, (code, uscc) in enumerate(held[: rows - posted]):
                fee = (10_000 + (posted + n) * 7919 % 70_000) * (3 if n % 10 == 0 else 2) // 2
                batches.setdefault(n % providers, []).append(
                    UsageReport(
                        record_id=f"c-{round_}-{n}",
                        voucher_code=code,
                        uscc=uscc,
                        resource_kind="accelerator",
                        resource_model="Ascend 910B",
                        quantity=Decimal(1),
                        unit="card_hour",
                        unit_price_fen=fee,
                        fee_fen=fee,
                        service_start=start,
                        service_end=start + timedelta(hours=1),
                    )
                )
            for index, reports in batches.items():
                ingest_usage(
                    session,
                    by_provider[index],
                    reports,
                    now=start + timedelta(hours=3),
                    tz=tz,
                    grace_days=settings.grace_days,
                )
                posted += len(reports)
            session.commit()
            round_ += 1
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def _sign_in(client: httpx.Client) -> None:
    form = client.get("/console/sign-in").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    signed = client.post(
        "/console/sign-in",
        data={"login": LOGIN, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert signed.status_code in (200, 303), signed.status_code


def _timed(request: Callable[[], httpx.Response], expect: int = 200) -> float:
    return _answered(request, expect)[0]


def _answered(request: Callable[[], httpx.Response], expect: int) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = request()
    elapsed = time.perf_counter() - started
    assert response.status_code == expect, (response.status_code, response.text[:500])
    return elapsed, response


def _walk(base_url: str, key: str, path: str, limit: int) -> tuple[list[float], int]:
    """Every page of a listing, with ``key``, following ``next_cursor`` to the end: each
    page's time and the items seen."""
    with httpx.Client(
        base_url=base_url, timeout=60, headers={"Authorization": f"Bearer {key}"}
    ) as api:
        return _pages(api, path, limit)


def _pages(api: httpx.Client, path: str, limit: int) -> tuple[list[float], int]:
    times, items, cursor = [], 0, None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        started = time.perf_counter()
        response = api.get(path, params=params)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (response.status_code, response.text[:500])
        body = response.json()
        items += len(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return times, items


def _verify(url: str) -> tuple[float, int]:
    """``voucher-service verify`` as the CLI runs it: seal, then the ledger and the chain."""
    engine = create_db_engine(url)
    started = time.perf_counter()
    with Session(engine) as session:
        seal(session)
        session.commit()
    with Session(engine) as session:
        violations = verify_ledger(session)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, len(violations)


def _last_ended_month(today: date) -> str:
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


def run(
    server_url: str,
    *,
    rows: int,
    enterprises: int,
    providers: int,
    repeats: int,
    log_dir: Path,
    progress: Callable[[str], None] = lambda phase: None,
) -> dict[str, Any]:
    year = get_settings().today().year
    page = f"/console/bureau?program={PROGRAM}&year={year}"
    with empty_postgres_database(server_url, prefix="voucher_bench") as url:
        progress("loading enterprises, applications and vouchers")
        migrate(url)
        started = time.perf_counter()
        loaded = load(url, enterprises=enterprises, providers=providers)
        progress(f"loading {rows:,} usage records")
        usage(url, rows=rows, providers=providers)
        loaded_s = time.perf_counter() - started
        progress("timing the overview")
        with (
            api_processes(url, 1, log_dir) as urls,
            httpx.Client(base_url=urls[0], timeout=120) as clerk,
        ):
            _sign_in(clerk)
            build = _timed(lambda: clerk.get(page))
            fresh = [_timed(lambda: clerk.get(page)) for _ in range(repeats)]
            time.sleep(ROLLUP_SECONDS + 1)
            refreshing = _timed(lambda: clerk.get(page))
            aggregates = f"/v1/admin/programs/{PROGRAM}/pools/{year}/aggregates"
            with httpx.Client(
                base_url=urls[0],
                timeout=600,
                headers={"Authorization": f"Bearer {loaded.bureau_key}"},
            ) as api:
                api_times = [_timed(lambda: api.get(aggregates)) for _ in range(repeats)]
                html = clerk.get(page).text
                progress("timing /metrics")
                scrape_first = _timed(lambda: api.get("/metrics"))
                scrapes = [_timed(lambda: api.get("/metrics")) for _ in range(repeats)]
                progress("walking the listings")
                sme_pages, sme_items = _walk(
                    urls[0],
                    loaded.enterprise_key,
                    f"/v1/enterprise/{loaded.enterprise_uscc}/usage-records",
                    50,
                )
                provider_pages, provider_items = _walk(
                    urls[0],
                    loaded.provider_key,
                    f"/v1/provider/{loaded.provider_uscc}/usage-records",
                    500,
                )
                progress("verify")
                verify_s, violations = _verify(url)
                progress("closing the last ended month")
                period = _last_ended_month(get_settings().today())
                close_s, reply = _answered(
                    lambda: api.post(
                        "/v1/admin/statements",
                        json={"provider_uscc": loaded.provider_uscc, "period": period},
                    ),
                    expect=201,
                )
                closed = sum(st["record_count"] for st in reply.json()["statements"])
    return {
        "rows": rows,
        "enterprises": enterprises,
        "providers": providers,
        "loaded_s": loaded_s,
        "build_s": build,
        "median_s": statistics.median(fresh),
        "p95_s": sorted(fresh)[max(0, round(len(fresh) * 0.95) - 1)],
        "max_s": max(fresh),
        "refresh_s": refreshing,
        "repeats": repeats,
        "charts": html.count("data-chart="),
        "page_bytes": len(html.encode()),
        "api_median_s": statistics.median(api_times),
        "scrape_first_s": scrape_first,
        "scrape_best_s": min(scrapes),
        "scrape_median_s": statistics.median(scrapes),
        "sme_items": sme_items,
        "sme_pages": len(sme_pages),
        "sme_first_s": sme_pages[0],
        "sme_deepest_s": sme_pages[-1],
        "sme_median_s": statistics.median(sme_pages),
        "provider_items": provider_items,
        "provider_pages": len(provider_pages),
        "provider_first_s": provider_pages[0],
        "provider_deepest_s": provider_pages[-1],
        "provider_median_s": statistics.median(provider_pages),
        "verify_s": verify_s,
        "violations": violations,
        "period": period,
        "closed_records": closed,
        "close_s": close_s,
    }


def report(f: dict[str, Any]) -> str:
    ms = {k: f"{v * 1000:.0f} ms" for k, v in f.items() if k.endswith("_s")}
    return "\n".join(
        [
            f"the bureau's overview over {f['rows']:,} usage records "
            f"({f['enterprises']:,} enterprises, {f['providers']} providers; loaded in "
            f"{f['loaded_s']:.0f} s), over HTTP, signed in:",
            f"  first (builds the usage rollup from every record once): {ms['build_s']}",
            f"  rollup fresh, {f['repeats']} times: median {ms['median_s']}, "
            f"p95 {ms['p95_s']}, max {ms['max_s']}",
            f"  right after the rollup's {ROLLUP_SECONDS} s (refreshes the last two days): "
            f"{ms['refresh_s']}",
            f"  page: {f['page_bytes']:,} bytes, {f['charts']} charts",
            f"the aggregates API behind it (rollup fresh): median {ms['api_median_s']}",
            f"/metrics: first {ms['scrape_first_s']}, then {f['repeats']} scrapes: "
            f"best {ms['scrape_best_s']}, median {ms['scrape_median_s']}",
            f"an enterprise's records, {f['sme_items']:,} in {f['sme_pages']} pages of 50: "
            f"first {ms['sme_first_s']}, deepest {ms['sme_deepest_s']}, "
            f"median {ms['sme_median_s']}",
            f"the busiest provider's records, {f['provider_items']:,} in "
            f"{f['provider_pages']} pages of 500: first {ms['provider_first_s']}, "
            f"deepest {ms['provider_deepest_s']}, median {ms['provider_median_s']}",
            f"verify (seal, every balance, the audit chain): {ms['verify_s']}, "
            f"{f['violations']} violation(s)",
            f"closing {f['period']} for the busiest provider: {f['closed_records']:,} records "
            f"in {ms['close_s']}",
        ]
    )
