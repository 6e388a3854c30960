"""The bureau's aggregates: the worked figures of a year's books, and the same figures
reconciled with the ledger's postings, with /metrics and with the yearly evaluation (which
scans the usage records); the month and provider figures at most ROLLUP_SECONDS old; and no
read of the usage records once the rollup is fresh."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session

from tests.factories import CITY, HONGSHAN, NOW, WUCHANG, Books
from tests.monitoring.test_metrics import sample
from voucher_service.config import get_settings
from voucher_service.db.tables.auth import Role
from voucher_service.db.tables.ledger import LedgerPosting
from voucher_service.db.tables.programs import Pool, Program
from voucher_service.db.tables.providers import Provider
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.db.types import utcnow
from voucher_service.ledger import accounts
from voucher_service.ledger.history import balances_at
from voucher_service.monitoring.rollup import ROLLUP_SECONDS


def by_key(lines: list[dict[str, Any]]) -> dict[str, str]:
    return {line["key"]: line["subsidy_yuan"] for line in lines}


def total(values: Any) -> Decimal:
    return sum((Decimal(v) for v in values), Decimal(0))


def test_a_years_books_worked_out(books: Books) -> None:
    figures = books.aggregates(books.small_cap)
    a, b = books.providers
    assert {k: figures[k] for k in ("total_yuan", "available_yuan", "outstanding_yuan")} == {
        "total_yuan": "100000.00",
        "available_yuan": "98300.00",  # 900 + 500 + 300 issued
        "outstanding_yuan": "679.50",
    }
    # 850.00 + 100.50 + (50.00 - 20.00 refunded + 40.00)
    assert figures["consumed_yuan"] == "1020.50"
    assert by_key(figures["by_district"]) == {
        HONGSHAN: "850.00",
        CITY: "100.50",
        WUCHANG: "70.00",
    }
    names = {line["key"]: line["label"] for line in figures["by_district"]}
    assert names == {HONGSHAN: "洪山区", CITY: "武汉市市级登记(含功能区)", WUCHANG: "武昌区"}
    assert by_key(figures["by_size_class"]) == {
        "small": "850.00",
        "micro": "100.50",
        "undeclared": "70.00",  # issued a voucher without applying
    }
    assert by_key(figures["by_provider"]) == {a: "880.00", b: "140.50"}
    months = {m["month"]: m for m in figures["by_month"]}
    assert list(months) == [f"2026-{m:02d}" for m in range(1, 13)]
    assert months["2026-05"]["subsidy_yuan"] == "30.00"  # 50.00 less the refund of its 20.00
    assert months["2026-06"]["subsidy_yuan"] == "990.50"
    assert months["2026-06"]["records"] == 3 and months["2026-05"]["records"] == 1
    # June is the current month (NOW): its end figures are now's; July has not begun
    assert months["2026-06"]["available_at_end_yuan"] == "98300.00"
    assert months["2026-06"]["unspent_at_end_yuan"] == "98979.50"
    assert months["2026-05"]["unspent_at_end_yuan"] == "99970.00"
    assert months["2026-07"]["available_at_end_yuan"] is None
    assert months["2026-07"]["unspent_at_end_yuan"] is None
    assert figures["near_cap_count"] == 1
    assert figures["near_cap"] == [
        {
            "uscc": books.enterprises["hongshan"],
            "name": "洪山智能",
            "district_code": HONGSHAN,
            "district_name": "洪山区",
            "used_yuan": "850.00",
            "cap_yuan": "1000.00",
            "used_bp": 8500,
        }
    ]


def _posted(session: Session) -> list[LedgerPosting]:
    return list(session.scalars(select(LedgerPosting)))


def test_every_figure_reconciles_with_the_ledger(books: Books, session: Session) -> None:
    postings = _posted(session)
    for code in (books.small_cap, books.other):
        figures = books.aggregates(code)
        pool = session.scalar(
            select(Pool).join(Program, Program.id == Pool.program_id).where(Program.code == code)
        )
        assert pool is not None
        vouchers = {
            str(accounts.voucher(v.id))  # type: ignore[arg-type]
            for v in session.scalars(select(Voucher).where(Voucher.pool_id == pool.id))
        }
        # net subsidies of the pool's vouchers, and per provider, from the postings alone
        net: dict[str, int] = defaultdict(int)
        for p in postings:
            if p.kind == "subsidy" and p.from_account in vouchers:
                net[p.to_account] += p.amount_fen
            elif p.kind == "reversal" and p.to_account in vouchers:
                net[p.from_account] -= p.amount_fen
        pool_account = str(accounts.pool(pool.id))  # type: ignore[arg-type]
        available = sum(p.amount_fen for p in postings if p.to_account == pool_account) - sum(
            p.amount_fen for p in postings if p.from_account == pool_account
        )
        consumed = Decimal(sum(net.values())) / 100
        assert Decimal(figures["consumed_yuan"]) == consumed
        assert Decimal(figures["available_yuan"]) == Decimal(available) / 100
        assert (
            Decimal(figures["total_yuan"])
            == Decimal(figures["available_yuan"]) + Decimal(figures["outstanding_yuan"]) + consumed
        )
        for lines in ("by_district", "by_size_class", "by_provider"):
            assert total(by_key(figures[lines]).values()) == consumed, lines
        assert total(m["subsidy_yuan"] for m in figures["by_month"]) == consumed
        usccs = {p: u for p, u in session.execute(select(Provider.id, Provider.uscc))}
        from_postings = {
            usccs[int(account.split(":")[1])]: Decimal(fen) / 100
            for account, fen in net.items()
            if fen
        }
        assert {k: Decimal(v) for k, v in by_key(figures["by_provider"]).items()} == from_postings


def test_the_figures_match_metrics(books: Books) -> None:
    pools = {
        books.small_cap: books.aggregates(books.small_cap),
        books.other: books.aggregates(books.other),
    }
    exposition = books.client.get("/metrics", headers={"Authorization": ""}).text
    for code, figures in pools.items():
        for name in ("total", "available", "outstanding", "consumed"):
            gauge = sample(exposition, f"voucher_pool_{name}_yuan", program=code, year="2026")
            assert gauge is not None and Decimal(str(gauge)) == Decimal(figures[f"{name}_yuan"])
    districts: dict[str, Decimal] = defaultdict(Decimal)
    providers: dict[str, Decimal] = defaultdict(Decimal)
    for figures in pools.values():
        for key, value in by_key(figures["by_district"]).items():
            districts[key] += Decimal(value)
        for key, value in by_key(figures["by_provider"]).items():
            providers[key] += Decimal(value)
    assert districts == {HONGSHAN: Decimal("1000"), CITY: Decimal("100.5"), WUCHANG: Decimal("570")}
    for district, value in districts.items():
        gauge = sample(exposition, "voucher_district_subsidies_yuan", district=district)
        assert gauge is not None and Decimal(str(gauge)) == value
    for provider, value in providers.items():
        gauge = sample(exposition, "voucher_subsidies_yuan", provider=provider)
        assert gauge is not None and Decimal(str(gauge)) == value
    near = sample(exposition, "voucher_enterprises_near_cap", program=books.small_cap, share="0.8")
    assert near == pools[books.small_cap]["near_cap_count"] == 1


def test_the_figures_match_the_yearly_evaluation(books: Books) -> None:
    """The evaluation reads the usage records themselves: the same lines, by another road."""
    for code in (books.small_cap, books.other):
        figures = books.aggregates(code)
        report = books.client.get(f"/v1/admin/programs/{code}/evaluation", params={"year": 2026})
        assert report.status_code == 200, report.text
        evaluation = report.json()
        for ours, theirs in (
            ("by_district", "by_district"),
            ("by_provider", "by_provider"),
            ("by_size_class", "by_size_class"),
        ):
            nonzero = {k: v for k, v in by_key(figures[ours]).items() if Decimal(v)}
            assert nonzero == {x["key"]: x["subsidy_yuan"] for x in evaluation[theirs]}, ours
        months = {
            m["month"]: m["subsidy_yuan"] for m in figures["by_month"] if Decimal(m["subsidy_yuan"])
        }
        assert months == {x["key"]: x["subsidy_yuan"] for x in evaluation["by_month"]}


def test_months_and_providers_are_at_most_the_rollups_age_behind(books: Books) -> None:
    before = books.aggregates(books.small_cap)
    books.post(books.providers[1], "gd-2", "city", "100.00", "2026-06-15")  # 50.00 more
    soon = books.aggregates(books.small_cap)
    # the counters move at once ...
    assert soon["consumed_yuan"] == "1070.50"
    assert by_key(soon["by_district"])[CITY] == "150.50"
    # ... the rollup's figures within ROLLUP_SECONDS, and say how old they are
    assert soon["by_month"] == before["by_month"]
    books.client.app.state.clock = lambda: NOW + timedelta(seconds=ROLLUP_SECONDS)  # type: ignore[attr-defined]
    later = books.aggregates(books.small_cap)
    assert later["usage_age_seconds"] == 0
    assert total(m["subsidy_yuan"] for m in later["by_month"]) == Decimal("1070.50")
    assert by_key(later["by_provider"])[books.providers[1]] == "190.50"
    books.client.app.state.clock = lambda: NOW + timedelta(seconds=ROLLUP_SECONDS + 4)  # type: ignore[attr-defined]
    assert books.aggregates(books.small_cap)["usage_age_seconds"] == 4


def _statements_of(session: Session, request: Any) -> list[str]:
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        request()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    return statements


def test_a_fresh_rollup_means_a_few_statements_and_no_read_of_the_usage_records(
    books: Books, session: Session
) -> None:
    def read() -> None:
        books.aggregates(books.small_cap)
        books.client.get("/v1/admin/aggregates").raise_for_status()

    read()  # brings the rollup up to date
    first = _statements_of(session, read)
    assert first and not [s for s in first if "usage_record" in s]
    for n in range(20):  # more records, more months: the same statements
        books.post(books.providers[0], f"more-{n}", "hongshan", "1.00", "2026-06-14")
    books.client.app.state.clock = lambda: NOW + timedelta(seconds=ROLLUP_SECONDS)  # type: ignore[attr-defined]
    read()
    assert len(_statements_of(session, read)) == len(first)


def test_the_burn_down_follows_the_pools_postings(books: Books, session: Session) -> None:
    pool = session.scalar(
        select(Pool).join(Program, Program.id == Pool.program_id).where(Program.code == books.other)
    )
    assert pool is not None and pool.id is not None
    account = str(accounts.pool(pool.id))
    rows = list(
        session.scalars(
            select(LedgerPosting).where(
                or_(LedgerPosting.from_account == account, LedgerPosting.to_account == account)
            )
        )
    )
    first, last = min(p.created_at for p in rows), max(p.created_at for p in rows)
    assert balances_at(session, accounts.pool(pool.id), [first, last + timedelta(seconds=1)]) == [
        None,  # the pool not yet opened
        pool.available_fen,
    ]
    # Seen from a month after the postings (they carry the wall clock's time): each month of
    # the pool's year ends with what its postings left, or None before the pool was opened.
    later = utcnow() + timedelta(days=40)
    books.client.app.state.clock = lambda: later  # type: ignore[attr-defined]
    tz = get_settings().tz
    for month in books.aggregates(books.other)["by_month"]:
        year, number = (int(x) for x in month["month"].split("-"))
        end = datetime.combine(
            datetime(year + number // 12, number % 12 + 1, 1).date(), time(), tz
        ).astimezone(UTC)
        before = [p for p in rows if p.created_at < end]
        expected = (
            sum(p.amount_fen if p.to_account == account else -p.amount_fen for p in before)
            if before
            else None
        )
        shown = month["available_at_end_yuan"]
        assert (Decimal(shown) * 100 if shown is not None else None) == expected, month


def test_every_pool_in_one_list(books: Books) -> None:
    listed = books.client.get("/v1/admin/aggregates").json()
    assert listed["next_cursor"] is None
    for item in listed["items"]:
        pool = books.client.get(f"/v1/admin/programs/{item['program_code']}/pools/{item['year']}")
        assert {k: v for k, v in pool.json().items() if k in item} == {
            k: v for k, v in item.items() if k != "program_name"
        }
    assert {i["program_code"] for i in listed["items"]} == {books.small_cap, books.other}


def test_who_may_read_them(books: Books) -> None:
    path = f"/v1/admin/programs/{books.small_cap}/pools/2026/aggregates"
    for role in (Role.BUREAU_REVIEWER, Role.AUDITOR):
        key = books.client.key(role, f"a {role.value}")
        assert books.client.get(path, headers={"Authorization": f"Bearer {key}"}).status_code == 200
    enterprise = books.client.key(Role.ENTERPRISE, books.enterprises["city"])
    refused = books.client.get(path, headers={"Authorization": f"Bearer {enterprise}"})
    assert refused.status_code == 403
    assert books.client.get(path, headers={"Authorization": ""}).status_code == 401
    missing = books.client.get("/v1/admin/programs/NO-SUCH/pools/2026/aggregates")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "program_not_found"
    no_pool = books.client.get(f"/v1/admin/programs/{books.small_cap}/pools/2031/aggregates")
    assert no_pool.status_code == 404 and no_pool.json()["error"]["code"] == "pool_not_found"
