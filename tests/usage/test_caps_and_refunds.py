"""The cap under a rule change, per-year caps, and refunds after a voucher has closed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from tests.factories import make_enterprise, make_pool, make_program, make_rule_version, uscc
from voucher_service.books import verify_ledger
from voucher_service.db.tables.programs import Pool, Program
from voucher_service.db.tables.providers import Provider
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.domain.rules import CapScope
from voucher_service.domain.usage import AdjustmentReport, UsageReport
from voucher_service.programs.service import RuleNumbers
from voucher_service.providers.service import register_provider
from voucher_service.redemptions.service import redeem
from voucher_service.usage.adjustments import adjust_usage
from voucher_service.usage.service import ingest_usage
from voucher_service.vouchers.service import expire_vouchers, issue_voucher

TZ = ZoneInfo("Asia/Shanghai")


def report(record_id: str, voucher: Voucher, uscc: str, day: date, fee_fen: int) -> UsageReport:
    start = datetime(day.year, day.month, day.day, 9, tzinfo=TZ)
    return UsageReport(
        record_id=record_id,
        voucher_code=voucher.code,
        uscc=uscc,
        resource_kind="cpu",
        resource_model="Kunpeng 920",
        quantity=Decimal(1),
        unit="core_hour",
        unit_price_fen=fee_fen,
        fee_fen=fee_fen,
        service_start=start,
        service_end=start + timedelta(hours=1),
    )


def setup(session: Session, **program: object) -> tuple[Provider, Voucher, str]:
    p = make_program(session, **program)  # type: ignore[arg-type]
    make_pool(session, p, year=2026, total_fen=10_000_000_00)
    enterprise = make_enterprise(session)
    voucher = issue_voucher(
        session,
        program=p,
        year=2026,
        enterprise=enterprise,
        face_value_fen=int(program.get("cap_fen", 200_000_00)),  # type: ignore[call-overload]
        today=date(2026, 1, 1),
    )
    provider = register_provider(
        session, uscc=uscc(division="420100"), name="provider", offerings=[]
    )
    redeem(session, enterprise=enterprise, voucher_code=voucher.code, provider=provider)
    return provider, voucher, enterprise.uscc


def ingest(session: Session, provider: Provider, reports: list[UsageReport], now: datetime):  # type: ignore[no-untyped-def]
    return ingest_usage(session, provider, reports, now=now, tz=TZ, grace_days=30)


def test_a_lowered_cap_applies_from_its_date_and_never_reprices(session: Session) -> None:
    provider, voucher, holder = setup(session, cap_fen=1_000_00)
    [early] = ingest(
        session,
        provider,
        [report("a", voucher, holder, date(2026, 3, 1), 1_000_00)],
        datetime(2026, 3, 2, tzinfo=UTC),
    )
    assert early.record.subsidy_fen == 500_00 and early.record.rule_version == 1
    make_rule_version(
        session,
        session.get(Program, voucher.program_id),  # type: ignore[arg-type]
        RuleNumbers(
            effective_from=date(2026, 4, 1),
            rate_bp=5000,
            cap_fen=600_00,
            cap_scope=CapScope.LIFETIME,
            window_months=36,
            pool_minimum_fen=0,
        ),
        today=date(2026, 3, 2),
    )
    [late] = ingest(
        session,
        provider,
        [report("b", voucher, holder, date(2026, 4, 2), 1_000_00)],
        datetime(2026, 4, 3, tzinfo=UTC),
    )
    assert (late.record.subsidy_fen, late.record.reason, late.record.rule_version) == (
        100_00,
        "cap_reached",
        2,
    )
    [replay] = ingest(
        session,
        provider,
        [report("a", voucher, holder, date(2026, 3, 1), 1_000_00)],
        datetime(2026, 5, 1, tzinfo=UTC),
    )
    assert (
        replay.replayed and replay.record.subsidy_fen == 500_00 and replay.record.rule_version == 1
    )
    assert verify_ledger(session) == []


def test_per_year_cap_counts_each_subsidy_year(session: Session) -> None:
    provider, voucher, holder = setup(session, cap_fen=300_00, cap_scope=CapScope.PER_YEAR)
    results = ingest(
        session,
        provider,
        [
            report("y1-a", voucher, holder, date(2026, 2, 1), 500_00),  # 250 of 300
            report("y1-b", voucher, holder, date(2026, 3, 1), 500_00),  # 50 left this year
        ],
        datetime(2026, 3, 2, tzinfo=UTC),
    )
    assert [r.record.subsidy_fen for r in results] == [250_00, 50_00]
    assert results[1].record.reason == "cap_reached" and results[1].record.cap_period == 1
    assert verify_ledger(session) == []


def test_refund_after_expiry_returns_to_the_pool(session: Session) -> None:
    provider, voucher, holder = setup(session, cap_fen=1_000_00)
    [record] = ingest(
        session,
        provider,
        [report("x", voucher, holder, date(2026, 12, 30), 400_00)],
        datetime(2026, 12, 31, tzinfo=UTC),
    )
    assert record.record.subsidy_fen == 200_00
    run = expire_vouchers(session, today=date(2027, 2, 1), grace_days=30)
    assert (run.expired, run.released_fen) == (1, 800_00)
    pool = session.get(Pool, voucher.pool_id, populate_existing=True)
    available = pool.available_fen  # type: ignore[union-attr]
    adjusted = adjust_usage(
        session,
        provider,
        AdjustmentReport("x-refund", "x", 400_00, "cancelled"),
        now=datetime(2027, 2, 2, tzinfo=UTC),
    )
    assert adjusted.record.subsidy_fen == -200_00
    session.refresh(voucher)
    assert (voucher.balance_fen, voucher.subsidised_fen, voucher.released_fen) == (0, 0, 1_000_00)
    assert (
        session.get(Pool, voucher.pool_id, populate_existing=True).available_fen
        == available + 200_00
    )  # type: ignore[union-attr]
    assert verify_ledger(session) == []
