"""Top-ups: a program declared to stack on another (a district topping up the city's measure 2,
鼓励各区因地制宜出台…增强政策协同效应).

A declaration names the base program, the top-up's place in the stack (``stack_order``: the
base prices first, then its top-ups from order 1 up) and the combined rate ceiling the top-up
accepts (``ceiling_bp``: the base and all its top-ups together never pay more than that share
of the fee; the lowest ceiling in a stack holds). Pricing a fee through a stack is the pure
rule of ``domain/stacking.py``.

The rules a declaration must keep (each refused with ``top_up_refused``, nothing written):

- stacks are one level deep: a top-up's base is no top-up, and a base is no top-up (so a
  stack never has a cycle);
- a program never tops up itself, and two top-ups of one base never share an order;
- the top-up's validity lies within its base's (every date of either is counted in the one
  timezone of the service, ``VOUCHER_TIMEZONE``);
- the ceiling is at least every rate of the base's rule versions (a top-up never cuts the
  city's own subsidy), and the base's later rule versions are held to it
  (``programs.service.add_rule_version``);
- a declaration is made, changed or withdrawn only before the top-up's first voucher, and
  while both programs are open: vouchers are issued knowing how they stack.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voucher_service import audit_log as audit
from voucher_service.db.tables.programs import Program, RuleVersion, TopUp
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.domain.stacking import StackError, check_ceiling
from voucher_service.errors import ErrorCode, InvalidInput, NotFound, TopUpRefused
from voucher_service.programs.service import require_open


@dataclass(frozen=True)
class Declaration:
    """What a bureau admin declares: the base program, the order, the combined ceiling."""

    base: Program
    stack_order: int
    ceiling_bp: int


def top_up_of(session: Session, program: Program) -> TopUp | None:
    """The program's declaration as a top-up, if it is one."""
    found: TopUp | None = session.scalar(select(TopUp).where(TopUp.program_id == program.id))
    return found


def stack_on(session: Session, base: Program) -> list[tuple[Program, TopUp]]:
    """The top-ups declared on ``base``, in their stack order (the base itself prices first)."""
    rows = session.execute(
        select(Program, TopUp)
        .join(TopUp, TopUp.program_id == Program.id)
        .where(TopUp.base_program_id == base.id)
        .order_by(TopUp.stack_order)
    ).all()
    return [(program, top_up) for program, top_up in rows]


def check_declaration(
    session: Session, program: Program, declaration: Declaration, *, today: date
) -> None:
    """Refuse a declaration that breaks a rule of the module's docstring: checked when it is
    proposed and again when a second program administrator confirms it."""
    base = declaration.base
    try:
        check_ceiling(declaration.ceiling_bp)
    except StackError as exc:
        raise InvalidInput(exc.template, code=ErrorCode.INVALID_INPUT, **exc.params) from exc
    require_open(program, today, "top-up declarations")
    require_open(base, today, "top-ups")
    _check_shape(session, program, base)
    _check_not_issued(session, program)
    if not (base.valid_from <= program.valid_from and program.valid_to <= base.valid_to):
        raise TopUpRefused(
            (
                "a top-up lies within its base's validity: {base_code} is "
                "valid from {valid_from} to {valid_to}, {program_code} from "
                "{top_up_from} to {top_up_to}"
            ),
            base_code=base.code,
            valid_from=base.valid_from,
            valid_to=base.valid_to,
            program_code=program.code,
            top_up_from=program.valid_from,
            top_up_to=program.valid_to,
        )
    highest = session.scalar(
        select(func.max(RuleVersion.rate_bp)).where(RuleVersion.program_id == base.id)
    )
    if highest is not None and declaration.ceiling_bp < highest:
        raise TopUpRefused(
            (
                "the combined ceiling ({ceiling_bp} bp) is below "
                "{base_code}'s rate ({highest} bp): the top-up would cut the "
                "base program's own subsidy"
            ),
            ceiling_bp=declaration.ceiling_bp,
            base_code=base.code,
            highest=highest,
        )
    taken = session.scalar(
        select(Program.code)
        .join(TopUp, TopUp.program_id == Program.id)
        .where(
            TopUp.base_program_id == base.id,
            TopUp.stack_order == declaration.stack_order,
            TopUp.program_id != program.id,
        )
    )
    if taken is not None:
        raise TopUpRefused(
            (
                "{taken} already has order {stack_order} on {base_code}: each "
                "top-up of a base has an order of its own"
            ),
            taken=taken,
            stack_order=declaration.stack_order,
            base_code=base.code,
        )


def declare_top_up(
    session: Session, program: Program, declaration: Declaration, *, today: date
) -> TopUp:
    """Declare ``program`` a top-up of ``declaration.base`` (or change its declaration), once
    a second program administrator confirmed the proposal (``programs.proposals``)."""
    check_declaration(session, program, declaration, today=today)
    base = declaration.base
    row = top_up_of(session, program)
    before = _described(row, base.code if row else None)
    values = {
        "base_program_id": base.id,
        "stack_order": declaration.stack_order,
        "ceiling_bp": declaration.ceiling_bp,
    }
    if row is None:
        row = TopUp(program_id=program.id, **values)
        session.add(row)
    else:
        row.sqlmodel_update(values)
    session.flush()
    audit.record(
        session,
        "program.top_up",
        "program",
        program.code,
        before=before,
        after=_described(row, base.code),
    )
    return row


def check_withdrawal(session: Session, program: Program, *, today: date) -> TopUp:
    """``program``'s declaration, if it may be withdrawn (open, before any voucher)."""
    row = top_up_of(session, program)
    if row is None:
        raise NotFound(
            "program {program_code} is no top-up",
            program_code=program.code,
            code=ErrorCode.NOT_FOUND,
        )
    require_open(program, today, "top-up declarations")
    _check_not_issued(session, program)
    return row


def withdraw_top_up(session: Session, program: Program, *, today: date) -> None:
    """Withdraw ``program``'s declaration: it prices on its own again (before any voucher),
    once a second program administrator confirmed the proposal (``programs.proposals``)."""
    row = check_withdrawal(session, program, today=today)
    base_code = session.scalar(select(Program.code).where(Program.id == row.base_program_id))
    before = _described(row, base_code)
    session.delete(row)
    session.flush()
    audit.record(session, "program.top_up.withdraw", "program", program.code, before=before)


def _check_shape(session: Session, program: Program, base: Program) -> None:
    """One level: the base is no top-up, the top-up is no base, and never itself."""
    if program.id == base.id:
        raise TopUpRefused("program {program_code} cannot top up itself", program_code=program.code)
    if top_up_of(session, base) is not None:
        raise TopUpRefused(
            "{base_code} is itself a top-up: stacks are one level deep (top up its base)",
            base_code=base.code,
        )
    if session.scalar(select(TopUp.id).where(TopUp.base_program_id == program.id)) is not None:
        raise TopUpRefused(
            "{program_code} is topped up by other programs: a base cannot become a top-up",
            program_code=program.code,
        )


def _check_not_issued(session: Session, program: Program) -> None:
    if session.scalar(select(Voucher.id).where(Voucher.program_id == program.id).limit(1)):
        raise TopUpRefused(
            "{program_code} has issued vouchers: its place in a stack is fixed before its first",
            program_code=program.code,
        )


def _described(row: TopUp | None, base_code: str | None) -> dict[str, object] | None:
    if row is None:
        return None
    return {"base": base_code, "stack_order": row.stack_order, "ceiling_bp": row.ceiling_bp}
