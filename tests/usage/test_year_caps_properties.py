"""Property: for any sequence of fees and refunds on any dates across a three-year window, on a
program with a cap per subsidy year beside its lifetime cap, alone or with a district top-up
stacked on it (which has its own year and lifetime caps), and whether or not the yearly review
lowers the caps in year 2: no subsidy exceeds its rate on the fee (nor the stack its ceiling),
no subsidy takes a counter past the cap in force, and every cap counter equals the net of the
postings counted against it. The window starts on the first fee's day, so the pools' calendar
years and the subsidy years seldom line up: a year's voucher prices days of two subsidy years,
and one issued before a lowered cap holds more than the cap then leaves (the caps, not the
voucher, bind)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import (
    make_enterprise,
    make_pool,
    make_program,
    make_rule_version,
    make_top_up,
    uscc,
)
from tests.usage.test_caps_and_refunds import ingest, report
from voucher_service.books import verify_ledger
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.ledger import CapUsage, LedgerPosting, PostingKind
from voucher_service.db.tables.programs import Program, RuleVersion
from voucher_service.db.tables.providers import Provider
from voucher_service.db.tables.usage import UsageRecord
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.domain.rules import CapScope, Window, cap_limits, full_subsidy_fen
from voucher_service.domain.usage import AdjustmentReport
from voucher_service.enterprises.service import get_enrolment, subsidy_status
from voucher_service.ledger import counters
from voucher_service.ledger.counters import CapKey
from voucher_service.programs.service import RuleNumbers, rules_in_force
from voucher_service.providers.service import register_provider
from voucher_service.redemptions.service import redeem
from voucher_service.usage import repository
from voucher_service.usage.adjustments import adjust_usage
from voucher_service.vouchers.service import expire_vouchers, issue_voucher

FIRST_DAY = date(2026, 1, 1)
DAYS = (date(2028, 12, 31) - FIRST_DAY).days
CEILING_BP = 6000
LOWERED = {1: (200_00, 500_00), 2: (300_00, 450_00)}  # (a year, in all) from July 2027

operations = st.lists(
    st.one_of(
        st.tuples(st.just("fee"), st.integers(0, DAYS), st.integers(1, 900_00)),
        st.tuples(st.just("refund"), st.integers(0, DAYS), st.integers(1, 10_000)),
    ),
    min_size=3,
    max_size=14,
)


@dataclass
class World:
    city: Program
    district: Program | None
    enterprise: Enterprise
    provider: Provider
    vouchers: dict[int, list[Voucher]] = field(default_factory=dict)  # pool year -> vouchers
    fees: dict[str, int] = field(default_factory=dict)  # usage record id -> fee left


def build(session: Session, stacked: bool, lowered: int) -> World:
    validity = {"valid_from": date(2026, 1, 1), "valid_to": date(2028, 12, 31)}
    city = make_program(session, cap_fen=700_00, year_cap_fen=300_00, **validity)  # type: ignore[arg-type]
    programs = [city]
    district = None
    if stacked:
        district = make_program(
            session,
            rate_bp=2000,
            cap_fen=150_00,
            year_cap_fen=80_00,
            **validity,  # type: ignore[arg-type]
        )
        make_top_up(session, district, city, ceiling_bp=CEILING_BP, today=date(2026, 1, 1))
        programs.append(district)
    for program in programs:
        for year in (2026, 2027, 2028):
            make_pool(session, program, year=year, total_fen=100_000_00, today=date(2026, 1, 1))
    if lowered:  # the yearly review, from July 2027: the year's or the lifetime cap lowered
        year_cap, lifetime_cap = LOWERED[lowered]
        numbers = RuleNumbers(
            effective_from=date(2027, 7, 1),
            rate_bp=5000,
            cap_fen=lifetime_cap,
            cap_scope=CapScope.LIFETIME,
            window_months=36,
            pool_minimum_fen=0,
            year_cap_fen=year_cap,
        )
        make_rule_version(session, city, numbers, today=date(2026, 1, 1))
    provider = register_provider(
        session, uscc=uscc(division="420100"), name="provider", offerings=[]
    )
    return World(city, district, make_enterprise(session, division="420111"), provider)


def vouchers_for(session: Session, world: World, day: date) -> list[Voucher]:
    """The vouchers of ``day``'s pool year (the year before's expired first), issued on the
    year's first operation for as much as the enterprise may still receive."""
    if day.year in world.vouchers:
        return world.vouchers[day.year]
    expire_vouchers(session, today=date(day.year, 1, 1), grace_days=0)
    issued = []
    for program in filter(None, (world.city, world.district)):
        room = subsidy_status(session, world.enterprise, program, today=day).issuable_fen
        if room:
            voucher = issue_voucher(
                session,
                program=program,
                year=day.year,
                enterprise=world.enterprise,
                face_value_fen=room,
                today=day,
            )
            redeem(
                session,
                enterprise=world.enterprise,
                voucher_code=voucher.code,
                provider=world.provider,
            )
            issued.append(voucher)
    world.vouchers[day.year] = issued
    return issued


def rooms(
    session: Session, program: Program, voucher: Voucher, day: date
) -> list[tuple[CapKey, int]]:
    """Each counter a subsidy on ``day`` counts against, and the room its cap leaves."""
    enrolment = get_enrolment(session, voucher.enterprise_id, program.id)
    assert enrolment is not None and enrolment.id is not None
    rules = rules_in_force(session, program, day)
    window = Window(enrolment.window_start, enrolment.window_end)
    found = []
    for limit in cap_limits(rules, window, day):
        key = CapKey(enrolment.id, limit.period)
        found.append((key, max(0, limit.cap_fen - counters.cap_used_fen(session, key))))
    return found


def price_one(session: Session, world: World, n: int, day: date, fee: int) -> None:
    vouchers = vouchers_for(session, world, day)
    base = [v for v in vouchers if v.program_id == world.city.id]
    if not base:
        return
    programs = {p.id: p for p in filter(None, (world.city, world.district))}
    before = {v.id: rooms(session, programs[v.program_id], v, day) for v in vouchers}
    used_before = {
        key: counters.cap_used_fen(session, key) for r in before.values() for key, _ in r
    }
    record_id = f"u-{n}"
    [done] = ingest(
        session,
        world.provider,
        [report(record_id, base[0], world.enterprise.uscc, day, fee)],
        datetime(day.year, day.month, day.day, 20, tzinfo=UTC),
    )
    assert done.record is not None
    world.fees[record_id] = fee
    rows = [
        done.record,
        *repository.top_up_records(session, {done.record.id}).get(done.record.id, []),
    ]
    total = 0
    for row in rows:
        assert row.voucher_id is not None
        rules = rules_in_force(
            session, programs[row.voucher_id and _program_of(vouchers, row.voucher_id)], day
        )
        # never above the layer's rate on the fee, nor the room of any cap it counts on
        assert 0 <= row.subsidy_fen <= full_subsidy_fen(fee, rules.rate_bp)
        for key, room in before[row.voucher_id]:
            assert row.subsidy_fen <= room, (key, room, row.subsidy_fen)
            assert counters.cap_used_fen(session, key) == used_before[key] + row.subsidy_fen
        total += row.subsidy_fen
        if row.reason:
            event(f"{'layer' if row.stack_layer else 'base'}: {row.reason}")
    assert total <= full_subsidy_fen(fee, CEILING_BP if len(rows) > 1 else 10_000)


def _program_of(vouchers: list[Voucher], voucher_id: int) -> int:
    return next(v.program_id for v in vouchers if v.id == voucher_id)


def refund_one(session: Session, world: World, n: int, day: date, share_bp: int) -> None:
    if not world.fees:
        return
    ids = sorted(world.fees)
    record_id = ids[n % len(ids)]
    refund = world.fees[record_id] * share_bp // 10_000
    if not refund:
        return
    adjust_usage(
        session,
        world.provider,
        AdjustmentReport(
            record_id=f"{record_id}-r{n}",
            adjusts_record_id=record_id,
            refund_fen=refund,
            reason="refund",
        ),
        now=datetime(day.year, day.month, day.day, 21, tzinfo=UTC),
    )
    world.fees[record_id] -= refund


def counters_from_postings(session: Session) -> dict[tuple[int, int], int]:
    """Per (enrolment, period): the net of the subsidy and reversal postings of the records
    counted on it — their cap period's, and the lifetime one beside a cap per year."""
    year_caps = {
        (program_id, version)
        for program_id, version in session.execute(
            select(RuleVersion.program_id, RuleVersion.version).where(
                RuleVersion.year_cap_fen.is_not(None)  # type: ignore[union-attr]
            )
        )
    }
    nets: dict[tuple[int, int], int] = defaultdict(int)
    for kind, amount, record in session.execute(
        select(LedgerPosting.kind, LedgerPosting.amount_fen, UsageRecord)
        .join(UsageRecord, UsageRecord.id == LedgerPosting.usage_record_id)
        .where(LedgerPosting.kind.in_([PostingKind.SUBSIDY, PostingKind.REVERSAL]))  # type: ignore[attr-defined]
    ):
        sign = 1 if kind == PostingKind.SUBSIDY else -1
        voucher = session.get(Voucher, record.voucher_id)
        assert voucher is not None and record.enrolment_id is not None
        nets[(record.enrolment_id, record.cap_period)] += sign * amount
        if record.cap_period and (voucher.program_id, record.rule_version) in year_caps:
            nets[(record.enrolment_id, 0)] += sign * amount
    return dict(nets)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations, st.booleans(), st.sampled_from([0, *LOWERED]))
@example(
    [("fee", 10, 900_00), ("fee", 200, 900_00), ("refund", 300, 10_000), ("fee", 400, 900_00)],
    True,
    1,
)
@example([("fee", d, 500_00) for d in (0, 100, 190, 370, 380, 740, 900)], False, 0)
# The lifetime cap binds before the voucher: 300.00 in 2026, a 2027 voucher of 300.00 issued in
# January, 100.00 spent before July, then 50.00 left of the lowered 450.00.
@example([("fee", 0, 600_00), ("fee", 370, 200_00), ("fee", 560, 600_00)], False, 2)
def test_year_and_lifetime_caps_hold_under_any_sequence(
    session: Session, ops: list[tuple[str, int, int]], stacked: bool, lowered: int
) -> None:
    savepoint = session.begin_nested()
    try:
        world = build(session, stacked, lowered)
        for n, (kind, offset, amount) in enumerate(sorted(ops, key=lambda op: op[1])):
            day = FIRST_DAY + timedelta(days=offset)
            if kind == "fee":
                price_one(session, world, n, day, amount)
            else:
                refund_one(session, world, n, day, amount)
        held = {
            (cap.enrolment_id, cap.period): cap.used_fen
            for cap in session.scalars(select(CapUsage))
            if cap.used_fen
        }
        assert held == {k: v for k, v in counters_from_postings(session).items() if v}
        assert verify_ledger(session) == []
    finally:
        savepoint.rollback()
