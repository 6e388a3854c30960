"""A cap per subsidy year beside the lifetime cap (issue 25 item 2: Henan's 每年最高100万元 under
a cap over the window): a subsidy counts against its year's counter and the lifetime counter,
is granted up to the smaller room left, and a refund gives both back. The program here pays
50% of fees, at most 300.00 a subsidy year and 700.00 over its three years; the window starts
on 1 January 2026, so its subsidy years are the calendar years 2026, 2027 and 2028."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import make_enterprise, make_pool, make_program, make_top_up, uscc
from tests.usage.test_caps_and_refunds import ingest, report
from voucher_service.aggregates.service import near_cap
from voucher_service.books import verify_ledger
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.programs import Program
from voucher_service.db.tables.providers import Provider
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.domain.rules import CapScope, Rules, RulesError, Window, cap_limits
from voucher_service.domain.usage import AdjustmentReport
from voucher_service.enterprises.service import subsidy_status
from voucher_service.errors import CapExceeded
from voucher_service.ledger import counters
from voucher_service.ledger.counters import CapKey
from voucher_service.programs.service import rule_versions
from voucher_service.providers.service import register_provider
from voucher_service.redemptions.service import redeem
from voucher_service.usage import repository
from voucher_service.usage.adjustments import adjust_usage
from voucher_service.usage.rows import UsageRow
from voucher_service.vouchers.service import expire_vouchers, issue_voucher

YEAR_CAP, LIFETIME_CAP = 300_00, 700_00
YEARS = (2026, 2027, 2028)


def program_with_both_caps(session: Session, **changes: object) -> Program:
    values: dict[str, object] = {
        "valid_from": date(2026, 1, 1),
        "valid_to": date(2028, 12, 31),
        "cap_fen": LIFETIME_CAP,
        "year_cap_fen": YEAR_CAP,
        **changes,
    }
    program = make_program(session, **values)  # type: ignore[arg-type]
    for year in YEARS:
        make_pool(session, program, year=year, total_fen=10_000_00, today=date(2026, 1, 1))
    return program


def holder_and_provider(session: Session) -> tuple[Enterprise, Provider]:
    provider = register_provider(
        session, uscc=uscc(division="420100"), name="provider", offerings=[]
    )
    return make_enterprise(session), provider


def voucher_of(
    session: Session,
    program: Program,
    enterprise: Enterprise,
    provider: Provider,
    year: int,
    fen: int,
) -> Voucher:
    """The year's voucher, issued on 1 January (the year before's expired first)."""
    expire_vouchers(session, today=date(year, 1, 1), grace_days=0)
    voucher = issue_voucher(
        session,
        program=program,
        year=year,
        enterprise=enterprise,
        face_value_fen=fen,
        today=date(year, 1, 1),
    )
    redeem(session, enterprise=enterprise, voucher_code=voucher.code, provider=provider)
    return voucher


def used(session: Session, voucher: Voucher, period: int) -> int:
    return counters.cap_used_fen(session, CapKey(voucher.enrolment_id, period))


def layers_of(session: Session, record: UsageRow[int] | None) -> list[UsageRow[int]]:
    assert record is not None
    return repository.top_up_records(session, {record.id}).get(record.id, [])


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def test_the_rules_count_a_year_and_the_window() -> None:
    rules = Rules(
        1, date(2026, 1, 1), 5000, LIFETIME_CAP, CapScope.LIFETIME, 36, 0, year_cap_fen=YEAR_CAP
    )
    window = Window.starting(date(2026, 1, 1), 36)
    limits = cap_limits(rules, window, date(2027, 6, 1))
    assert [(limit.period, limit.cap_fen) for limit in limits] == [(2, YEAR_CAP), (0, LIFETIME_CAP)]
    # Without a year cap, one counter as before: the lifetime's, or the year's.
    assert [
        (lim.period, lim.cap_fen)
        for lim in cap_limits(
            rules.__class__(1, date(2026, 1, 1), 5000, LIFETIME_CAP, CapScope.PER_YEAR, 36, 0),
            window,
            date(2028, 1, 1),
        )
    ] == [(3, LIFETIME_CAP)]
    for scope, year_cap in (
        (CapScope.PER_YEAR, YEAR_CAP),  # a year cap beside a per-year cap: meaningless
        (CapScope.LIFETIME, LIFETIME_CAP + 1),  # above the lifetime cap
        (CapScope.LIFETIME, 0),
    ):
        with pytest.raises(RulesError):
            Rules(1, date(2026, 1, 1), 5000, LIFETIME_CAP, scope, 36, 0, year_cap_fen=year_cap)


def test_a_year_cap_hit_in_year_one_is_fresh_in_year_two_until_the_lifetime_cap_binds(
    session: Session,
) -> None:
    program = program_with_both_caps(session)
    enterprise, provider = holder_and_provider(session)
    holder = enterprise.uscc

    # Year 1: 50% of 1,000.00 would be 500.00; the year's cap pays 300.00, then nothing more.
    v1 = voucher_of(session, program, enterprise, provider, 2026, YEAR_CAP)
    first, more = ingest(
        session,
        provider,
        [
            report("y1-a", v1, holder, date(2026, 3, 1), 1_000_00),
            report("y1-b", v1, holder, date(2026, 4, 1), 100_00),
        ],
        at(date(2026, 4, 2)),
    )
    assert (first.record.subsidy_fen, first.record.reason, first.record.cap_period) == (
        YEAR_CAP,
        "cap_reached",
        1,
    )
    assert (more.record.subsidy_fen, more.record.reason) == (0, "cap_reached")
    assert (used(session, v1, 1), used(session, v1, 0)) == (YEAR_CAP, YEAR_CAP)
    # A voucher for more of year 1 is refused: the year's cap binds.
    with pytest.raises(CapExceeded):
        issue_voucher(
            session,
            program=program,
            year=2026,
            enterprise=enterprise,
            face_value_fen=1,
            today=date(2026, 5, 1),
        )

    # Year 2: the year's counter is fresh; 300.00 again, the lifetime counter at 600.00.
    v2 = voucher_of(session, program, enterprise, provider, 2027, YEAR_CAP)
    [fresh] = ingest(
        session,
        provider,
        [report("y2-a", v2, holder, date(2027, 2, 1), 600_00)],
        at(date(2027, 2, 2)),
    )
    assert (fresh.record.subsidy_fen, fresh.record.reason, fresh.record.cap_period) == (
        YEAR_CAP,
        None,
        2,
    )
    assert (used(session, v2, 2), used(session, v2, 0)) == (YEAR_CAP, 2 * YEAR_CAP)

    # Year 3: the year's cap would allow 300.00, the lifetime cap 100.00: the lifetime binds.
    status = subsidy_status(session, enterprise, program, today=date(2028, 1, 1))
    assert (status.cap_period, status.binding_cap_fen, status.cap_used_fen) == (
        0,
        LIFETIME_CAP,
        2 * YEAR_CAP,
    )
    assert status.cap_remaining_fen == status.issuable_fen == 100_00
    with pytest.raises(CapExceeded):
        voucher_of(session, program, enterprise, provider, 2028, 100_01)
    v3 = voucher_of(session, program, enterprise, provider, 2028, 100_00)
    [last] = ingest(
        session,
        provider,
        [report("y3-a", v3, holder, date(2028, 3, 1), 1_000_00)],
        at(date(2028, 3, 2)),
    )
    assert (last.record.subsidy_fen, last.record.cap_period) == (100_00, 3)
    assert (used(session, v3, 3), used(session, v3, 0)) == (100_00, LIFETIME_CAP)
    assert verify_ledger(session) == []

    # A refund of year 1's record gives back its year's counter and the lifetime counter,
    # never another year's: 400.00 of its 1,000.00 fee refunded, 600.00 left earns 300.00
    # still (the cap held it there), so nothing comes back; all of it: 300.00 back.
    for record_id, refund, back in (("r-1", 400_00, 0), ("r-2", 600_00, YEAR_CAP)):
        adjusted = adjust_usage(
            session,
            provider,
            AdjustmentReport(
                record_id=record_id, adjusts_record_id="y1-a", refund_fen=refund, reason="refund"
            ),
            now=at(date(2028, 4, 1)),
        )
        assert adjusted.record.subsidy_fen == -back
    assert [used(session, v1, period) for period in (0, 1, 2, 3)] == [
        LIFETIME_CAP - YEAR_CAP,
        0,
        YEAR_CAP,
        100_00,
    ]
    assert verify_ledger(session) == []
    # The refund's room is the lifetime's again: 300.00 more this year (the year's cap
    # leaves 200.00 of it).
    status = subsidy_status(session, enterprise, program, today=date(2028, 4, 1))
    assert (status.cap_period, status.binding_cap_fen, status.cap_remaining_fen) == (
        3,
        YEAR_CAP,
        200_00,
    )


def test_a_stacked_top_up_counts_its_own_year_and_lifetime_caps(session: Session) -> None:
    city = program_with_both_caps(session, cap_fen=10_000_00, year_cap_fen=None)
    district = program_with_both_caps(session, rate_bp=2000, cap_fen=150_00, year_cap_fen=100_00)
    make_top_up(session, district, city, ceiling_bp=10_000, today=date(2026, 1, 1))
    enterprise, provider = holder_and_provider(session)
    base = voucher_of(session, city, enterprise, provider, 2026, 5_000_00)
    layer = voucher_of(session, district, enterprise, provider, 2026, 100_00)
    [first] = ingest(
        session,
        provider,
        [report("s-1", base, enterprise.uscc, date(2026, 3, 1), 1_000_00)],
        at(date(2026, 3, 2)),
    )
    assert first.record.subsidy_fen == 500_00
    [top] = layers_of(session, first.record)
    assert (top.subsidy_fen, top.reason, top.cap_period) == (100_00, "cap_reached", 1)
    assert (used(session, layer, 1), used(session, layer, 0)) == (100_00, 100_00)
    # Its second year: fresh for the year, 50.00 left of its lifetime cap.
    base2 = voucher_of(session, city, enterprise, provider, 2027, 5_000_00)
    layer2 = voucher_of(session, district, enterprise, provider, 2027, 50_00)
    [second] = ingest(
        session,
        provider,
        [report("s-2", base2, enterprise.uscc, date(2027, 3, 1), 1_000_00)],
        at(date(2027, 3, 2)),
    )
    [top2] = layers_of(session, second.record)
    assert (top2.subsidy_fen, top2.cap_period) == (50_00, 2)
    assert (used(session, layer2, 2), used(session, layer2, 0)) == (50_00, 150_00)
    # A refund of the whole first fee gives the district's year 1 and lifetime back.
    adjust_usage(
        session,
        provider,
        AdjustmentReport(
            record_id="s-1-r", adjusts_record_id="s-1", refund_fen=1_000_00, reason="refund"
        ),
        now=at(date(2027, 4, 1)),
    )
    assert [used(session, layer, period) for period in (0, 1, 2)] == [50_00, 0, 50_00]
    assert verify_ledger(session) == []


def test_near_cap_counts_a_per_year_cap_in_the_current_year_only(session: Session) -> None:
    """The per-year near-cap rule: an enterprise near its cap in an earlier subsidy year is
    not near it in a fresh one; beside a lifetime cap, either counter counts, the fuller
    named."""
    per_year = program_with_both_caps(
        session, cap_fen=YEAR_CAP, cap_scope=CapScope.PER_YEAR, year_cap_fen=None
    )
    both = program_with_both_caps(session)
    enterprise, provider = holder_and_provider(session)
    for program in (per_year, both):
        voucher = voucher_of(session, program, enterprise, provider, 2026, YEAR_CAP)
        ingest(
            session,
            provider,
            [report(f"n-{program.code}", voucher, enterprise.uscc, date(2026, 3, 1), 500_00)],
            at(date(2026, 3, 2)),
        )  # 250.00 of 300.00: 83%, past the 80% share
    found, count = near_cap(session, per_year, today=date(2026, 6, 1))
    assert count == 1 and [(n.used_fen, n.cap_fen) for n in found] == [(250_00, YEAR_CAP)]
    # In 2027 (subsidy year 2) its counter is fresh: not near.
    assert near_cap(session, per_year, today=date(2027, 6, 1)) == ([], 0)
    # Beside the lifetime cap of 700.00 (250.00 used: 36%), the year's counter is near.
    found, _ = near_cap(session, both, today=date(2026, 6, 1))
    assert [(n.used_fen, n.cap_fen, n.used_bp) for n in found] == [(250_00, YEAR_CAP, 8333)]
    assert near_cap(session, both, today=date(2027, 6, 1)) == ([], 0)
    assert verify_ledger(session) == []


def test_the_api_takes_and_shows_a_year_cap_and_refuses_nonsense(client: TestClient) -> None:
    rules = {
        "effective_from": "2025-03-19",
        "rate_bp": 2000,
        "cap_yuan": "2000000.00",
        "cap_scope": "lifetime",
        "year_cap_yuan": "1000000.00",
        "window_months": 36,
    }
    body = {
        "code": "HENAN-LIKE",
        "name": "每年100万元、累计200万元",
        "valid_from": "2025-03-19",
        "valid_to": "2027-03-18",
        "rules": rules,
    }
    created = client.post("/v1/admin/programs", json=body)
    assert created.status_code == 201, created.text
    [version] = created.json()["rules"]
    assert (version["cap_yuan"], version["year_cap_yuan"]) == ("2000000.00", "1000000.00")
    for bad in (
        {"cap_scope": "per_year"},
        {"year_cap_yuan": "2000000.01"},
        {"year_cap_yuan": "0.00"},
    ):
        refused = client.post(
            "/v1/admin/programs", json={**body, "code": "BAD", "rules": {**rules, **bad}}
        )
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.json()["error"]["code"] in ("invalid_rules", "invalid_input")
    assert client.get("/v1/admin/programs/BAD").status_code == 404
    # A new version proposes the change of the year cap by name.
    proposed = client.post(
        "/v1/admin/programs/HENAN-LIKE/rules",
        json={**rules, "effective_from": "2027-01-01", "year_cap_yuan": None},
    )
    assert proposed.status_code in (200, 201, 202), proposed.text
    assert "year_cap_fen 1000000.00 -> none" in proposed.json()["summary"]


def test_a_program_file_takes_a_year_cap(session: Session) -> None:
    from tests.programs.test_files import load
    from voucher_service.programs import files

    text = (
        'code = "HENAN-FILE"\nname = "每年100万元、累计200万元"\n'
        "valid_from = 2026-01-01\nvalid_to = 2028-12-31\n\n[[rules]]\n"
        'effective_from = 2026-01-01\nrate_bp = 2000\ncap_yuan = "2000000.00"\n'
        'cap_scope = "lifetime"\nyear_cap_yuan = "1000000.00"\nwindow_months = 36\n'
    )
    program = load(session, files.read(text))
    [version] = rule_versions(session, program.id)
    assert (version.cap_fen, version.year_cap_fen) == (2_000_000_00, 1_000_000_00)
    assert files.plan(session, files.read(text)).settled  # the service holds it as written
    bad = text.replace('cap_scope = "lifetime"', 'cap_scope = "per_year"')
    assert not files.plan(session, files.read(bad)).settled  # a version never changes
