"""Program files: a whole program — who it is for, its rule versions, pools, top-up layer and
settings — as one TOML file a bureau can review, diff and keep under version control.

``plan`` compares a file with what the service holds and lists the changes it would make,
each as the proposal that makes it (a program administrator proposes, a second one
confirms: docs/access.md); ``propose`` files those proposals. What no proposal can change (a
program's name or validity, a rule version already added, a pool's total once opened) is
listed as a conflict and nothing is proposed. A new program is one proposal
(``program.create``); its pools, top-up layer and later rule versions follow from the same
file once it exists: apply the file again after each confirmation until nothing is left.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from voucher_service.auth.proposals import pending
from voucher_service.db.tables.confirmations import Confirmation, ConfirmationKind
from voucher_service.db.tables.programs import Pool, Program
from voucher_service.domain.rules import CapScope
from voucher_service.errors import ErrorCode, InvalidInput, NotFound
from voucher_service.fields import NonNegativeYuan, PositiveYuan, ProgramCode, Year
from voucher_service.programs import proposals, service, stacking
from voucher_service.programs.schemas import ProgramCreate, RuleVersionIn
from voucher_service.programs.service import RuleNumbers, row_numbers
from voucher_service.programs.settings import ProgramSettings, settings_of

MAX_FILE_BYTES = 256 * 1024


class PoolEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: Year = Field(strict=True)
    total_yuan: PositiveYuan


class TopUpEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base: ProgramCode = Field(description="The program topped up (e.g. WH-AI-M2).")
    stack_order: int = Field(strict=True, ge=1, le=100)
    ceiling_bp: int = Field(strict=True, ge=1, le=10_000)


class ProgramFile(ProgramCreate):
    """A program file: the program as created (``POST /v1/admin/programs``'s fields, with
    ``rules`` the list of its versions, oldest first), its pools and its top-up layer."""

    model_config = ConfigDict(extra="forbid")

    rules: list[RuleVersionIn] = Field(min_length=1, max_length=50)  # type: ignore[assignment]
    second_review_above_yuan: NonNegativeYuan | None = None
    pools: list[PoolEntry] = Field(default_factory=list, max_length=50)
    top_up: TopUpEntry | None = None

    def creation(self) -> ProgramCreate:
        """The ``program.create`` proposal's body: the program with its first version (its
        values as validated here: amounts already in fen)."""
        values = {name: getattr(self, name) for name in ProgramCreate.model_fields}
        return ProgramCreate.model_construct(**{**values, "rules": self.rules[0]})


def read(text: str) -> ProgramFile:
    """The program file in ``text`` (TOML), or InvalidInput naming what is wrong where."""
    if len(text.encode()) > MAX_FILE_BYTES:
        raise InvalidInput(
            "a program file is at most {kib} KiB",
            code=ErrorCode.INVALID_INPUT,
            kib=MAX_FILE_BYTES // 1024,
        )
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(
            "not TOML: {problem}", code=ErrorCode.INVALID_INPUT, problem=str(exc)
        ) from exc
    try:
        return ProgramFile.model_validate(_plain(raw))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidInput(
            "{where}: {problem} ({count} problem(s) in the file)",
            code=ErrorCode.INVALID_INPUT,
            where=where,
            problem=first["msg"],
            count=exc.error_count(),
        ) from exc


def _plain(value: Any) -> Any:
    """TOML's dates as ISO strings, as the API takes them (its models are strict)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Change:
    """One proposal the file calls for: its kind, what it targets, in words."""

    kind: ConfirmationKind
    target: str
    said: str


@dataclass
class Plan:
    """What applying the file would do: proposals to file, proposals already waiting (by
    their id), and conflicts no proposal can settle (then nothing is proposed)."""

    changes: list[Change] = field(default_factory=list)
    waiting: list[tuple[Change, int]] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    later: list[str] = field(default_factory=list)

    @property
    def settled(self) -> bool:
        return not (self.changes or self.waiting or self.conflicts or self.later)


_FIXED = (
    "name",
    "description",
    "valid_from",
    "valid_to",
    "region_prefix",
    "sme_max_headcount",
    "requires_selection",
    "funding",
)


def plan(session: Session, program_file: ProgramFile) -> Plan:
    """The changes ``program_file`` calls for against what the service holds."""
    found = session.scalar(select(Program).where(Program.code == program_file.code))
    result = Plan()
    if found is None:
        _add(session, result, ConfirmationKind.CREATE_PROGRAM, program_file.code, "create it")
        if len(program_file.rules) > 1 or program_file.pools or program_file.top_up:
            result.later.append(
                "its later rule versions, pools and top-up layer: apply the file again once "
                "the program is created"
            )
        return result
    _compare_fixed(found, program_file, result)
    _compare_rules(session, found, program_file, result)
    _compare_pools(session, found, program_file, result)
    _compare_top_up(session, found, program_file, result)
    if program_file.second_review_above_yuan != found.second_review_above_fen:
        _add(session, result, ConfirmationKind.SET_SECOND_REVIEW, found.code, "second review")
    if _settings_key(program_file.settings()) != _settings_key(settings_of(found)):
        _add(session, result, ConfirmationKind.SET_PROGRAM_SETTINGS, found.code, "settings")
    return result


def _settings_key(settings: ProgramSettings) -> tuple[object, ...]:
    """Settings as they act: a list of fields equal to the policy's is the default."""
    return (
        settings.voucher_validity,
        settings.voucher_validity_months,
        settings.fields(),
        settings.mode,
    )


def _add(session: Session, result: Plan, kind: ConfirmationKind, target: str, said: str) -> None:
    change = Change(kind, target, said)
    waiting = pending(session, kind, target)
    if waiting is None:
        result.changes.append(change)
    else:
        assert waiting.id is not None
        result.waiting.append((change, waiting.id))


def _compare_fixed(found: Program, program_file: ProgramFile, result: Plan) -> None:
    for name in _FIXED:
        held, wanted = getattr(found, name), getattr(program_file, name)
        if held != wanted:
            result.conflicts.append(f"{name}: the service holds {held!r}, the file {wanted!r}")
    if found.sme_max_revenue_fen != program_file.sme_max_revenue_yuan:
        result.conflicts.append("sme_max_revenue_yuan differs from the service's")


def _compare_rules(
    session: Session, found: Program, program_file: ProgramFile, result: Plan
) -> None:
    held = {v.effective_from: v for v in service.rule_versions(session, found.id)}
    wanted = [rules.numbers() for rules in program_file.rules]
    for version in held.values():
        if version.effective_from not in {w.effective_from for w in wanted}:
            result.conflicts.append(
                f"rule version {version.version} ({version.effective_from}) is not in the file: "
                "a rule version is never removed"
            )
    new = []
    for numbers in wanted:
        if numbers.effective_from not in held:
            new.append(numbers)
        elif row_numbers(numbers) != _numbers_of(held[numbers.effective_from]):
            result.conflicts.append(
                f"the rule version from {numbers.effective_from} differs from the one in force "
                "since then: a version never changes (add a new one from a later date)"
            )
    if new:
        first = min(new, key=lambda n: n.effective_from)
        _add(
            session,
            result,
            ConfirmationKind.ADD_RULE_VERSION,
            found.code,
            f"rules from {first.effective_from}",
        )
        if len(new) > 1:
            result.later.append(f"{len(new) - 1} more rule version(s): one is proposed at a time")


def _numbers_of(version: Any) -> dict[str, object]:
    return row_numbers(
        RuleNumbers(
            effective_from=version.effective_from,
            rate_bp=version.rate_bp,
            cap_fen=version.cap_fen,
            cap_scope=CapScope(version.cap_scope),
            window_months=version.window_months,
            pool_minimum_fen=version.pool_minimum_fen,
            pool_maximum_fen=version.pool_maximum_fen,
            year_cap_fen=version.year_cap_fen,
        )
    )


def _compare_pools(
    session: Session, found: Program, program_file: ProgramFile, result: Plan
) -> None:
    held = {
        pool.year: pool.total_fen
        for pool in session.scalars(select(Pool).where(Pool.program_id == found.id))
    }
    for entry in program_file.pools:
        if entry.year not in held:
            target = proposals.pool_target(found, entry.year)
            _add(session, result, ConfirmationKind.CREATE_POOL, target, f"pool {entry.year}")
        elif held[entry.year] != entry.total_yuan:
            result.conflicts.append(
                f"the {entry.year} pool holds a total of {held[entry.year]} fen, the file "
                f"{entry.total_yuan}: a pool's total never changes"
            )


def _compare_top_up(
    session: Session, found: Program, program_file: ProgramFile, result: Plan
) -> None:
    declared = stacking.top_up_of(session, found)
    wanted = program_file.top_up
    if wanted is None:
        if declared is not None:
            _add(session, result, ConfirmationKind.WITHDRAW_TOP_UP, found.code, "withdraw top-up")
        return
    base = session.scalar(select(Program).where(Program.code == wanted.base))
    if base is None:
        result.conflicts.append(f"top_up.base: no program {wanted.base!r}")
        return
    if declared is None or (
        declared.base_program_id,
        declared.stack_order,
        declared.ceiling_bp,
    ) != (
        base.id,
        wanted.stack_order,
        wanted.ceiling_bp,
    ):
        _add(session, result, ConfirmationKind.DECLARE_TOP_UP, found.code, "declare top-up")


def propose(
    session: Session, program_file: ProgramFile, *, today: date, now: datetime
) -> tuple[Plan, list[Confirmation]]:
    """File the proposals the plan calls for, as the acting program administrator; none if
    the plan has a conflict (InvalidInput). Each is checked as its own endpoint checks it."""
    result = plan(session, program_file)
    if result.conflicts:
        raise InvalidInput(
            "the file conflicts with the service: {conflicts}",
            code=ErrorCode.INVALID_RULES,
            conflicts="; ".join(result.conflicts),
        )
    made = [_propose_one(session, program_file, change, today, now) for change in result.changes]
    return result, made


def _propose_one(
    session: Session, program_file: ProgramFile, change: Change, today: date, now: datetime
) -> Confirmation:
    if change.kind is ConfirmationKind.CREATE_PROGRAM:
        return proposals.propose_program(session, program_file.creation(), now=now)
    program = service.get_program(session, program_file.code)
    if change.kind is ConfirmationKind.ADD_RULE_VERSION:
        held = {v.effective_from for v in service.rule_versions(session, program.id)}
        first = min(
            (r.numbers() for r in program_file.rules if r.effective_from not in held),
            key=lambda n: n.effective_from,
        )
        return proposals.propose_rule_version(session, program, first, today=today, now=now)
    if change.kind is ConfirmationKind.CREATE_POOL:
        year = int(change.target.rsplit("/", 1)[1])
        [entry] = [p for p in program_file.pools if p.year == year]
        return proposals.propose_pool(
            session, program, year=year, total_fen=entry.total_yuan, today=today, now=now
        )
    if change.kind is ConfirmationKind.DECLARE_TOP_UP:
        assert program_file.top_up is not None
        declaration = stacking.Declaration(
            base=service.get_program(session, program_file.top_up.base),
            stack_order=program_file.top_up.stack_order,
            ceiling_bp=program_file.top_up.ceiling_bp,
        )
        return proposals.propose_top_up(session, program, declaration, today=today, now=now)
    if change.kind is ConfirmationKind.WITHDRAW_TOP_UP:
        return proposals.propose_top_up_withdrawal(session, program, today=today, now=now)
    if change.kind is ConfirmationKind.SET_SECOND_REVIEW:
        amount = program_file.second_review_above_yuan
        return proposals.propose_second_review(session, program, amount, now=now)
    if change.kind is ConfirmationKind.SET_PROGRAM_SETTINGS:
        return proposals.propose_settings(session, program, program_file.settings(), now=now)
    raise NotFound("no proposal for {kind}", kind=change.kind.value)  # pragma: no cover
