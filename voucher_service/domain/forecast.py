"""Next year's pool, from this year's usage.

Measure 2: 根据算力使用情况每年设立总额不低于1000万元的算力服务券 (pools sized from compute
usage, at least 10,000,000 yuan a year).

The method, stated in every evaluation report (``METHOD_ZH``, ``METHOD_EN``):

1. **Annualise** this year's net subsidies: ÷ the days the program has run this year (to the
   report date) × the days of the year.
2. **Growth** from the monthly trend: the least-squares line through the net subsidies of the
   complete months observed, read at the middle of next year, ÷ this year's average month.
   Held between 0.5 and 2; taken as 1 with fewer than three complete months (no trend yet) or
   no subsidies.
3. **Next year's share**: × the share of next year's days within the program's validity (a
   program ending in March needs a quarter of a year's pool).
4. Rounded **up** to 10,000 yuan, and never below the pool minimum of the rules in force at
   the start of next year (10,000,000 yuan for measure 2).

Exact arithmetic (fractions of a fen) until the final rounding; no floats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

ROUND_TO_FEN = 1_000_000  # 10,000 yuan
GROWTH_FLOOR = Fraction(1, 2)
GROWTH_CEILING = Fraction(2)
MIN_TREND_MONTHS = 3
MIDDLE_OF_NEXT_YEAR = Fraction(37, 2)  # month 18.5, counting this year's January as 1

METHOD_ZH = (
    "下年度建议券池 = max(下年度最低额度, 向上取整至1万元("
    "本年净补贴 ÷ 本年已运行天数 × 全年天数 × 增长系数 × 下年度有效天数占比)); "
    "增长系数 = 本年完整月份净补贴的最小二乘趋势线在下年年中的值 ÷ 本年月均净补贴, "
    "限于0.5至2之间; 完整月份少于3个或无补贴时取1."
)
METHOD_EN = (
    "Next year's pool = max(the pool minimum, rounded up to 10,000 yuan: this year's net "
    "subsidies / days run x days in the year x growth x share of next year's days in force); "
    "growth = the least-squares trend of this year's complete months read at the middle of "
    "next year / this year's average month, within 0.5..2; 1 with fewer than 3 complete "
    "months or no subsidies."
)


@dataclass(frozen=True)
class UsageTrend:
    """This year's usage, as the evaluation report measures it."""

    subsidy_fen: int  # net subsidies of the year so far
    days_run: int  # days of the year the program has run, up to the report date
    days_in_year: int  # 365 or 366
    monthly_fen: Sequence[tuple[int, int]]  # (month 1..12, net subsidies): complete months


@dataclass(frozen=True)
class PoolRecommendation:
    annualised_fen: Fraction
    growth: Fraction
    months_in_trend: int
    next_year_share: Fraction
    estimate_fen: Fraction  # annualised x growth x share, before rounding and the minimum
    minimum_fen: int
    recommended_fen: int


def growth_used(monthly_fen: Sequence[tuple[int, int]]) -> bool:
    """Whether the complete months observed are enough for a trend."""
    return len(monthly_fen) >= MIN_TREND_MONTHS


def growth_of(monthly_fen: Sequence[tuple[int, int]]) -> Fraction:
    """The trend's value at the middle of next year relative to this year's average month."""
    if not growth_used(monthly_fen):
        return Fraction(1)
    zero = Fraction(0)
    months = [Fraction(m) for m, _ in monthly_fen]
    values = [Fraction(v) for _, v in monthly_fen]
    mean_month = sum(months, zero) / len(months)
    mean_value = sum(values, zero) / len(values)
    if mean_value <= 0:
        return Fraction(1)
    spread = sum(((m - mean_month) * (m - mean_month) for m in months), zero)
    slope = sum(
        ((m - mean_month) * (v - mean_value) for m, v in zip(months, values, strict=True)), zero
    )
    projected = mean_value + slope / spread * (MIDDLE_OF_NEXT_YEAR - mean_month)
    return min(GROWTH_CEILING, max(GROWTH_FLOOR, projected / mean_value))


def recommend_pool(
    trend: UsageTrend, *, pool_minimum_fen: int, next_year_share: Fraction
) -> PoolRecommendation:
    """Next year's pool by the method of the module docstring."""
    if trend.days_run <= 0 or not 0 <= next_year_share <= 1:
        raise ValueError("the program must have run this year, and a share is within 0..1")
    annualised = Fraction(max(0, trend.subsidy_fen) * trend.days_in_year, trend.days_run)
    growth = growth_of(trend.monthly_fen)
    estimate = annualised * growth * next_year_share
    rounded = -(-estimate // ROUND_TO_FEN) * ROUND_TO_FEN  # up, to 10,000 yuan
    return PoolRecommendation(
        annualised_fen=annualised,
        growth=growth,
        months_in_trend=len(trend.monthly_fen) if growth_used(trend.monthly_fen) else 0,
        next_year_share=next_year_share,
        estimate_fen=estimate,
        minimum_fen=pool_minimum_fen,
        recommended_fen=max(pool_minimum_fen, int(rounded)),
    )
