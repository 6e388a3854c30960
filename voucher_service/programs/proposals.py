"""Program administration by two people (docs/access.md): a pool, a rule version, a top-up
layer (declared or withdrawn), a program's second-review amount and its settings (voucher
validity, selection fields) change what every later
fee or voucher is priced from, so one program administrator proposes them and they take
effect only when a second one confirms (``confirmations.service.confirm`` calls
``carry_out``); the proposer may withdraw.

Each proposal is checked when it is made (a pool below the minimum is refused at once,
nothing proposed) and again when it is confirmed, by the same service function that then
does it: a proposal that no longer holds is refused with nothing written.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from voucher_service.auth import proposals
from voucher_service.db.tables.confirmations import Confirmation, ConfirmationKind
from voucher_service.db.tables.grants import Funding
from voucher_service.db.tables.programs import Program
from voucher_service.domain.rules import CapScope
from voucher_service.money import fen_to_yuan
from voucher_service.programs import service, stacking
from voucher_service.programs.schemas import ProgramCreate
from voucher_service.programs.service import RuleNumbers, row_numbers
from voucher_service.programs.settings import (
    ProgramSettings,
    checked,
    set_settings,
    settings_of,
)


def _propose(
    session: Session,
    kind: ConfirmationKind,
    program: Program,
    values: dict[str, Any],
    *,
    summary: str,
    now: datetime,
    target: str | None = None,
) -> Confirmation:
    """A program proposal: its payload names the program, its target is the program's code
    unless another (a pool's) is given."""
    return proposals.propose(
        session,
        kind,
        target or program.code,
        payload={"program": program.code, **values},
        summary=summary,
        now=now,
    )


def pool_target(program: Program, year: int) -> str:
    """What a pool proposal names: ``CODE/YEAR``, as the audit log names the pool."""
    return f"{program.code}/{year}"


def propose_pool(
    session: Session, program: Program, *, year: int, total_fen: int, today: date, now: datetime
) -> Confirmation:
    """Propose the program's pool for ``year`` (refused at once as ``create_pool`` would)."""
    service.check_pool(session, program, year=year, total_fen=total_fen, today=today)
    return _propose(
        session,
        ConfirmationKind.CREATE_POOL,
        program,
        {"year": year, "total_fen": total_fen},
        summary=f"open the {year} pool of {program.code}: {fen_to_yuan(total_fen)} yuan "
        "from the budget",
        now=now,
        target=pool_target(program, year),
    )


def propose_rule_version(
    session: Session, program: Program, rules: RuleNumbers, *, today: date, now: datetime
) -> Confirmation:
    """Propose a rule version (refused at once as ``add_rule_version`` would)."""
    version = service.check_rule_version(session, program, rules, today=today)
    latest = service.to_rules(service.rule_versions(session, program.id)[-1])
    changed = [
        f"{name} {_shown(name, getattr(latest, name))} -> {_shown(name, value)}"
        for name, value in rules.__dict__.items()
        if name != "effective_from" and getattr(latest, name) != value
    ]
    return _propose(
        session,
        ConfirmationKind.ADD_RULE_VERSION,
        program,
        {
            "version": version,
            **rules.__dict__,
            "effective_from": rules.effective_from.isoformat(),
            "cap_scope": rules.cap_scope.value,
        },
        summary=f"rule version {version} of {program.code} from {rules.effective_from}: "
        + (", ".join(changed) or "the same numbers as version " + str(latest.version)),
        now=now,
    )


def _shown(name: str, value: object) -> str:
    if name.endswith("_fen") and value is None:
        return "none"  # no cap per year
    return fen_to_yuan(value) if name.endswith("_fen") and isinstance(value, int) else str(value)


def propose_top_up(
    session: Session,
    program: Program,
    declaration: stacking.Declaration,
    *,
    today: date,
    now: datetime,
) -> Confirmation:
    """Propose declaring ``program`` a top-up (refused at once as ``declare_top_up`` would)."""
    stacking.check_declaration(session, program, declaration, today=today)
    base = declaration.base.code
    current = stacking.top_up_of(session, program)
    was = "" if current is None else f" (now order {current.stack_order}, {current.ceiling_bp} bp)"
    return _propose(
        session,
        ConfirmationKind.DECLARE_TOP_UP,
        program,
        {
            "base": base,
            "stack_order": declaration.stack_order,
            "ceiling_bp": declaration.ceiling_bp,
        },
        summary=f"{program.code} tops up {base} at order {declaration.stack_order} with a "
        f"combined ceiling of {declaration.ceiling_bp} bp{was}",
        now=now,
    )


def propose_top_up_withdrawal(
    session: Session, program: Program, *, today: date, now: datetime
) -> Confirmation:
    """Propose withdrawing ``program``'s top-up declaration (refused at once as
    ``withdraw_top_up`` would)."""
    row = stacking.check_withdrawal(session, program, today=today)
    base = session.get(Program, row.base_program_id)
    assert base is not None
    return _propose(
        session,
        ConfirmationKind.WITHDRAW_TOP_UP,
        program,
        {"base": base.code},
        summary=f"{program.code} no longer tops up {base.code}: it prices on its own",
        now=now,
    )


def propose_second_review(
    session: Session, program: Program, amount_fen: int | None, *, now: datetime
) -> Confirmation:
    """Propose a new second-review amount for ``program`` (None: no second review)."""
    before = program.second_review_above_fen
    return _propose(
        session,
        ConfirmationKind.SET_SECOND_REVIEW,
        program,
        {"before_fen": before, "second_review_above_fen": amount_fen},
        summary=f"approvals and revocations of {program.code} wait for a second reviewer "
        f"above {_amount(amount_fen)} (now {_amount(before)})",
        now=now,
    )


def propose_program(session: Session, body: ProgramCreate, *, now: datetime) -> Confirmation:
    """Propose a new program (from a program file): created as ``POST /v1/admin/programs``
    creates it when a second program administrator confirms; checked again then."""
    numbers = body.rules.numbers()
    payload = {
        "program": body.code,
        "name": body.name,
        "description": body.description,
        "valid_from": body.valid_from.isoformat(),
        "valid_to": body.valid_to.isoformat(),
        "rules": {**row_numbers(numbers), "effective_from": numbers.effective_from.isoformat()},
        "eligibility": body.eligibility().__dict__,
        "second_review_above_fen": body.second_review_above_yuan,
        "funding": body.funding.value,
        "settings": body.settings().as_payload(),
    }
    return proposals.propose(
        session,
        ConfirmationKind.CREATE_PROGRAM,
        body.code,
        payload=payload,
        summary=f"create the program {body.code} ({body.name}), valid {body.valid_from} to "
        f"{body.valid_to}, {numbers.rate_bp / 100:g}% of fees up to {_amount(numbers.cap_fen)}"
        + (f", {_amount(numbers.year_cap_fen)} a year" if numbers.year_cap_fen else ""),
        now=now,
    )


def _create_program(session: Session, payload: dict[str, Any]) -> None:
    service.create_program(
        session,
        code=payload["program"],
        name=payload["name"],
        description=payload["description"],
        valid_from=date.fromisoformat(payload["valid_from"]),
        valid_to=date.fromisoformat(payload["valid_to"]),
        rules=rule_numbers(payload["rules"]),
        eligibility=service.Eligibility(**payload["eligibility"]),
        second_review_above_fen=payload["second_review_above_fen"],
        settings=ProgramSettings.from_payload(payload["settings"]),
        funding=Funding(payload.get("funding", Funding.VOUCHERS)),
    )


def propose_settings(
    session: Session, program: Program, settings: ProgramSettings, *, now: datetime
) -> Confirmation:
    """Propose new settings for ``program`` (checked now, and again when confirmed)."""
    checked(settings)
    fields = ", ".join(f.code for f in settings.fields())
    months = settings.voucher_validity_months
    validity = settings.voucher_validity.value + (f" ({months} months)" if months else "")
    return _propose(
        session,
        ConfirmationKind.SET_PROGRAM_SETTINGS,
        program,
        {"before": settings_of(program).as_payload(), **settings.as_payload()},
        summary=f"{program.code}: {settings.mode.value}; vouchers valid to {validity}; "
        f"selection fields {fields}",
        now=now,
    )


def _amount(fen: int | None) -> str:
    return "never" if fen is None else f"{fen_to_yuan(fen)} yuan"


def carry_out(session: Session, row: Confirmation, *, today: date) -> None:
    """Do what a confirmed program proposal says, checked again by the function that does it
    (refused, with nothing written, if it no longer holds)."""
    payload: dict[str, Any] = proposals.payload_of(row)
    kind = ConfirmationKind(row.kind)
    if kind is ConfirmationKind.CREATE_PROGRAM:
        _create_program(session, payload)
        return
    program = service.get_program(session, payload["program"])
    if kind is ConfirmationKind.CREATE_POOL:
        service.create_pool(
            session, program, year=payload["year"], total_fen=payload["total_fen"], today=today
        )
    elif kind is ConfirmationKind.ADD_RULE_VERSION:
        service.add_rule_version(session, program, rule_numbers(payload), today=today)
    elif kind is ConfirmationKind.DECLARE_TOP_UP:
        declaration = stacking.Declaration(
            base=service.get_program(session, payload["base"]),
            stack_order=payload["stack_order"],
            ceiling_bp=payload["ceiling_bp"],
        )
        stacking.declare_top_up(session, program, declaration, today=today)
    elif kind is ConfirmationKind.WITHDRAW_TOP_UP:
        stacking.withdraw_top_up(session, program, today=today)
    elif kind is ConfirmationKind.SET_PROGRAM_SETTINGS:
        set_settings(session, program, ProgramSettings.from_payload(payload))
    else:
        service.set_second_review(session, program, payload["second_review_above_fen"])


def rule_numbers(payload: dict[str, Any]) -> RuleNumbers:
    """The numbers of a proposed rule version, from its payload."""
    return RuleNumbers(
        effective_from=date.fromisoformat(payload["effective_from"]),
        rate_bp=payload["rate_bp"],
        cap_fen=payload["cap_fen"],
        cap_scope=CapScope(payload["cap_scope"]),
        window_months=payload["window_months"],
        pool_minimum_fen=payload["pool_minimum_fen"],
        pool_maximum_fen=payload.get("pool_maximum_fen"),
        year_cap_fen=payload.get("year_cap_fen"),  # proposed before 0028: none
    )
