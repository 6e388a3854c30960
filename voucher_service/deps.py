"""Typed dependencies, declared once and reused by every router.

None of them does I/O, so all are ``async``: they run in the event loop with no thread hop
(``routing.py``). The request's session is a placeholder until the handler's thread opens the
real one; the clock is the instant the gate admitted the request (fixed in tests)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from voucher_service.config import Settings, get_settings
from voucher_service.pagination import PageParams, page_params
from voucher_service.routing import request_session

SessionDep = Annotated[Session, Depends(request_session)]


async def settings() -> Settings:
    """The service's settings (one dependency, so tests can change them)."""
    return get_settings()


SettingsDep = Annotated[Settings, Depends(settings)]
PageDep = Annotated[PageParams, Depends(page_params)]


async def now(request: Request) -> datetime:
    """The request's instant (UTC), read once by the gate from the app's clock."""
    moment: datetime = request.state.now
    return moment


NowDep = Annotated[datetime, Depends(now)]


async def today(settings: SettingsDep, moment: NowDep) -> date:
    """Today in the program's timezone, by the request's clock (fixed in tests)."""
    return settings.today(moment)


TodayDep = Annotated[date, Depends(today)]
