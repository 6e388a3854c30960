"""API models for accounts."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from voucher_service.accounts.service import Person
from voucher_service.db.tables.auth import Duty, Role, parse_duties
from voucher_service.fields import USCC, Name, OutModel

ACCOUNT_EXAMPLES: list[JsonValue] = [
    {
        "login": "zhangsan",
        "display_name": "张三",
        "role": "bureau",
        "duties": ["finance"],
    },
    {
        "login": "lisi.finance",
        "display_name": "李四 (财务)",
        "role": "enterprise",
        "uscc": "91420111MA4K00020Q",
    },
]


class AccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": ACCOUNT_EXAMPLES})

    login: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$",
        description="3-64 letters, digits and . _ @ - (lower-cased).",
    )
    display_name: Name = Field(min_length=1, max_length=200)
    role: Role
    uscc: USCC | None = Field(default=None, description="Enterprise and provider accounts.")
    duties: list[Duty] = Field(
        default=[], max_length=len(Duty), description="A bureau person's duties (role bureau)."
    )


class DutiesIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"duties": ["review", "finance"]}]}
    )

    duties: list[Duty] = Field(
        min_length=1,
        max_length=len(Duty),
        description="Exactly the duties the person holds from now on (never one's own).",
    )


class AccountOut(OutModel):
    id: int
    login: str
    display_name: str
    role: Role
    holder: str = Field(description="The principal the person acts as (its API keys' holder).")
    duties: list[Duty] = Field(description="A bureau person's duties (docs/access.md).")
    uscc: str | None
    must_change_password: bool
    created_at: datetime
    password_changed_at: datetime
    disabled_at: datetime | None
    second_factor: bool = Field(description="Signs in with a TOTP code after the password.")

    @classmethod
    def of(cls, person: Person) -> AccountOut:
        account = person.account
        return cls.read(
            account,
            role=person.role,
            holder=person.principal.name,
            duties=sorted(parse_duties(person.principal.duties)),
            uscc=person.enterprise_uscc or person.provider_uscc,
            second_factor=account.totp_confirmed_at is not None,
        )


class AccountWithPassword(AccountOut):
    temporary_password: str = Field(
        description="Shown only now: hand it to the person, who must change it at sign-in."
    )
