"""API models of the yearly evaluation."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from pydantic import Field

from voucher_service.domain.forecast import METHOD_EN, METHOD_ZH, PoolRecommendation
from voucher_service.evaluation.service import (
    Evaluation,
)
from voucher_service.fields import OutModel, Yuan


def decimal_text(value: Fraction, places: int) -> str:
    """A ratio as a decimal string (half up), never a float: ``Fraction(235, 202)`` at 4
    places is ``"1.1634"``."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return str(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def whole_fen(value: Fraction) -> int:
    """A fraction of a fen, rounded down to the fen."""
    return value.numerator // value.denominator


class StatusCountsOut(OutModel):
    by_status: dict[str, int]
    total: int
    rate_bp: int | None = Field(
        description="approved / (approved + rejected) (selected / (selected + declined)), bp."
    )


class VouchersOut(OutModel):
    issued: int
    issued_yuan: Yuan
    redeemed: int = Field(description="Bound to at least one provider.")
    active: int
    expired: int
    expired_released_yuan: Yuan
    revoked: int
    revoked_released_yuan: Yuan


class PoolUseOut(OutModel):
    total_yuan: Yuan
    available_yuan: Yuan
    outstanding_yuan: Yuan
    consumed_yuan: Yuan
    issued_yuan: Yuan
    released_yuan: Yuan
    utilisation_bp: int = Field(description="consumed / total, basis points.")
    commitment_bp: int = Field(description="(issued - released) / total, basis points.")


class SubsidyLineOut(OutModel):
    key: str
    label: str
    enterprises: int
    records: int = Field(description="Priced usage records (corrections not counted).")
    fee_yuan: Yuan = Field(description="Net of refunds.")
    subsidy_yuan: Yuan = Field(description="Net of refunds.")


class CappedOut(OutModel):
    uscc: str
    name: str
    district: str
    used_yuan: Yuan
    cap_yuan: Yuan


class RecommendationOut(OutModel):
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
        return cls.read(
            advice,
            year=year,
            annualised_fen=whole_fen(advice.annualised_fen),
            growth=decimal_text(advice.growth, 4),
            next_year_share=decimal_text(advice.next_year_share, 4),
            estimate_fen=whole_fen(advice.estimate_fen),
            method_zh=METHOD_ZH,
            method_en=METHOD_EN,
        )


class EvaluationOut(OutModel):
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
        average = report.days_to_first_usage
        advice = report.recommendation
        return cls.read(
            report,
            pool=None if report.pool is None else PoolUseOut.read(report.pool, report),
            subsidies=report.total,
            average_days_to_first_usage=None if average is None else decimal_text(average, 1),
            recommendation=None
            if advice is None
            else RecommendationOut.of(report.next_year, advice),
        )
