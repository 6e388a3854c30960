"""Typed dependencies, declared once and reused by every router."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from voucher_service.config import Settings, get_settings
from voucher_service.db.session import session_dependency
from voucher_service.db.types import utcnow
from voucher_service.pagination import PageParams, page_params

SessionDep = Annotated[Session, Depends(session_dependency)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PageDep = Annotated[PageParams, Depends(page_params)]


def now() -> datetime:
    """The current instant (UTC). One dependency, so tests can fix the clock."""
    return utcnow()


NowDep = Annotated[datetime, Depends(now)]


def today(settings: SettingsDep, moment: NowDep) -> date:
    """Today in the program's timezone, by the request's clock (fixed in tests)."""
    return settings.today(moment)


TodayDep = Annotated[date, Depends(today)]
