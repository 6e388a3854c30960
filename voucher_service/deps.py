"""Typed dependencies, declared once and reused by every router."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from voucher_service.config import Settings, get_settings
from voucher_service.db.session import session_dependency
from voucher_service.pagination import PageParams, page_params

SessionDep = Annotated[Session, Depends(session_dependency)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PageDep = Annotated[PageParams, Depends(page_params)]


def today(settings: SettingsDep) -> date:
    """Today in the program's timezone (Asia/Shanghai by default), not the server's."""
    return settings.today()


TodayDep = Annotated[date, Depends(today)]
