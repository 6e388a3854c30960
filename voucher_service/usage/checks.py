"""The usage records' part of the whole-books check (``voucher_service.books``): records
agree with the vouchers and providers' accounts they moved, and none is subsidised above
its rate."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from voucher_service.db.tables.programs import RuleVersion
from voucher_service.db.tables.usage import RecordKind, UsageRecord
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.ledger import accounts
from voucher_service.ledger.accounts import Account


def check_usage(session: Session, nets: Mapping[Account, int]) -> list[str]:
    """Usage records agree with the ledger, and none is subsidised above its rate.

    Per voucher, the net subsidy of its records equals its subsidised counter; per provider,
    the net subsidy of its records equals its payable account (less what settlement paid)."""
    violations: list[str] = []
    by_voucher: dict[int, int] = dict(
        session.execute(
            select(UsageRecord.voucher_id, func.sum(UsageRecord.subsidy_fen))
            .where(col(UsageRecord.voucher_id).is_not(None))
            .group_by(UsageRecord.voucher_id)
        ).all()
    )
    for voucher_id, subsidised in session.execute(select(Voucher.id, Voucher.subsidised_fen)):
        records = int(by_voucher.get(voucher_id, 0))
        if records != subsidised:
            violations.append(
                f"voucher id {voucher_id}: subsidised {subsidised} != its usage records {records}"
            )
    for provider_id, total in session.execute(
        select(UsageRecord.provider_id, func.sum(UsageRecord.subsidy_fen)).group_by(
            UsageRecord.provider_id
        )
    ):
        account = nets.get(accounts.payable(provider_id), 0) + nets.get(
            accounts.paid(provider_id), 0
        )
        if account != int(total):
            violations.append(
                f"provider {provider_id}: payable and paid {account} != subsidies on its "
                f"records {int(total)}"
            )
    over_rate = session.execute(
        select(UsageRecord.provider_id, UsageRecord.record_id)
        .join(Voucher, Voucher.id == UsageRecord.voucher_id)
        .join(
            RuleVersion,
            (RuleVersion.program_id == Voucher.program_id)
            & (RuleVersion.version == UsageRecord.rule_version),
        )
        .where(
            UsageRecord.kind == RecordKind.USAGE,
            UsageRecord.subsidy_fen * 10_000 > UsageRecord.fee_fen * RuleVersion.rate_bp,
        )
        .limit(100)
    ).all()
    for provider_id, record_id in over_rate:
        violations.append(
            f"usage record {record_id!r} of provider {provider_id}: subsidy above its rate"
        )
    return violations
