"""API models for programs, rule versions, top-ups and pools."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from voucher_service.db.tables.grants import Funding
from voucher_service.domain.rules import (
    MAX_VALIDITY_MONTHS,
    SELECTION_FIELD_CODE,
    CapScope,
    ProgramMode,
    ProgramPhase,
    SelectionField,
    VoucherValidity,
)
from voucher_service.fields import (
    Day,
    Name,
    NonNegativeYuan,
    OutModel,
    PositiveYuan,
    ProgramCode,
    Text,
    Year,
    Yuan,
    input_of,
)
from voucher_service.programs.service import (
    Eligibility,
    PoolTotals,
    ProgramView,
    RuleNumbers,
    VersionView,
)
from voucher_service.programs.settings import ProgramSettings, settings_of

MEASURE_2_RULES: dict[str, Any] = {
    "effective_from": "2025-03-19",
    "rate_bp": 5000,
    "cap_yuan": "200000.00",
    "cap_scope": "lifetime",
    "window_months": 36,
    "pool_minimum_yuan": "10000000.00",
}


class RuleVersionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [MEASURE_2_RULES]})

    effective_from: Day = Field(description="First service date this version prices.")
    rate_bp: int = Field(
        strict=True, ge=1, le=10_000, description="Subsidy rate in basis points: 5000 = 50%."
    )
    cap_yuan: PositiveYuan = Field(description="Per-enterprise cap (yuan).")
    cap_scope: CapScope = Field(
        default=CapScope.LIFETIME,
        description="lifetime: cumulative over the window; per_year: per subsidy year.",
    )
    year_cap_yuan: PositiveYuan | None = Field(
        default=None,
        description="A cap per subsidy year beside the lifetime cap (cap_scope lifetime only, "
        "at most cap_yuan): each subsidy counts against both; none by default.",
    )
    window_months: int = Field(
        strict=True, default=36, ge=1, le=120, description="Subsidy window length."
    )
    pool_minimum_yuan: NonNegativeYuan = Field(
        default=0, description="Smallest annual pool the program allows (yuan)."
    )
    pool_maximum_yuan: PositiveYuan | None = Field(
        default=None,
        description="Largest annual pool the program allows (yuan; null: no maximum): the "
        "ceiling of a grant budget such as measure 2's monitoring (每年安排不超过300万元).",
    )

    def numbers(self) -> RuleNumbers:
        return input_of(RuleNumbers, self)


class RuleVersionOut(OutModel):
    version: int
    effective_from: date = Field(description="First service date this version prices.")
    effective_to: date = Field(
        description="Last service date it prices (inclusive): the day before the next version "
        "takes effect, or the program's last day."
    )
    in_force: bool = Field(description="Whether this version prices today's usage.")
    rate_bp: int
    cap_yuan: Yuan
    cap_scope: CapScope
    year_cap_yuan: Yuan | None = Field(
        default=None, description="The cap per subsidy year beside the lifetime cap, if any."
    )
    window_months: int
    pool_minimum_yuan: Yuan
    pool_maximum_yuan: Yuan | None = Field(description="Largest annual pool (null: none).")

    @classmethod
    def of(cls, view: VersionView) -> RuleVersionOut:
        return cls.read(view, view.row)


PROGRAM_EXAMPLE: dict[str, Any] = {
    "code": "WH-AI-M2",
    "name": "武汉市算力服务券 (Measure 2: inclusive compute supply)",
    "description": "50% of compute fees, at most 200,000 CNY, at most 3 years.",
    "valid_from": "2025-03-19",
    "valid_to": "2027-03-18",
    "rules": MEASURE_2_RULES,
}


class SelectionFieldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(
        pattern=SELECTION_FIELD_CODE,
        description="Stable code: 2-40 lowercase letters, digits or _ (e.g. education).",
    )
    name: Name = Field(min_length=1, max_length=40, description="Its Chinese name (e.g. 教育).")


class SelectionFieldOut(OutModel):
    code: str
    name: str


class SettingsIn(BaseModel):
    """A program's settings beside its rules (programs/settings.py)."""

    voucher_validity: VoucherValidity = Field(
        default=VoucherValidity.POOL_YEAR,
        description="How long a voucher lives: pool_year (to the end of its pool's year), "
        "months (voucher_validity_months from its first day) or window (to the end of the "
        "enterprise's subsidy window); never past the program's end.",
    )
    voucher_validity_months: int | None = Field(
        default=None,
        strict=True,
        ge=1,
        le=MAX_VALIDITY_MONTHS,
        description="With voucher_validity 'months' only.",
    )
    selection_fields: list[SelectionFieldIn] | None = Field(
        default=None,
        max_length=50,
        description="Measure 3: the fields (领域) models are selected in (null: the policy's "
        "seven: manufacturing 电子信息制造, industrial_inspection 工业质检, education 教育, "
        "healthcare 医疗, remote_sensing 遥感, culture 文创, finance 金融).",
    )

    mode: ProgramMode = Field(
        default=ProgramMode.POINT_OF_SALE,
        description="How the subsidy is paid: point_of_sale (vouchers providers draw as they "
        "meter usage) or reimbursement (claims after payment, with contract, invoices and "
        "proof of payment; no vouchers).",
    )

    def settings(self) -> ProgramSettings:
        fields = self.selection_fields
        return ProgramSettings(
            self.voucher_validity,
            self.voucher_validity_months,
            None if fields is None else tuple(SelectionField(f.code, f.name) for f in fields),
            self.mode,
        )


class ProgramCreate(SettingsIn):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [PROGRAM_EXAMPLE]})

    code: ProgramCode = Field(description="Stable short code.")
    name: Name = Field(min_length=1, max_length=200)
    description: Text = Field(default="", max_length=2000)
    valid_from: Day
    valid_to: Day
    rules: RuleVersionIn
    region_prefix: str = Field(
        default="4201",
        pattern=r"^[0-9]{0,6}$",
        description="Applicants must be registered in a division starting with this "
        "(4201: Wuhan; 420111: Hongshan district; empty: anywhere).",
    )
    sme_max_headcount: int = Field(
        strict=True, default=1000, ge=0, le=10_000_000, description="SME limit on declared staff."
    )
    sme_max_revenue_yuan: NonNegativeYuan = Field(
        default="400000000.00",
        validate_default=True,
        description="SME limit on declared yearly revenue (yuan).",
    )
    requires_selection: bool = Field(
        strict=True,
        default=False,
        description="Measure 3: only enterprises selected (遴选) for a year may be issued that "
        "year's vouchers.",
    )
    second_review_above_yuan: NonNegativeYuan | None = Field(
        default=None,
        description="Maker-checker: approving an application for more than this, or revoking "
        "a voucher with more than this unspent, waits for a second reviewer (none: never).",
    )
    funding: Funding = Field(
        default=Funding.VOUCHERS,
        description="How its pools are spent: vouchers to enterprises, or grants to projects "
        "paid in instalments against milestones (/v1/admin/grants; a yearly budget whose "
        "ceiling is the rules' pool_maximum_yuan).",
    )

    def eligibility(self) -> Eligibility:
        return input_of(Eligibility, self)


class ProgramUpdate(BaseModel):
    """What may change on a program after its creation: the second-review amount, or its
    settings (voucher validity, selection fields), each a proposal that a second program
    administrator confirms. Give one or the other; settings are given whole."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"second_review_above_yuan": "100000.00"},
                {"settings": {"voucher_validity": "months", "voucher_validity_months": 12}},
            ]
        },
    )

    second_review_above_yuan: NonNegativeYuan | None = Field(
        default=None,
        description="Maker-checker: approving an application for more than this, or revoking "
        "a voucher with more than this unspent, waits for a second reviewer (null: never).",
    )
    settings: SettingsIn | None = Field(
        default=None, description="The program's settings, whole (what is left out: default)."
    )


class StackPlaceOut(OutModel):
    program_code: str
    stack_order: int = Field(description="The base prices first, then its top-ups from 1 up.")
    ceiling_bp: int = Field(description="Combined rate ceiling of the stack, basis points.")


class TopUpIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"base_program_code": "WH-AI-M2", "stack_order": 1, "ceiling_bp": 7000}]
        },
    )

    base_program_code: ProgramCode = Field(description="The program topped up (e.g. WH-AI-M2).")
    stack_order: int = Field(
        strict=True, ge=1, le=100, description="Place among the base's top-ups."
    )
    ceiling_bp: int = Field(
        strict=True,
        ge=1,
        le=10_000,
        description="The base and its top-ups together pay at most this share of a fee.",
    )


class ProgramOut(OutModel):
    code: str
    name: str
    description: str
    valid_from: date
    valid_to: date
    phase: ProgramPhase = Field(
        description="upcoming, in_force, or ended (no new pools, applications or vouchers; "
        "vouchers issued are priced until their own last day)."
    )
    region_prefix: str
    sme_max_headcount: int
    sme_max_revenue_yuan: Yuan
    requires_selection: bool
    funding: Funding = Field(description="vouchers, or grants to projects.")
    second_review_above_yuan: Yuan | None = Field(
        description="Approvals and revocations above this wait for a second reviewer."
    )
    voucher_validity: VoucherValidity
    voucher_validity_months: int | None
    mode: ProgramMode = Field(description="point_of_sale or reimbursement (claims).")
    selection_fields: list[SelectionFieldOut] = Field(
        description="Measure 3's fields (领域): the program's own list, or the policy's seven."
    )
    tops_up: StackPlaceOut | None = Field(description="The base program, if a top-up.")
    topped_up_by: list[StackPlaceOut] = Field(description="Its top-ups, in stack order.")
    created_at: datetime
    rules: list[RuleVersionOut] = Field(description="Rule versions with their dates in force.")

    @classmethod
    def of(cls, view: ProgramView) -> ProgramOut:
        return cls.read(
            view,
            view.program,
            rules=[RuleVersionOut.of(v) for v in view.versions],
            selection_fields=[
                SelectionFieldOut.model_validate(f) for f in settings_of(view.program).fields()
            ],
        )


class PoolCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"year": 2026, "total_yuan": "10000000.00"}]},
    )

    year: Year = Field(strict=True)
    total_yuan: PositiveYuan


class PoolOut(OutModel):
    program_code: str
    year: int
    total_yuan: Yuan = Field(description="Appropriated for the year.")
    available_yuan: Yuan = Field(description="Not reserved by any voucher.")
    outstanding_yuan: Yuan = Field(description="Unspent balances of the pool's vouchers.")
    consumed_yuan: Yuan = Field(description="Net subsidies applied from the pool's vouchers.")
    issued_yuan: Yuan = Field(description="Face values of all vouchers ever issued.")
    released_yuan: Yuan = Field(description="Returned from revoked or expired vouchers.")
    vouchers_active: int
    vouchers_closed: int

    @classmethod
    def of(cls, program_code: str, year: int, totals: PoolTotals) -> PoolOut:
        return cls.read(totals, program_code=program_code, year=year)
