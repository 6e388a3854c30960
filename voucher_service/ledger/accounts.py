"""The ledger's accounts, defined once. An account is a kind and the id of what it belongs to;
it is written ``kind:id`` in a posting's ``from_account`` and ``to_account``.

    budget:<pool>     the city's appropriation for a pool (the source of its total)
    pool:<pool>       a program's annual pool; its balance is ``pool.available_fen``
    voucher:<v>       a voucher; its balance is ``voucher.balance_fen``
    payable:<p>       subsidies owed to provider p (metering adds, settlement pays)
    paid:<p>          subsidies paid to provider p
    reserved:<a>      the amount an approved application a holds from its pool while it
                      stands in public notice (公示): nothing else can promise it
    claim:<c>         an approved claim's subsidy, payable to its enterprise (claims/)
    enterprise:<e>    claim subsidies paid to enterprise e
    grant:<g>         what an approved grant g holds from its year's pool, not yet paid
    granted:<g>       the instalments paid to grant g's project
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AccountKind(StrEnum):
    BUDGET = "budget"
    POOL = "pool"
    VOUCHER = "voucher"
    PAYABLE = "payable"
    PAID = "paid"
    RESERVED = "reserved"
    CLAIM = "claim"
    ENTERPRISE = "enterprise"
    GRANT = "grant"
    GRANTED = "granted"


@dataclass(frozen=True)
class Account:
    kind: AccountKind
    owner_id: int

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.owner_id}"

    @classmethod
    def parse(cls, name: str) -> Account:
        """The account a posting names (``"voucher:12"``); ValueError if it is none."""
        kind, _, owner = name.partition(":")
        if not owner.isdigit():
            raise ValueError(f"not an account name: {name!r}")
        return cls(AccountKind(kind), int(owner))


def budget(pool_id: int) -> Account:
    return Account(AccountKind.BUDGET, pool_id)


def pool(pool_id: int) -> Account:
    return Account(AccountKind.POOL, pool_id)


def voucher(voucher_id: int) -> Account:
    return Account(AccountKind.VOUCHER, voucher_id)


def payable(provider_id: int) -> Account:
    return Account(AccountKind.PAYABLE, provider_id)


def paid(provider_id: int) -> Account:
    return Account(AccountKind.PAID, provider_id)


def reserved(application_id: int) -> Account:
    return Account(AccountKind.RESERVED, application_id)


def claim(claim_id: int) -> Account:
    return Account(AccountKind.CLAIM, claim_id)


def enterprise_paid(enterprise_id: int) -> Account:
    return Account(AccountKind.ENTERPRISE, enterprise_id)


def grant(grant_id: int) -> Account:
    return Account(AccountKind.GRANT, grant_id)


def granted(grant_id: int) -> Account:
    return Account(AccountKind.GRANTED, grant_id)
