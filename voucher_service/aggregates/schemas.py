"""API models of the bureau's aggregates: yuan strings, months as ``YYYY-MM``."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import ConfigDict, Field

from voucher_service.aggregates.service import (
    NEAR_CAP_SHARE_BP,
    MonthFigures,
    PoolAggregates,
    PoolSummary,
)
from voucher_service.fields import OutModel, Yuan


def month_text(month: date) -> str:
    return f"{month.year}-{month.month:02d}"


SUMMARY_EXAMPLE: dict[str, Any] = {
    "program_code": "WH-AI-M2",
    "program_name": "武汉市算力服务券(措施二)",
    "year": 2026,
    "total_yuan": "10000000.00",
    "available_yuan": "9650000.00",
    "outstanding_yuan": "312345.50",
    "consumed_yuan": "37654.50",
    "vouchers_active": 7,
    "vouchers_closed": 1,
}


class PoolSummaryOut(OutModel):
    """A program's pool for a year: total = available + outstanding + consumed."""

    model_config = ConfigDict(json_schema_extra={"examples": [SUMMARY_EXAMPLE]})

    program_code: str
    program_name: str
    year: int
    total_yuan: Yuan = Field(description="Appropriated for the year.")
    available_yuan: Yuan = Field(description="Not reserved by any voucher.")
    outstanding_yuan: Yuan = Field(description="Unspent balances of the pool's vouchers.")
    consumed_yuan: Yuan = Field(description="Subsidies applied, net of reversals.")
    vouchers_active: int
    vouchers_closed: int = Field(description="Revoked or expired.")

    @classmethod
    def of(cls, summary: PoolSummary) -> PoolSummaryOut:
        return cls.read(summary, summary.totals)


class MonthOut(OutModel):
    month: str = Field(description="YYYY-MM, service months in the program's timezone.")
    records: int = Field(description="Usage records that earned a subsidy.")
    fee_yuan: Yuan = Field(description="Fees of the records priced on the pool, net of refunds.")
    subsidy_yuan: Yuan = Field(description="Subsidies, net of reversals.")
    available_at_end_yuan: Yuan | None = Field(
        validation_alias="available_fen",
        description="Burn-down: the pool's amount not reserved by any voucher at the month's "
        "end, by the dates of its postings (now, for the current month; null for a month to "
        "come or before the pool was opened).",
    )
    unspent_at_end_yuan: Yuan | None = Field(
        validation_alias="unspent_fen",
        description="Burn-down: the total less the subsidies up to this month.",
    )

    @classmethod
    def of(cls, m: MonthFigures) -> MonthOut:
        return cls.read(m, month=month_text(m.month))


class LineOut(OutModel):
    key: str = Field(description="District code, provider credit code or size class.")
    label: str = Field(description="Its name: 洪山区, the provider's name, 小型 ...")
    enterprises: int | None = Field(
        description="Holders of the pool's vouchers (null: not counted)."
    )
    records: int | None = Field(description="Records that earned a subsidy (null: not counted).")
    subsidy_yuan: Yuan


class NearCapOut(OutModel):
    uscc: str
    name: str
    district_code: str
    district_name: str
    used_yuan: Yuan = Field(description="Net subsidies counted against the cap.")
    cap_yuan: Yuan
    used_bp: int = Field(description="Share of the cap used, in basis points.")


class PoolAggregatesOut(PoolSummaryOut):
    """A pool's figures: its totals, month by month (subsidies and the burn-down), by
    district, provider and size class, and the program's enterprises near their cap."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **SUMMARY_EXAMPLE,
                    "by_month": [
                        {
                            "month": "2026-05",
                            "records": 120,
                            "fee_yuan": "30000.00",
                            "subsidy_yuan": "15000.00",
                            "available_at_end_yuan": "9700000.00",
                            "unspent_at_end_yuan": "9980000.00",
                        }
                    ],
                    "by_district": [
                        {
                            "key": "420111",
                            "label": "洪山区",
                            "enterprises": 2,
                            "records": None,
                            "subsidy_yuan": "12000.00",
                        }
                    ],
                    "by_provider": [
                        {
                            "key": "91420100MA4K00100E",
                            "label": "武汉人工智能计算中心",
                            "enterprises": None,
                            "records": 240,
                            "subsidy_yuan": "30000.00",
                        }
                    ],
                    "by_size_class": [
                        {
                            "key": "small",
                            "label": "小型",
                            "enterprises": 3,
                            "records": None,
                            "subsidy_yuan": "30000.00",
                        }
                    ],
                    "near_cap_share_bp": 8000,
                    "near_cap_count": 1,
                    "near_cap": [
                        {
                            "uscc": "91420111MA4K00020Q",
                            "name": "光谷智造科技有限公司",
                            "district_code": "420111",
                            "district_name": "洪山区",
                            "used_yuan": "172000.00",
                            "cap_yuan": "200000.00",
                            "used_bp": 8600,
                        }
                    ],
                    "usage_age_seconds": 4.2,
                }
            ]
        }
    )

    by_month: list[MonthOut] = Field(description="Each month of the pool's year.")
    by_district: list[LineOut] = Field(description="By the holders' district (exact).")
    by_provider: list[LineOut] = Field(description="By provider (from the usage rollup).")
    by_size_class: list[LineOut] = Field(
        description="By the size class declared on the holder's latest application (exact)."
    )
    near_cap_share_bp: int = Field(description="What counts as near: this share of the cap.")
    near_cap_count: int = Field(description="How many of the program's enterprises are near.")
    near_cap: list[NearCapOut] = Field(description="The fullest ones, at most 50.")
    usage_age_seconds: float = Field(
        description="How old the month and provider figures are (at most 15 s); every other "
        "figure is exact at the request."
    )

    @classmethod
    def of_aggregates(cls, a: PoolAggregates) -> PoolAggregatesOut:
        return cls.read(
            a,
            a.summary,
            a.summary.totals,
            by_month=[MonthOut.of(m) for m in a.months],
            near_cap_share_bp=NEAR_CAP_SHARE_BP,
            usage_age_seconds=round(a.usage_age_seconds, 3),
        )
