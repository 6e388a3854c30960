"""Planning a batch of usage reports: resolve what they name in a few queries (vouchers by
code or by this provider's redemption, windows, rule versions), then check each report with
the pure rules of ``domain.usage``. Nothing is locked or written here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from voucher_service.domain.rules import Rules, Window, cap_limits, rules_on
from voucher_service.domain.usage import Refusal, UsageReport, refusal_of, service_date
from voucher_service.ledger.counters import CapKey
from voucher_service.usage import repository
from voucher_service.usage.repository import NamedVoucher, TopUpVoucher


@dataclass(frozen=True)
class TopUpLayer:
    """A top-up program's layer of a stacked record: its voucher, the rules in force on the
    service date, and the cap counter it counts against (and its lifetime counter, when the
    top-up has a cap per year beside its lifetime cap)."""

    top_up: TopUpVoucher
    rules: Rules
    cap_key: CapKey
    lifetime_key: CapKey | None = None

    @property
    def voucher(self) -> NamedVoucher:
        return self.top_up.voucher


@dataclass(frozen=True)
class Plan:
    """A report, checked: the voucher it draws on, why it is refused (if it is), and the
    rules in force on its service date; and the top-up layers it is priced through too."""

    report: UsageReport
    voucher: NamedVoucher | None
    refusal: Refusal | None
    rules: Rules | None
    service_date: date
    top_ups: tuple[TopUpLayer, ...] = ()

    @cached_property
    def cap_keys(self) -> tuple[CapKey, ...]:
        """The cap counters a priceable report counts against (none if it is refused): its
        own first (the record's cap period), then the lifetime one beside a cap per year."""
        if self.refusal is not None or self.voucher is None or self.rules is None:
            return ()
        return cap_keys(
            self.voucher.enrolment_id, self.voucher.window, self.service_date, self.rules
        )

    @property
    def cap_key(self) -> CapKey | None:
        """The cap counter a priceable report counts against first; None if it is refused."""
        return self.cap_keys[0] if self.cap_keys else None

    @property
    def lifetime_key(self) -> CapKey | None:
        """The lifetime counter it counts against too, beside a cap per year; else None."""
        return self.cap_keys[1] if len(self.cap_keys) > 1 else None

    @property
    def counters(self) -> tuple[set[CapKey], set[int]]:
        """The cap counters and vouchers pricing this report draws on, every layer's."""
        if self.cap_key is None or self.voucher is None:
            return set(), set()
        caps = set(self.cap_keys)
        for layer in self.top_ups:
            caps |= {layer.cap_key, *([layer.lifetime_key] if layer.lifetime_key else [])}
        return caps, {self.voucher.id, *(layer.voucher.id for layer in self.top_ups)}


def cap_keys(enrolment_id: int, window: Window, day: date, rules: Rules) -> tuple[CapKey, ...]:
    """The counters of the caps ``rules`` apply to a subsidy on ``day`` (``cap_limits``)."""
    return tuple(CapKey(enrolment_id, limit.period) for limit in cap_limits(rules, window, day))


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
        if refusal is Refusal.UNKNOWN_VOUCHER:
            voucher = None  # stored as for a code that does not exist: tied to no one
        rules = None
        if voucher is not None and refusal is None:
            rules = rules_on(voucher.rules, day) or voucher.rules[0]
        plans.append(Plan(report, voucher, refusal, rules, day))
    return _with_top_ups(session, provider_id, plans)


def _with_top_ups(session: Session, provider_id: int, plans: list[Plan]) -> list[Plan]:
    """Give each priceable report on a stacked program its top-up layers: per top-up
    program, the enterprise's voucher redeemed with this provider that is valid on the
    service date (else its first), priced by the rules in force that day."""
    stacked = [p for p in plans if p.cap_key is not None and p.voucher and p.voucher.stacked]
    if not stacked:
        return plans
    holders = {(p.voucher.enterprise_id, p.voucher.program_id) for p in stacked if p.voucher}
    offered = repository.top_up_vouchers(session, provider_id, holders)
    layered = {}
    for plan in stacked:
        assert plan.voucher is not None
        layers = []
        by_program: dict[str, list[TopUpVoucher]] = {}
        for top_up in offered.get((plan.voucher.enterprise_id, plan.voucher.program_id), []):
            by_program.setdefault(top_up.program_code, []).append(top_up)
        for candidates in by_program.values():
            day = plan.service_date
            valid = [
                t for t in candidates if t.voucher.valid_from <= day <= t.voucher.facts.valid_to
            ]
            top_up = (valid or candidates)[0]
            rules = rules_on(top_up.voucher.rules, day)
            if rules is None:  # the top-up program has no rules in force that day
                continue
            own, *lifetime = cap_keys(
                top_up.voucher.enrolment_id, top_up.voucher.window, day, rules
            )
            layers.append(TopUpLayer(top_up, rules, own, lifetime[0] if lifetime else None))
        layers.sort(key=lambda layer: layer.top_up.stack_order)
        layered[id(plan)] = replace(plan, top_ups=tuple(layers))
    return [layered.get(id(plan), plan) for plan in plans]
