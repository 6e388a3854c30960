"""Programs with their top-up layers, proposals to change a layer through the confirmation
flow, and a district's own view of its top-up spending."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import (
    ADMIN,
    REVIEWER,
    Browser,
    People,
    keys_in,
    make_pool,
    make_program,
    make_top_up,
    post_form,
    section,
)
from voucher_service.db.tables.confirmations import Confirmation

PROGRAMS = "/console/bureau/programs"


def _stack(session: Session) -> None:
    base = make_program(session, code="M2-T")
    make_pool(session, base)
    top = make_program(
        session,
        code="HS-T",
        region_prefix="420111",
        rate_bp=2000,
        cap_fen=50_000_00,
        valid_from=date(2026, 1, 1),
        valid_to=date(2026, 12, 31),
    )
    make_top_up(session, top, base)
    make_pool(session, top, total_fen=2_000_000_00)
    make_program(
        session,
        code="JA-T",
        region_prefix="420102",
        valid_from=date(2026, 1, 1),
        valid_to=date(2026, 12, 31),
    )
    session.commit()


def _proposals(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Confirmation)) or 0)


def test_each_program_shows_its_layers_and_districts_their_spending(
    browser: Browser, people: People, session: Session
) -> None:
    _stack(session)
    reader = browser(REVIEWER)
    listing = reader.get(PROGRAMS).text
    assert {"M2-T", "HS-T", "JA-T"} <= set(keys_in(listing, "programs"))
    base = reader.get(f"{PROGRAMS}/M2-T").text
    assert keys_in(base, "layers") == ["HS-T"]
    layer = section(base, "layers")
    for shown in ("洪山区", "20.00%", "¥50,000.00", "70.00%", "¥2,000,000.00"):
        assert shown in layer, shown
    assert 'href="/console/bureau/districts/420111"' in layer
    top = reader.get(f"{PROGRAMS}/HS-T").text
    assert "叠加于 M2-T" in top and "声明区级叠加" in section(top, "history")
    assert 'id="top-up-form"' not in top  # proposing is program administration's

    district = reader.get("/console/bureau/districts/420111").text
    pool = section(district, "program-HS-T")
    assert "¥2,000,000.00" in pool and 'data-figure="enterprises">0<' in pool
    assert keys_in(district, "months-HS-T-2026")[:2] == ["2026-01", "2026-02"]
    assert reader.get("/console/bureau/districts/999999").status_code == 404
    assert "洪山区" in reader.get("/console/bureau/districts").text


def test_a_layer_is_proposed_for_a_second_administrator(
    browser: Browser, people: People, session: Session
) -> None:
    _stack(session)
    admin = browser(ADMIN)
    page = f"{PROGRAMS}/JA-T"
    assert 'id="top-up-form"' in admin.get(page).text
    before = _proposals(session)
    for ceiling in ("abc", "0", "100.001"):
        refused = post_form(
            admin, page, f"{page}/top-up", base="M2-T", stack_order="2", ceiling=ceiling
        )
        assert refused.status_code == 422, ceiling
    assert _proposals(session) == before
    taken = post_form(admin, page, f"{page}/top-up", base="M2-T", stack_order="1", ceiling="70")
    assert taken.status_code == 409 and _proposals(session) == before  # HS-T holds order 1
    done = post_form(admin, page, f"{page}/top-up", base="M2-T", stack_order="2", ceiling="70")
    assert done.status_code == 303 and done.headers["location"].endswith("?done=proposed")
    assert _proposals(session) == before + 1
    assert "提请复核" in section(admin.get(page).text, "history")
    refused = post_form(browser(REVIEWER), page, f"{page}/top-up", base="M2-T", ceiling="70")
    assert refused.status_code in (403, 404)
