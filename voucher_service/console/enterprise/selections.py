"""Put my model up for selection (算力模型遴选, measure 3), and follow it.

The form is read through the API's ``SelectionIn`` and filed with the same service call as
``POST /v1/enterprise/{uscc}/selections`` (``applications.selection.apply``): the automatic
checks answer at once, and the list below shows each of my selections with its status, the
reason of a decline, who decided (by name) and its history. Guarded by ``ENTERPRISE_SELF``
like the API: another company's credit code is not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from voucher_service.applications import selection
from voucher_service.applications.schemas import SelectionIn
from voucher_service.auth.access import ENTERPRISE_SELF
from voucher_service.console.auth import guard
from voucher_service.console.history import decided_by
from voucher_service.console.history import section as history_section
from voucher_service.console.pages import translator
from voucher_service.console.people.forms import Refused, act_on, read_form
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


class SelectionForm(BaseModel):
    """What the form holds, as typed (each field bounded, as every value a client sends):
    shown again, unchanged, when it is refused."""

    model_config = ConfigDict(frozen=True)

    program_code: str = Field("", max_length=40)
    year: str = Field("", max_length=10)
    model_name: str = Field("", max_length=400)
    sector: str = Field("", max_length=40)
    filing_reference: str = Field("", max_length=200)
    description: str = Field("", max_length=4000)

    def body(self, request: Request) -> SelectionIn:
        return read_form(SelectionIn, self.model_dump(), translator(request), LABELS)


FormDep = Annotated[SelectionForm, Form()]


def _programs(session: Session, today: date) -> list[Any]:
    """The programs that select models (measure 3) and have not ended."""
    programs, _ = list_programs(session, PageParams(limit=100))
    return [
        p
        for p in programs
        if p.requires_selection
        and program_phase(p.valid_from, p.valid_to, today) is not ProgramPhase.ENDED
    ]


@dataclass(frozen=True)
class SelectionsPage:
    """The page as a request shows it: whose selections, which page of them, and the day
    (the programs still open)."""

    request: Request
    uscc: str
    page: PageParams
    today: date

    def enterprise(self, session: Session) -> Enterprise:
        return get_enterprise(session, parse_uscc_param(self.uscc))

    def show(
        self, session: Session, form: SelectionForm, *, status_code: int = 200, error: str = ""
    ) -> Any:
        """The form (as typed, or blank) above my selections, the latest first."""
        t = translator(self.request)
        enterprise = self.enterprise(session)
        views, _ = selection.list_selections(session, self.page, enterprise_id=enterprise.id)
        mine = []
        for view in reversed(views):  # the latest first
            entries = history_section(session, t, "model_selection", view.selection.id)
            decided = view.selection.decided_at is not None
            mine.append({"view": view, "decider": decided_by(entries, t, decided=decided)})
        return render(
            self.request,
            "enterprise/selections.html",
            status_code=status_code,
            mine=mine,
            form=form,
            error=error or None,
            notice=notice(self.request),
            action=self.request.url.path,
            programs=_programs(session, self.today),
            sectors=SECTORS,
        )


async def selections_page_of(
    uscc: str, request: Request, page: PageDep, today: TodayDep
) -> SelectionsPage:
    return SelectionsPage(request, uscc, page, today)


ThePage = Annotated[SelectionsPage, Depends(selections_page_of)]


@router.get("/{uscc}/selections")
def selections_page(page: ThePage, session: SessionDep) -> Any:
    return page.show(session, SelectionForm(year=str(page.today.year)))


@router.post("/{uscc}/selections")
def apply(page: ThePage, session: SessionDep, now: NowDep, form: FormDep) -> Any:
    """File the model as ``POST /v1/enterprise/{uscc}/selections`` does; refused, the form
    again with the reason (nothing written)."""
    enterprise = page.enterprise(session)

    def act() -> None:
        body = form.body(page.request)
        inp = body.to_input(get_program(session, body.program_code))
        selection.apply(session, enterprise, inp, today=page.today, now=now)

    refused = act_on(session, translator(page.request), act)
    if isinstance(refused, Refused):
        return page.show(session, form, **refused.shown())
    return done(page.request.url.path, "selection_submitted")
