"""The program page shows each rule version's cap per year beside its lifetime cap (issue 25
item 2), as the API does."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.factories import REVIEWER, Browser, People, make_program, section


def test_the_program_page_shows_the_cap_per_year(
    browser: Browser, people: People, session: Session
) -> None:
    make_program(session, code="YEAR-T", cap_fen=2_000_000_00, year_cap_fen=1_000_000_00)
    make_program(session, code="LIFE-T", cap_fen=2_000_000_00)
    session.commit()
    reader = browser(REVIEWER)
    both = section(reader.get("/console/bureau/programs/YEAR-T").text, "versions")
    assert "每年封顶额" in both and "¥1,000,000.00" in both and "¥2,000,000.00" in both
    lifetime = section(reader.get("/console/bureau/programs/LIFE-T").text, "versions")
    assert "每年封顶额" in lifetime and "¥1,000,000.00" not in lifetime
