"""Pure rules of the program's paperwork: what a document is by its content, and the
working days of a public notice (公示). No I/O."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

# A document's type is read from its first bytes (its "magic number"), never from its name
# or the content type a client claims: a renamed executable is not a PDF.
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def media_type_of(content: bytes) -> str | None:
    """The media type the content's first bytes say (PDF, PNG or JPEG), or None."""
    for magic, media_type in MAGIC:
        if content.startswith(magic):
            return media_type
    return None


def is_working_day(day: date, holidays: Collection[date]) -> bool:
    """Monday to Friday, less the configured public holidays."""
    return day.weekday() < 5 and day not in holidays


def next_working_day(day: date, holidays: Collection[date]) -> date:
    """``day`` itself if it is a working day, else the first one after it."""
    while not is_working_day(day, holidays):
        day += timedelta(days=1)
    return day


def notice_period(
    approved_on: date, working_days: int, holidays: Collection[date]
) -> tuple[date, date]:
    """A notice approved on ``approved_on`` runs from the next working day for
    ``working_days`` working days: its first and last day (both included). The public sees
    it for whole days: it never starts on the day of the decision."""
    if working_days < 1:
        raise ValueError(f"a notice lasts at least one working day, not {working_days}")
    start = next_working_day(approved_on + timedelta(days=1), holidays)
    end = start
    for _ in range(working_days - 1):
        end = next_working_day(end + timedelta(days=1), holidays)
    return start, end
