"""Model selection (遴选) for measure 3: 对遴选的垂直行业模型…给予补助.

An enterprise applies to have its vertical-industry model (manufacturing, healthcare, remote
sensing, culture or finance) selected for a program's yearly batch, naming the model and its
filing or registration reference (备案/登记). Reviewers select or decline each application
with a reason, one by one or in bulk. Only an enterprise selected for a year may be issued
that year's vouchers of the program (``vouchers.service.issue_voucher``), directly or through
a voucher application (its ``selection`` check). A continuing model is selected again in the
next year's batch: the yearly review (动态评估) is where support stops, within the three-year
window.

    submitted --select--> selected   (final for the year)
    submitted --decline-> declined   (final for the year)

An application failing a hard check (region, blacklist, window) is declined at once by the
checks, with the reasons; selection runs them again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from voucher_service import audit_log
from voucher_service.applications.service import (
    Check,
    blacklist_check,
    each_in_savepoint,
    region_check,
    views_of,
    window_check,
)
from voucher_service.db.tables.applications import ModelSelection, SelectionStatus
from voucher_service.db.tables.enterprises import Enterprise
from voucher_service.db.tables.programs import Program
from voucher_service.enterprises.service import get_enrolment
from voucher_service.errors import (
    AlreadyExists,
    ErrorCode,
    InvalidInput,
    InvalidState,
    NotEligible,
    NotFound,
    ProgramNotValid,
    ServiceError,
)
from voucher_service.pagination import PageParams, paginate_rows, where_given
from voucher_service.programs.service import require_open
from voucher_service.programs.settings import settings_of

AUTOMATIC = "automatic checks"


@dataclass(frozen=True)
class SelectionInput:
    program: Program
    year: int
    model_name: str
    sector: str  # a code of the program's selection fields (programs/settings.py)
    filing_reference: str
    description: str = ""


def _checks(session: Session, enterprise: Enterprise, program: Program, today: date) -> list[Check]:
    return [
        region_check(program, enterprise),
        blacklist_check(session, enterprise),
        window_check(get_enrolment(session, enterprise.id, program.id), today),
    ]


def _failed(checks: list[Check]) -> str:
    return "; ".join(f"{c.check}: {c.message}" for c in checks if not c.ok)


def apply(
    session: Session, enterprise: Enterprise, inp: SelectionInput, *, today: date, now: datetime
) -> ModelSelection:
    """File a model for the program's ``year`` batch (one per enterprise, program and year).
    Refused, with nothing written, for a program that selects no models, a past year or a
    year outside the program, and once the program has ended."""
    program = inp.program
    _check_open_batch(session, enterprise, inp, today)
    _check_field(program, inp.sector)
    checks = _checks(session, enterprise, program, today)
    eligible = all(c.ok for c in checks)
    row = ModelSelection(
        enterprise_id=enterprise.id,
        program_id=program.id,
        year=inp.year,
        model_name=inp.model_name.strip(),
        sector=inp.sector,
        filing_reference=inp.filing_reference.strip(),
        description=inp.description.strip(),
        eligible=eligible,
        checks=json.dumps([c.__dict__ for c in checks], ensure_ascii=False),
        status=SelectionStatus.SUBMITTED if eligible else SelectionStatus.DECLINED,
        decision_reason=None if eligible else _failed(checks),
        decided_by=None if eligible else AUTOMATIC,
        decided_at=None if eligible else now,
        created_at=now,
        updated_at=now,
    )
    audit_log.created(
        session,
        row,
        "selection.apply",
        "model_selection",
        after={
            "program": program.code,
            "year": inp.year,
            "model_name": row.model_name,
            "sector": row.sector,
            "filing_reference": row.filing_reference,
            "status": row.status,
        },
    )
    return row


def _check_field(program: Program, sector: str) -> None:
    """The model's field is one of the program's (the policy's seven unless it lists its
    own: 等领域 leaves the list open)."""
    fields = settings_of(program).fields()
    if sector not in {f.code for f in fields}:
        listed = ", ".join(f"{f.code} ({f.name})" for f in fields)
        raise InvalidInput(
            "{sector} is not one of {program_code}'s selection fields: {listed}",
            code=ErrorCode.UNKNOWN_FIELD,
            sector=sector,
            program_code=program.code,
            listed=listed,
        )


def _check_open_batch(
    session: Session, enterprise: Enterprise, inp: SelectionInput, today: date
) -> None:
    """The program selects models, is open, has a batch for ``inp.year`` not yet past, and
    the enterprise has not applied to it yet."""
    program = inp.program
    if not program.requires_selection:
        raise NotEligible(
            "program {program_code} selects no models: apply for a voucher directly",
            program_code=program.code,
        )
    require_open(program, today, "applications")
    if inp.year < today.year:
        raise InvalidInput(
            "selection for {year} is closed", year=inp.year, code=ErrorCode.INVALID_YEAR
        )
    if not program.valid_from.year <= inp.year <= program.valid_to.year:
        raise ProgramNotValid(
            (
                "program {program_code} is valid from {valid_from} to "
                "{valid_to}; it has no {year} batch"
            ),
            program_code=program.code,
            valid_from=program.valid_from,
            valid_to=program.valid_to,
            year=inp.year,
        )
    existing = session.scalar(
        select(ModelSelection.id).where(
            ModelSelection.enterprise_id == enterprise.id,
            ModelSelection.program_id == program.id,
            ModelSelection.year == inp.year,
        )
    )
    if existing is not None:
        raise AlreadyExists(
            (
                "enterprise {enterprise_uscc} already applied for the {year} "
                "batch (selection {selection_id})"
            ),
            enterprise_uscc=enterprise.uscc,
            year=inp.year,
            selection_id=existing,
        )


def decide(
    session: Session,
    row: ModelSelection,
    status: SelectionStatus,
    *,
    reason: str,
    today: date,
    now: datetime,
) -> ModelSelection:
    """Select or decline a submitted application. Declining needs a reason; selecting runs
    the checks again (the enterprise may have been blacklisted meanwhile)."""
    if row.status != SelectionStatus.SUBMITTED:
        raise InvalidState(
            "selection {id} is {status}; only a submitted one can be decided",
            id=row.id,
            status=row.status,
        )
    if status is SelectionStatus.DECLINED and not reason.strip():
        raise InvalidInput("declining needs a reason", code=ErrorCode.REASON_REQUIRED)
    if status is SelectionStatus.SELECTED:
        enterprise = session.get(Enterprise, row.enterprise_id)
        program = session.get(Program, row.program_id)
        assert enterprise is not None and program is not None
        require_open(program, today, "selections")
        checks = _checks(session, enterprise, program, today)
        if not all(c.ok for c in checks):
            raise NotEligible(
                "selection {id} no longer passes its checks: {failed}",
                id=row.id,
                failed=_failed(checks),
            )
    row.status, row.decision_reason = status, reason.strip() or None
    row.decided_by, row.decided_at, row.updated_at = audit_log.actor_of(session).name, now, now
    session.flush()
    audit_log.record(
        session,
        "selection.select" if status is SelectionStatus.SELECTED else "selection.decline",
        "model_selection",
        row.id,
        before={"status": SelectionStatus.SUBMITTED},
        after={"status": status, "reason": row.decision_reason},
    )
    return row


@dataclass(frozen=True)
class BulkDecision:
    """One application of a bulk decision: decided, or the error that refused it."""

    selection_id: int
    decided: SelectionView | None = None
    error: ServiceError | None = None


def decide_many(
    session: Session,
    ids: list[int],
    status: SelectionStatus,
    *,
    reason: str,
    today: date,
    now: datetime,
) -> list[BulkDecision]:
    """A yearly batch: each decision stands or fails on its own."""
    decided, errors = each_in_savepoint(
        session,
        ids,
        lambda i: decide(
            session, get_selection(session, i), status, reason=reason, today=today, now=now
        ),
    )
    views = dict(zip(decided, describe(session, list(decided.values())), strict=True))
    return [BulkDecision(i, views.get(i), errors.get(i)) for i in ids]


def get_selection(
    session: Session, selection_id: int, *, enterprise_id: int | None = None
) -> ModelSelection:
    query = where_given(
        select(ModelSelection),
        (ModelSelection.id, selection_id),
        (ModelSelection.enterprise_id, enterprise_id),
    )
    row: ModelSelection | None = session.scalar(query.with_for_update())
    if row is None:
        raise NotFound(
            "no selection {selection_id}",
            selection_id=selection_id,
            code=ErrorCode.SELECTION_NOT_FOUND,
        )
    return row


@dataclass(frozen=True)
class SelectionView:
    """A selection application with the applicant's credit code and name, and the program's
    code; its checks read back."""

    selection: ModelSelection
    uscc: str
    enterprise_name: str
    program_code: str

    @property
    def checks(self) -> list[dict[str, Any]]:
        return list(json.loads(self.selection.checks))


def _viewed() -> Select[Any]:
    query: Select[Any] = (
        select(ModelSelection, Enterprise.uscc, Enterprise.name, Program.code)
        .join(Enterprise, Enterprise.id == ModelSelection.enterprise_id)
        .join(Program, Program.id == ModelSelection.program_id)
    )
    return query


def describe(session: Session, rows: list[ModelSelection]) -> list[SelectionView]:
    """The views of ``rows``, in their order: one query for any number of them."""
    return views_of(session, _viewed(), ModelSelection.id, rows, SelectionView)


def list_selections(
    session: Session,
    params: PageParams,
    *,
    enterprise_id: int | None = None,
    program_id: int | None = None,
    year: int | None = None,
    status: SelectionStatus | None = None,
    sector: str | None = None,
) -> tuple[list[SelectionView], str | None]:
    """Selection applications matching the filters given, oldest first."""
    query = where_given(
        _viewed(),
        (ModelSelection.enterprise_id, enterprise_id),
        (ModelSelection.program_id, program_id),
        (ModelSelection.year, year),
        (ModelSelection.status, status),
        (ModelSelection.sector, sector),
    )
    rows, cursor = paginate_rows(session, query, ModelSelection.id, params, lambda row: row[0].id)
    return [SelectionView(*row) for row in rows], cursor
