"""Apply for a voucher (申请算力券), and follow my applications.

The form is read through the API's ``ApplicationIn`` and filed with the same service call as
``POST /v1/enterprise/{uscc}/applications`` (``applications.service.submit``), so it is
checked the same way and audited with the person as actor. After it, the application's page
shows what the API replies: each automatic check with its answer, the flags for the
reviewer, the status; later, the decision (approved, with its voucher; returned, with a form
to resubmit; rejected, with the reason).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session

from voucher_service.applications import service as applications
from voucher_service.applications.queries import ApplicationQuery, find_applications
from voucher_service.applications.schemas import ApplicationIn
from voucher_service.auth.access import ENTERPRISE_SELF
from voucher_service.console.auth import guard
from voucher_service.console.history import decided_by
from voucher_service.console.history import section as history_section
from voucher_service.console.pages import translator
from voucher_service.console.people.forms import Refused, act_on, plain_yuan, read_form
from voucher_service.console.people.pages import done, notice
from voucher_service.console.tables import Column, Table
from voucher_service.console.templating import render
from voucher_service.console.viewer import CONSOLE
from voucher_service.db.tables.applications import Application, ApplicationStatus, SizeClass
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.providers import ProviderStatus
from voucher_service.deps import NowDep, PageDep, SessionDep, TodayDep
from voucher_service.domain.rules import ProgramPhase, program_phase
from voucher_service.enterprises.service import get_enterprise, programs_for
from voucher_service.fields import parse_uscc_param
from voucher_service.materials import service as materials
from voucher_service.materials.kinds import MaterialKind
from voucher_service.money import fen_to_yuan
from voucher_service.pagination import PageParams
from voucher_service.programs.service import get_program
from voucher_service.providers.service import all_providers
from voucher_service.routing import DatabaseRoute

router = APIRouter(route_class=DatabaseRoute, dependencies=[guard(ENTERPRISE_SELF)])

COLUMNS = (
    Column("id", "apply.id"),
    Column("program_code", "apply.program", "code"),
    Column("year", "apply.year"),
    Column("requested_fen", "apply.requested", "money"),
    Column("approved_fen", "apply.approved", "money"),
    Column("status", "apply.status", "status", prefix="application.status."),
    Column("voucher_code", "apply.voucher", "code"),
    Column("created_at", "apply.created_at", "datetime"),
)
LABELS = {
    "program_code": "apply.program",
    "year": "apply.year",
    "requested_yuan": "apply.requested",
    "planned_use": "apply.planned_use",
    "intended_providers": "apply.providers",
    "size_class": "apply.size_class",
    "headcount": "apply.headcount",
    "revenue_yuan": "apply.revenue",
    "declares_no_related_party": "apply.declaration",
}
SIZES = [s.value for s in SizeClass]


@dataclass(frozen=True)
class ApplicationForm:
    """What the form holds, as typed: shown again, unchanged, when it is refused."""

    program_code: str = ""
    year: str = ""
    requested_yuan: str = ""
    planned_use: str = ""
    intended_providers: tuple[str, ...] = ()
    size_class: str = SizeClass.SMALL.value
    headcount: str = ""
    revenue_yuan: str = ""
    declares_no_related_party: bool = False

    @classmethod
    def of(cls, row: Application, program_code: str, providers: list[str]) -> ApplicationForm:
        """An application's own values (to resubmit it with changes)."""
        return cls(
            program_code=program_code,
            year=str(row.year),
            requested_yuan=fen_to_yuan(row.requested_fen),
            planned_use=row.planned_use,
            intended_providers=tuple(providers),
            size_class=row.size_class,
            headcount=str(row.headcount),
            revenue_yuan=fen_to_yuan(row.revenue_fen),
            declares_no_related_party=row.declares_no_related_party,
        )

    def body(self, request: Request) -> ApplicationIn:
        """The form as the API's schema reads it (or FormRefused, in the page's language)."""
        data = {
            "program_code": self.program_code,
            "year": self.year,
            "requested_yuan": plain_yuan(self.requested_yuan),
            "planned_use": self.planned_use,
            "intended_providers": list(self.intended_providers),
            "size_class": self.size_class,
            "headcount": self.headcount,
            "revenue_yuan": plain_yuan(self.revenue_yuan),
            "declares_no_related_party": self.declares_no_related_party,
        }
        return read_form(ApplicationIn, data, translator(request), LABELS)


async def _form(
    program_code: Annotated[str, Form(max_length=40)] = "",
    year: Annotated[str, Form(max_length=10)] = "",
    requested_yuan: Annotated[str, Form(max_length=40)] = "",
    planned_use: Annotated[str, Form(max_length=4000)] = "",
    intended_providers: Annotated[list[str] | None, Form(max_length=20)] = None,
    size_class: Annotated[str, Form(max_length=20)] = "",
    headcount: Annotated[str, Form(max_length=20)] = "",
    revenue_yuan: Annotated[str, Form(max_length=40)] = "",
    declares_no_related_party: Annotated[str, Form(max_length=10)] = "",
) -> ApplicationForm:
    return ApplicationForm(
        program_code=program_code,
        year=year,
        requested_yuan=requested_yuan,
        planned_use=planned_use,
        intended_providers=tuple(intended_providers or ()),
        size_class=size_class,
        headcount=headcount,
        revenue_yuan=revenue_yuan,
        declares_no_related_party=declares_no_related_party == "true",
    )


FormDep = Annotated[ApplicationForm, Depends(_form)]


def choices(session: Session, enterprise: Enterprise, today: date) -> dict[str, Any]:
    """What the form offers: the programs still open that concern the enterprise, the
    active providers (to name the ones it means to buy from), the size classes."""
    programs = [
        p
        for p in programs_for(session, enterprise, today=today)
        if program_phase(p.valid_from, p.valid_to, today) is not ProgramPhase.ENDED
    ]
    providers = [p for p in all_providers(session) if p.status == ProviderStatus.ACTIVE]
    return {"programs": programs, "providers": providers, "sizes": SIZES}


def _show_list(
    request: Request,
    session: Session,
    enterprise: Enterprise,
    params: PageParams,
    today: date,
    *,
    form: ApplicationForm,
    status_code: int = 200,
    error: str | None = None,
) -> Any:
    mine = ApplicationQuery(status=None, enterprise=enterprise.uscc)
    views, cursor = find_applications(session, params, mine)
    rows = [
        {
            "id": v.application.id,
            "program_code": v.program_code,
            "year": v.application.year,
            "requested_fen": v.application.requested_fen,
            "approved_fen": v.application.approved_fen,
            "status": v.application.status,
            "voucher_code": v.voucher_code,
            "created_at": v.application.created_at,
        }
        for v in views
    ]
    table = Table.page(
        request,
        id="applications",
        caption="apply.caption",
        columns=COLUMNS,
        rows=rows,
        next_cursor=cursor,
        row_key="id",
    )
    return render(
        request,
        "enterprise/applications.html",
        status_code=status_code,
        table=table,
        form=form,
        error=error,
        action=request.url.path,
        **choices(session, enterprise, today),
    )


@router.get("/{uscc}/applications")
def applications_page(
    uscc: str, request: Request, session: SessionDep, page: PageDep, today: TodayDep
) -> Any:
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    blank = ApplicationForm(
        program_code=request.query_params.get("program", ""), year=str(today.year)
    )
    return _show_list(request, session, enterprise, page, today, form=blank)


def _file(
    session: Session, request: Request, form: ApplicationForm, file: Callable[[Any], Application]
) -> Application | Refused:
    """Read the form and file it (``file`` of the service's input): the application, or why
    not."""

    def action() -> Application:
        body = form.body(request)
        return file(body.to_input(get_program(session, body.program_code)))

    return act_on(session, translator(request), action)


@router.post("/{uscc}/applications")
def apply(
    uscc: str,
    request: Request,
    session: SessionDep,
    page: PageDep,
    today: TodayDep,
    now: NowDep,
    form: FormDep,
) -> Any:
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    filed = _file(
        session,
        request,
        form,
        lambda inp: applications.submit(session, enterprise, inp, today=today, now=now),
    )
    if isinstance(filed, Refused):
        return _show_list(request, session, enterprise, page, today, form=form, **filed.shown())
    return done(f"{request.url.path}/{filed.id}", "submitted")


@router.post("/{uscc}/applications/{application_id}/resubmit")
def resubmit(
    uscc: str,
    application_id: int,
    request: Request,
    session: SessionDep,
    today: TodayDep,
    now: NowDep,
    form: FormDep,
) -> Any:
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    row = applications.get_application(session, application_id, enterprise_id=enterprise.id)
    filed = _file(
        session,
        request,
        form,
        lambda inp: applications.resubmit(session, row, enterprise, inp, today=today, now=now),
    )
    if isinstance(filed, Refused):
        return _detail(
            request, session, enterprise, application_id, today, form=form, **filed.shown()
        )
    return done(request.url.path.removesuffix("/resubmit"), "resubmitted")


def _detail(
    request: Request,
    session: Session,
    enterprise: Enterprise,
    application_id: int,
    today: date,
    *,
    form: ApplicationForm | None = None,
    status_code: int = 200,
    error: str | None = None,
) -> Any:
    row = applications.get_application(session, application_id, enterprise_id=enterprise.id)
    [view] = applications.describe(session, [row])
    returned = row.status == ApplicationStatus.RETURNED
    t = translator(request)
    entries = history_section(session, t, "application", row.id)
    if returned and form is None:
        form = ApplicationForm.of(row, view.program_code, view.intended_providers)
    return render(
        request,
        "enterprise/application.html",
        status_code=status_code,
        view=view,
        row=row,
        form=form,
        error=error,
        notice=notice(request),
        action=f"{request.url.path}/resubmit",
        object_history=entries,
        decider=decided_by(entries, t, decided=row.decided_at is not None),
        **choices(session, enterprise, today),
        **materials_section(
            session, row, f"{CONSOLE}/enterprise/{enterprise.uscc}/applications/{row.id}"
        ),
    )


def materials_section(session: Session, row: Application, path: str) -> dict[str, Any]:
    """The page's materials: the list, with the upload form while the application is open."""
    assert row.id is not None
    found = materials.materials_of(session, materials.Owner.of_application(row))
    may_add = row.status in materials.OPEN_STATUSES
    return {
        "materials": found,
        "download_base": f"{path}/materials",
        "upload_action": f"{path}/materials" if may_add else None,
        "kinds": list(MaterialKind),
    }


@router.get("/{uscc}/applications/{application_id}")
def application_page(
    uscc: str, application_id: int, request: Request, session: SessionDep, today: TodayDep
) -> Any:
    enterprise = get_enterprise(session, parse_uscc_param(uscc))
    return _detail(request, session, enterprise, application_id, today)
