"""The public's pages, no sign-in: what stands in public notice (公示) with the objection
form, and the program's open figures. The same service calls as ``/public/v1``; the form
carries the CSRF token of a browser without a session (an anchor cookie, as the sign-in
form does) and is limited per address by the service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request

from voucher_service.console.pages import attempt, describe, redirect, translator
from voucher_service.console.templating import render
from voucher_service.console.viewer import CONSOLE
from voucher_service.deps import NowDep, SessionDep, TodayDep
from voucher_service.errors import ServiceError
from voucher_service.notices import figures, service
from voucher_service.pagination import PageParams
from voucher_service.programs.service import list_programs
from voucher_service.routing import DatabaseRoute

router = APIRouter(route_class=DatabaseRoute)
NOTICES = f"{CONSOLE}/public/notices"


def _notices(
    request: Request,
    session: SessionDep,
    *,
    error: ServiceError | None = None,
    form: dict[str, Any] | None = None,
) -> Any:
    sent = request.query_params.get("done") == "objection"
    return render(
        request,
        "public/notices.html",
        status_code=error.status if error else 200,
        notices=service.public_notices(session),
        error=describe(error, translator(request)) if error else None,
        notice=translator(request)("objection.sent") if sent else None,
        form=form or {},
    )


@router.get("/public/notices")
def notices_page(request: Request, session: SessionDep) -> Any:
    return _notices(request, session)


@router.post("/public/notices/{application_id}/objections")
def object_to(
    application_id: int,
    request: Request,
    session: SessionDep,
    today: TodayDep,
    now: NowDep,
    name: Annotated[str, Form(max_length=200)] = "",
    contact: Annotated[str, Form(max_length=400)] = "",
    text: Annotated[str, Form(max_length=4000)] = "",
) -> Any:
    refused = attempt(
        session,
        lambda: service.object_to(
            session,
            application_id,
            service.ObjectionInput(name, contact, text),
            client=str(getattr(request.state, "client", "")),
            today=today,
            now=now,
        ),
    )
    if refused is not None:
        form = {"application_id": application_id, "name": name, "contact": contact, "text": text}
        response = _notices(request, session, error=refused, form=form)
        if refused.status == 429:
            response.headers["Retry-After"] = "3600"
        return response
    return redirect(f"{NOTICES}?done=objection")


@router.get("/public/figures")
def figures_page(request: Request, session: SessionDep, today: TodayDep) -> Any:
    programs, _ = list_programs(session, PageParams(limit=100))
    code = request.query_params.get("program") or (programs[0].code if programs else "")
    year_text = request.query_params.get("year", "")
    year = int(year_text) if year_text.isdigit() and len(year_text) == 4 else today.year
    found = None
    error = None
    if code:
        try:
            found = figures.open_figures(session, code, year)
        except ServiceError as exc:
            error = describe(exc, translator(request))
    return render(
        request,
        "public/figures.html",
        programs=programs,
        code=code,
        year=year,
        found=found,
        error=error,
    )
