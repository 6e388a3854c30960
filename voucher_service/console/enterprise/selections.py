"""Put my model up for selection (算力模型遴选, measure 3), and follow it.

The form is read through the API's ``SelectionIn`` and filed with the same service call as
``POST /v1/enterprise/{uscc}/selections`` (``applications.selection.apply``): the automatic
checks answer at once, and the list below shows each of my selections with its status, the
reason of a decline, who decided (by name) and its history. Guarded by ``ENTERPRISE_SELF``
like the API: another company's credit code is not found.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session

from voucher_service.applications import selection
from voucher_service.applications.schemas import SelectionIn
from voucher_service.auth.access import ENTERPRISE_SELF
from voucher_service.console.auth import guard
from voucher_service.console.history import decided_by
from voucher_service.console.history import section as history_section
from voucher_service.console.pages import attempt, describe, translator
from voucher_service.console.people.forms import FormRefused, read_form
from voucher_service.console.people.pages import done, notice
from voucher_service.console.templating import render
from voucher_service.db.tables.applications import Sector
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.deps import NowDep, PageDep, SessionDep, TodayDep
from voucher_service.domain.rules import ProgramPhase, program_phase
from voucher_service.enterprises.service import get_enterprise
from voucher_service.fields import parse_uscc_param
from voucher_service.pagination import PageParams
from voucher_service.programs.service import get_program, list_programs
from voucher_service.routing import DatabaseRoute

router = APIRouter(route_class=DatabaseRoute, dependencies=[guard(ENTERPRISE_SELF)])

LABELS = {
    "program_code": "apply.program",
    "year": "apply.year",
    "model_name": "selections.model_name",
    "sector": "selections.sector",
    "filing_reference": "selections.filing_reference",
    "description": "selections.description",
}
SECTORS = [s.value for s in Sector]


@dataclass(frozen=True)
class SelectionForm:
    """What the form holds, as typed: shown again, unchanged, when it is refused."""

    program_code: str = ""
    year: str = ""
    model_name: str = ""
    sector: str = ""
    filing_reference: str = ""
    description: str = ""

    def body(self, request: Request) -> SelectionIn:
        return read_form(SelectionIn, asdict(self), translator(request), LABELS)


async def _form(
    program_code: Annotated[str, Form(max_length=40)] = "",
    year: Annotated[str, Form(max_length=10)] = "",
    model_name: Annotated[str, Form(max_length=400)] = "",
    sector: Annotated[str, Form(max_length=40)] = "",
    filing_reference: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=4000)] = "",
) -> SelectionForm:
    return SelectionForm(program_code, year, model_name, sector, filing_reference, description)


FormDep = Annotated[SelectionForm, Depends(_form)]


def _programs(session: Session, today: date) -> list[Any]:
    """The programs that select models (measure 3) and have not ended."""
    programs, _ = list_programs(session, PageParams(limit=100))
    return [
        p
        for p in programs
        if p.requires_selection
        and program_phase(p.valid_from, p.valid_to, today) is not ProgramPhase.ENDED
    ]


def _show(
    request: Request,
    session: Session,
    enterprise: Enterprise,
    params: PageParams,
    today: date,
    *,
    form: SelectionForm,
    status_code: int = 200,
    error: str | None = None,
) -> Any:
    t = translator(request)
    views, cursor = selection.list_selections(session, params, enterprise_id=enterprise.id)
    mine = []
    for view in reversed(views):  # the latest first
        entries = history_section(session, t, "model_selection", view.selection.id)
        decided = view.selection.decided_at is not None
        mine.append({"view": view, "decider": decided_by(entries, t, decided=decided)})
    return render(
        request,
        "enterprise/selections.html",
        status_code=status_code,
        mine=mine,
        form=form,
        error=error,
        notice=notice(request),
        action=request.url.path,
        programs=_programs(session, today),
        sectors=SECTORS,
    )


@router.get("/{uscc}/selections")
def selections_page(
    uscc: str, request: Request, session: SessionDep, page: PageDep, today: TodayDep
) -> Any:
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    blank = SelectionForm(year=str(today.year))
    return _show(request, session, enterprise, page, today, form=blank)


@router.post("/{uscc}/selections")
def apply(
    uscc: str,
    request: Request,
    session: SessionDep,
    page: PageDep,
    today: TodayDep,
    now: NowDep,
    form: FormDep,
) -> Any:
    """File the model as ``POST /v1/enterprise/{uscc}/selections`` does; refused, the form
    again with the reason (nothing written)."""
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    try:
        body = form.body(request)
    except FormRefused as refusal:
        return _show(
            request,
            session,
            enterprise,
            page,
            today,
            form=form,
            status_code=422,
            error=refusal.message,
        )

    def act() -> None:
        inp = body.to_input(get_program(session, body.program_code))
        selection.apply(session, enterprise, inp, today=today, now=now)

    refused = attempt(session, act)
    if refused is not None:
        error = describe(refused, translator(request))
        return _show(
            request,
            session,
            enterprise,
            page,
            today,
            form=form,
            status_code=refused.status,
            error=error,
        )
    return done(request.url.path, "selection_submitted")
