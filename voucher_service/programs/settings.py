"""A program's settings beside its rule versions: how long its vouchers live, the fields
(领域) its measure-3 selection takes models in, and its mode (vouchers at the point of sale,
or claims after payment). Both are program data; after a program's
creation a change is a proposal a second program administrator confirms
(``programs.proposals``), like a rule version.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from voucher_service import audit_log as audit
from voucher_service.db.tables.programs import Program
from voucher_service.domain.rules import (
    MAX_VALIDITY_MONTHS,
    POLICY_SELECTION_FIELDS,
    SELECTION_FIELD_CODE,
    ProgramMode,
    SelectionField,
    VoucherValidity,
)
from voucher_service.errors import ErrorCode, InvalidInput

MAX_SELECTION_FIELDS = 50


@dataclass(frozen=True)
class ProgramSettings:
    """How long the program's vouchers live (``months`` with ``VoucherValidity.MONTHS``
    only), its selection fields (None: the policy's seven), and how it pays (``mode``)."""

    voucher_validity: VoucherValidity = VoucherValidity.POOL_YEAR
    voucher_validity_months: int | None = None
    selection_fields: tuple[SelectionField, ...] | None = field(default=None)
    mode: ProgramMode = ProgramMode.POINT_OF_SALE

    def fields(self) -> tuple[SelectionField, ...]:
        return POLICY_SELECTION_FIELDS if self.selection_fields is None else self.selection_fields

    def as_payload(self) -> dict[str, Any]:
        """The settings as JSON values (a proposal's payload, an audit entry)."""
        return {
            "voucher_validity": self.voucher_validity.value,
            "voucher_validity_months": self.voucher_validity_months,
            "selection_fields": None
            if self.selection_fields is None
            else [{"code": f.code, "name": f.name} for f in self.selection_fields],
            "mode": self.mode.value,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ProgramSettings:
        fields = payload.get("selection_fields")
        return cls(
            VoucherValidity(payload["voucher_validity"]),
            payload.get("voucher_validity_months"),
            None if fields is None else tuple(SelectionField(**f) for f in fields),
            ProgramMode(payload.get("mode", ProgramMode.POINT_OF_SALE)),
        )


def settings_of(program: Program) -> ProgramSettings:
    """The program's settings as stored."""
    fields = (
        None
        if program.selection_fields is None
        else tuple(SelectionField(**f) for f in json.loads(program.selection_fields))
    )
    return ProgramSettings(
        VoucherValidity(program.voucher_validity),
        program.voucher_validity_months,
        fields,
        ProgramMode(program.mode),
    )


def checked(settings: ProgramSettings) -> ProgramSettings:
    """``settings`` if they make sense, else InvalidInput (nothing written)."""
    months = settings.voucher_validity_months
    if settings.voucher_validity is VoucherValidity.MONTHS:
        if months is None or not 1 <= months <= MAX_VALIDITY_MONTHS:
            raise InvalidInput(
                "a voucher validity in months needs voucher_validity_months from 1 to {most}",
                most=MAX_VALIDITY_MONTHS,
                code=ErrorCode.INVALID_RULES,
            )
    elif months is not None:
        raise InvalidInput(
            "voucher_validity_months is only for voucher_validity 'months'",
            code=ErrorCode.INVALID_RULES,
        )
    fields = settings.selection_fields
    if fields is not None:
        codes = [f.code for f in fields]
        if not 1 <= len(fields) <= MAX_SELECTION_FIELDS:
            raise InvalidInput(
                "a program lists 1 to {most} selection fields",
                most=MAX_SELECTION_FIELDS,
                code=ErrorCode.INVALID_RULES,
            )
        if len(set(codes)) != len(codes):
            raise InvalidInput("selection field codes must differ", code=ErrorCode.INVALID_RULES)
        bad = [code for code in codes if not re.fullmatch(SELECTION_FIELD_CODE, code)]
        if bad:
            raise InvalidInput(
                "selection field codes are 2-40 lowercase letters, digits or _: {field_code}",
                field_code=bad[0],
                code=ErrorCode.INVALID_RULES,
            )
    return settings


def store(program: Program, settings: ProgramSettings) -> None:
    """Write ``settings`` on the program row (checked first)."""
    checked(settings)
    program.voucher_validity = settings.voucher_validity.value
    program.voucher_validity_months = settings.voucher_validity_months
    program.mode = settings.mode.value
    payload = settings.as_payload()["selection_fields"]
    program.selection_fields = None if payload is None else json.dumps(payload, ensure_ascii=False)


def set_settings(session: Session, program: Program, settings: ProgramSettings) -> Program:
    """Change the program's settings, once a second program administrator confirmed the
    proposal. Vouchers already issued keep their dates; selections already made keep their
    field."""
    before = settings_of(program).as_payload()
    store(program, settings)
    session.flush()
    audit.record(
        session,
        "program.settings",
        "program",
        program.code,
        before=before,
        after=settings.as_payload(),
    )
    return program
