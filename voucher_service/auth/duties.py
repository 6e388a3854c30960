"""Separation of duties (三权分立) and maker-checker: who may hold which duties, who gives
them, and who acts when money moves.

Rules (docs/access.md):

- A bureau person is one principal; their rights are a set of duties (``Duty``). An auditor
  holds no other duty (audit checks everyone and changes nothing); a system administrator
  holds no duty that moves money (program administration, review, finance).
- Duties are given by a system administrator, never to themselves.
- Money moves only by a named person (the audit actor of the session, which the API, the
  console and the command line's ``--as`` set), who holds the duty it needs; where a second
  person must check, the services compare principals (``second_person``).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from voucher_service import audit_log
from voucher_service.db.tables.auth import (
    BUREAU_ROLES,
    LEGACY_DUTIES,
    Duty,
    Principal,
    Role,
    format_duties,
    parse_duties,
)
from voucher_service.errors import ErrorCode, Forbidden, InvalidInput

MONEY_DUTIES = frozenset({Duty.PROGRAM, Duty.REVIEW, Duty.FINANCE})


def duties_of(principal: Principal) -> frozenset[Duty]:
    """What a principal may do in the bureau: its duties (none for enterprises and
    providers)."""
    return parse_duties(principal.duties)


def conflict(duties: Iterable[Duty]) -> str | None:
    """Why one person may not hold ``duties`` together, or None."""
    held = frozenset(duties)
    if Duty.AUDIT in held and len(held) > 1:
        return "an auditor holds no other duty: audit reads everything and changes nothing"
    if Duty.SYSTEM in held and held & MONEY_DUTIES:
        return (
            "a system administrator moves no money: system administration is not held with "
            "program administration, review or finance"
        )
    return None


def check_duties(role: Role, duties: Iterable[Duty]) -> frozenset[Duty]:
    """The duties a new principal of ``role`` gets: the legacy roles' fixed sets, or the
    ``duties`` asked for a bureau person (at least one, no conflict); InvalidInput else."""
    held = frozenset(duties)
    if role in LEGACY_DUTIES:
        if held and held != LEGACY_DUTIES[role]:
            raise InvalidInput(
                (
                    "the role {role} has fixed duties; give a person of role "
                    "bureau the duties they need"
                ),
                role=role.value,
                code=ErrorCode.DUTIES_CONFLICT,
            )
        return LEGACY_DUTIES[role]
    if role not in BUREAU_ROLES:
        if held:
            raise InvalidInput("a {role} has no bureau duties", role=role.value)
        return frozenset()
    if not held:
        raise InvalidInput(
            "a bureau person needs at least one duty: {duties}",
            duties=", ".join(d.value for d in Duty),
            code=ErrorCode.DUTIES_CONFLICT,
        )
    why = conflict(held)
    if why is not None:
        raise InvalidInput(why, code=ErrorCode.DUTIES_CONFLICT)
    return held


def set_duties(session: Session, principal: Principal, duties: Iterable[Duty]) -> Principal:
    """Give a bureau person of role ``bureau`` exactly ``duties`` (recorded in the audit log,
    before and after). The acting person must be someone else: nobody gives themselves a
    duty, nor takes one away to hide a trace."""
    actor = audit_log.actor_of(session)
    if actor.principal_id is not None and actor.principal_id == principal.id:
        raise Forbidden("nobody changes their own duties", code=ErrorCode.SELF_GRANT)
    if principal.role != Role.BUREAU:
        raise InvalidInput(
            (
                "{name} is a {role}, whose duties are fixed; only a person of "
                "role bureau is given duties"
            ),
            name=principal.name,
            role=principal.role,
            code=ErrorCode.DUTIES_CONFLICT,
        )
    before = principal.duties
    principal.duties = format_duties(check_duties(Role.BUREAU, duties))
    session.flush()
    audit_log.record(
        session,
        "principal.duties",
        "principal",
        principal.name,
        before={"duties": before},
        after={"duties": principal.duties},
    )
    return principal


def acting_person(session: Session, duties: Iterable[Duty], doing: str) -> Principal:
    """The person the session acts for, who must hold one of ``duties`` to be ``doing``
    this: money moves only by a named person (the command line names one with ``--as``)."""
    actor = audit_log.actor_of(session)
    person = session.get(Principal, actor.principal_id) if actor.principal_id else None
    if person is None:
        raise Forbidden(
            "{doing} needs a named person (on the command line: --as a key or an account)",
            doing=doing,
            code=ErrorCode.ACTOR_REQUIRED,
        )
    needed = frozenset(duties)
    if not needed & duties_of(person):
        named = " or ".join(sorted(d.value for d in needed))
        raise Forbidden(
            "{name} does not hold the duty {named}: may not {doing}",
            name=person.name,
            named=named,
            doing=doing,
        )
    return person


def name_of(session: Session, principal_id: int | None) -> str | None:
    """A person's name for the audit log (None: nobody recorded)."""
    person = session.get(Principal, principal_id) if principal_id is not None else None
    return person.name if person is not None else None


def second_person(person: Principal, maker_id: int | None, rule: str) -> None:
    """Refuse ``person`` when they are the maker (``maker_id``): ``rule`` says who must not
    be the same."""
    if maker_id is not None and person.id == maker_id:
        raise Forbidden(
            "{rule}: a second person must do this", rule=rule, code=ErrorCode.SAME_PERSON
        )
