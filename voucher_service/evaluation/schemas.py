"""API models of the yearly evaluation."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from pydantic import BaseModel, Field

from voucher_service.domain.forecast import METHOD_EN, METHOD_ZH, PoolRecommendation
from voucher_service.evaluation.service import (
    CappedEnterprise,
    Evaluation,
    StatusCounts,
    SubsidyLine,
)
from voucher_service.fields import Yuan


def decimal_text(value: Fraction, places: int) -> str:
    """A ratio as a decimal string (half up), never a float: ``Fraction(235, 202)`` at 4
    places is ``"1.1634"``."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return str(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def whole_fen(value: Fraction) -> int:
    """A fraction of a fen, rounded down to the fen."""
    return value.numerator // value.denominator


class StatusCountsOut(BaseModel):
    by_status: dict[str, int]
    total: int
    rate_bp: int | None = Field(
        description="approved / (approved + rejected) (selected / (selected + declined)), bp."
    )

    @classmethod
    def of(cls, counts: StatusCounts) -> StatusCountsOut:
        return cls(by_status=counts.by_status, total=counts.total, rate_bp=counts.rate_bp)


class VouchersOut(BaseModel):
    issued: int
    issued_yuan: Yuan
    redeemed: int = Field(description="Bound to at least one provider.")
    active: int
    expired: int
    expired_released_yuan: Yuan
    revoked: int
    revoked_released_yuan: Yuan


class PoolUseOut(BaseModel):
    total_yuan: Yuan
    available_yuan: Yuan
    outstanding_yuan: Yuan
    consumed_yuan: Yuan
    issued_yuan: Yuan
    released_yuan: Yuan
    utilisation_bp: int = Field(description="consumed / total, basis points.")
    commitment_bp: int = Field(description="(issued - released) / total, basis points.")


class SubsidyLineOut(BaseModel):
    key: str
    label: str
    enterprises: int
    records: int = Field(description="Priced usage records (corrections not counted).")
    fee_yuan: Yuan = Field(description="Net of refunds.")
    subsidy_yuan: Yuan = Field(description="Net of refunds.")

    @classmethod
    def of(cls, line: SubsidyLine) -> SubsidyLineOut:
        return cls(
            key=line.key,
            label=line.label,
            enterprises=line.enterprises,
            records=line.records,
            fee_yuan=line.fee_fen,
            subsidy_yuan=line.subsidy_fen,
        )


class CappedOut(BaseModel):
    uscc: str
    name: str
    district: str
    used_yuan: Yuan
    cap_yuan: Yuan

    @classmethod
    def of(cls, row: CappedEnterprise) -> CappedOut:
        return cls(
            uscc=row.uscc,
            name=row.name,
            district=row.district,
            used_yuan=row.used_fen,
            cap_yuan=row.cap_fen,
        )


class RecommendationOut(BaseModel):
    year: int
    recommended_yuan: Yuan
    minimum_yuan: Yuan
    annualised_yuan: Yuan = Field(description="This year's net subsidies, annualised.")
    growth: str = Field(description="From the monthly trend (0.5 to 2).")
    months_in_trend: int = Field(description="Complete months in the trend (0: none used).")
    next_year_share: str = Field(description="Share of next year's days in force.")
    estimate_yuan: Yuan = Field(description="annualised x growth x share, before rounding.")
    method_zh: str
    method_en: str

    @classmethod
    def of(cls, year: int, advice: PoolRecommendation) -> RecommendationOut:
        return cls(
            year=year,
            recommended_yuan=advice.recommended_fen,
            minimum_yuan=advice.minimum_fen,
            annualised_yuan=whole_fen(advice.annualised_fen),
            growth=decimal_text(advice.growth, 4),
            months_in_trend=advice.months_in_trend,
            next_year_share=decimal_text(advice.next_year_share, 4),
            estimate_yuan=whole_fen(advice.estimate_fen),
            method_zh=METHOD_ZH,
            method_en=METHOD_EN,
        )


class EvaluationOut(BaseModel):
    program_code: str
    program_name: str
    year: int
    as_of: date
    first_day: date = Field(description="The year's first day within the program.")
    last_day: date
    applications: StatusCountsOut
    selections: StatusCountsOut | None = Field(description="Programs that select models.")
    vouchers: VouchersOut
    pool: PoolUseOut | None = Field(description="None when the year has no pool.")
    subsidies: SubsidyLineOut = Field(description="The year's totals.")
    by_district: list[SubsidyLineOut]
    by_provider: list[SubsidyLineOut]
    by_size_class: list[SubsidyLineOut]
    by_month: list[SubsidyLineOut]
    capped: list[CappedOut] = Field(description="Enterprises that reached the program's cap.")
    average_days_to_first_usage: str | None
    first_usage_measured: int = Field(description="Enterprises in that average.")
    recommendation: RecommendationOut | None = Field(
        description="None before the year begins or when the program does not run next year."
    )

    @classmethod
    def of(cls, report: Evaluation) -> EvaluationOut:
        pool = report.pool
        vouchers = report.vouchers
        average = report.days_to_first_usage
        return cls(
            program_code=report.program_code,
            program_name=report.program_name,
            year=report.year,
            as_of=report.as_of,
            first_day=report.first_day,
            last_day=report.last_day,
            applications=StatusCountsOut.of(report.applications),
            selections=StatusCountsOut.of(report.selections) if report.selections else None,
            vouchers=VouchersOut(
                issued=vouchers.issued,
                issued_yuan=vouchers.issued_fen,
                redeemed=vouchers.redeemed,
                active=vouchers.active,
                expired=vouchers.expired,
                expired_released_yuan=vouchers.expired_released_fen,
                revoked=vouchers.revoked,
                revoked_released_yuan=vouchers.revoked_released_fen,
            ),
            pool=None
            if pool is None
            else PoolUseOut(
                total_yuan=pool.total_fen,
                available_yuan=pool.available_fen,
                outstanding_yuan=pool.outstanding_fen,
                consumed_yuan=pool.consumed_fen,
                issued_yuan=pool.issued_fen,
                released_yuan=pool.released_fen,
                utilisation_bp=report.utilisation_bp or 0,
                commitment_bp=report.commitment_bp or 0,
            ),
            subsidies=SubsidyLineOut.of(report.total),
            by_district=[SubsidyLineOut.of(x) for x in report.by_district],
            by_provider=[SubsidyLineOut.of(x) for x in report.by_provider],
            by_size_class=[SubsidyLineOut.of(x) for x in report.by_size_class],
            by_month=[SubsidyLineOut.of(x) for x in report.by_month],
            capped=[CappedOut.of(x) for x in report.capped],
            average_days_to_first_usage=decimal_text(average, 1) if average is not None else None,
            first_usage_measured=report.first_usage_measured,
            recommendation=RecommendationOut.of(report.next_year, report.recommendation)
            if report.recommendation
            else None,
        )
