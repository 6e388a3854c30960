"""Planning a batch of usage reports: resolve what they name in a few queries (vouchers by
code or by this provider's redemption, windows, rule versions), then check each report with
the pure rules of ``domain.usage``. Nothing is locked or written here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from voucher_service.domain.rules import Rules, cap_period, rules_on
from voucher_service.domain.usage import Refusal, UsageReport, refusal_of, service_date
from voucher_service.ledger.counters import CapKey
from voucher_service.usage import repository
from voucher_service.usage.repository import NamedVoucher


@dataclass(frozen=True)
class Plan:
    """A report, checked: the voucher it draws on, why it is refused (if it is), and the
    rules in force on its service date."""

    report: UsageReport
    voucher: NamedVoucher | None
    refusal: Refusal | None
    rules: Rules | None
    service_date: date

    @cached_property
    def cap_key(self) -> CapKey | None:
        """The cap counter a priceable report counts against; None if it is refused."""
        if self.refusal is not None or self.voucher is None or self.rules is None:
            return None
        period = cap_period(self.voucher.window, self.service_date, self.rules.cap_scope)
        return CapKey(self.voucher.enrolment_id, period)


def plan_reports(
    session: Session,
    provider_id: int,
    reports: Sequence[UsageReport],
    *,
    now: datetime,
    tz: ZoneInfo,
    grace_days: int,
) -> list[Plan]:
    """Resolve what the reports name, in a few queries, and check each one."""
    redemptions = {r.redemption_id for r in reports if r.redemption_id is not None}
    by_redemption = repository.redeemed_codes(session, provider_id, redemptions)
    codes = {
        r.record_id: r.voucher_code or by_redemption.get(r.redemption_id or 0) for r in reports
    }
    vouchers = repository.named_vouchers(session, provider_id, {c for c in codes.values() if c})
    plans = []
    for report in reports:
        code = codes[report.record_id]
        voucher = vouchers.get(code) if code else None
        day = service_date(report.service_start, tz)
        refusal = refusal_of(
            report,
            voucher.facts if voucher else None,
            reference_known=code is not None,
            now=now,
            tz=tz,
            grace_days=grace_days,
        )
        rules = None
        if voucher is not None and refusal is None:
            rules = rules_on(voucher.rules, day) or voucher.rules[0]
        plans.append(Plan(report, voucher, refusal, rules, day))
    return plans
