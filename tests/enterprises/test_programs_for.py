"""Which programs concern an enterprise (its console status page shows them)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from tests.factories import make_enterprise, make_pool, make_program, make_selection, make_voucher
from voucher_service.enterprises.service import programs_for

TODAY = date(2026, 6, 15)


def test_enrolled_open_in_region_and_selected_programs(session: Session) -> None:
    hongshan = make_enterprise(session, division="420111")
    measure_2 = make_program(session, code="M2")
    make_pool(session, measure_2)
    measure_3 = make_program(session, code="M3", requires_selection=True)
    make_pool(session, measure_3)
    district = make_program(session, code="HS", region_prefix="420111")
    elsewhere = make_program(session, code="JX", region_prefix="420115")
    ended = make_program(
        session, code="OLD", valid_from=date(2025, 1, 1), valid_to=date(2025, 12, 31)
    )
    make_pool(session, ended, year=2025, today=date(2025, 1, 1))
    assert [p.code for p in programs_for(session, hongshan, today=TODAY)] == ["M2", "HS"]

    # selected for measure 3: it concerns the enterprise from then on
    make_selection(session, program=measure_3, enterprise=hongshan)
    assert [p.code for p in programs_for(session, hongshan, today=TODAY)] == ["M2", "M3", "HS"]

    # a program that has ended concerns those who hold (or held) its vouchers, and no one else
    make_voucher(
        session,
        program=ended,
        enterprise=hongshan,
        face_value_fen=100_00,
        year=2025,
        today=date(2025, 6, 1),
    )
    codes = [p.code for p in programs_for(session, hongshan, today=TODAY)]
    assert codes == ["M2", "M3", "HS", "OLD"]
    wuchang = make_enterprise(session, division="420106")
    assert [p.code for p in programs_for(session, wuchang, today=TODAY)] == ["M2"]
    assert elsewhere.code not in codes and district.code in codes
