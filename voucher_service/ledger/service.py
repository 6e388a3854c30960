"""The ledger: the one door through which money moves. Every change of money is an
append-only posting between two accounts (``ledger.accounts``), and the counters kept beside
the postings for speed — a pool's available balance, a voucher's balance, subsidised and
released amounts, an enterprise's cap used — move only here, in the same statements as
their postings. No other module inserts a posting or updates one of those columns (a test
watches every statement the suite runs). The rows that hold money are made here too: a
caller says what it wants (a program's pool for a year with its total; a voucher from a
pool for an enterprise, with its face value and validity) and the ledger writes the row
with its balances and posts the money in the same step, so no caller ever sets a balance.

Postings (DESIGN.md): fund budget->pool; issue pool->voucher; subsidy voucher->payable;
reversal payable->voucher; release voucher->pool (revoke, expire, a refund on a closed
voucher); settle payable->paid; reserve pool->reserved and unreserve reserved->pool (an
approval standing in public notice holds its amount, then gives it back to be issued or
to stay in the pool); claim pool->claim, claim reversal claim->pool and claim pay
claim->enterprise (claims after payment: ``pay_claim_subsidy``, ``reverse_claim_subsidy``,
``pay_claim``); grant pool->grant (a grant approved holds its amount from its year's pool)
and instalment grant->granted (an accepted milestone paid to the project).

Invariants this module keeps and ``verify`` checks on a live database:

1. Conservation. Per pool: total = available + Σ voucher balances + Σ net subsidies.
   Per voucher: face value = balance + net subsidies + released (also a CHECK constraint).
   No balance is ever negative (CHECK constraints, not only code).
2. Counters equal the postings: each pool's available and each voucher's balance equal the
   net of the postings on their accounts; each cap counter equals the net subsidies drawn
   against it.
3. Cap: each enterprise's net subsidy in a program is within the cap of its rules.
5. Immutability: postings are never updated or deleted (a database trigger refuses it).

Counters move by UPDATEs relative to the stored value (``balance_fen = balance_fen - :x``)
under row locks taken in a fixed order (vouchers, then cap counters: ``ledger.counters``),
or by single conditional UPDATEs (``... WHERE available_fen >= :x``): never by reading a
value in Python and writing it back, so concurrent transactions cannot overdraw.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from voucher_service import audit_log
from voucher_service.db.base import table
from voucher_service.db.statements import postgres_connection
from voucher_service.db.tables.grants import ProjectGrant
from voucher_service.db.tables.ledger import CapUsage, LedgerPosting, PostingKind
from voucher_service.db.tables.programs import Pool
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.db.types import utcnow
from voucher_service.ledger import accounts
from voucher_service.ledger.accounts import Account

POSTINGS = table(LedgerPosting)
POOLS = table(Pool)
VOUCHERS = table(Voucher)
CAPS = table(CapUsage)
GRANTS = table(ProjectGrant)


@dataclass(frozen=True)
class Posting:
    """One movement of a positive amount from ``source`` to ``target``."""

    kind: PostingKind
    source: Account
    target: Account
    amount_fen: int
    pool_id: int | None = None
    voucher_id: int | None = None
    usage_record_id: int | None = None
    memo: str = ""


def post_many(session: Session, postings: Sequence[Posting], *, now: datetime) -> None:
    """Append postings in one statement. Amounts are positive: the direction says which
    way money moves (a CHECK refuses anything else)."""
    rows = []
    for posting in postings:
        if posting.amount_fen <= 0:
            raise ValueError(f"a posting moves a positive amount, not {posting.amount_fen}")
        rows.append(
            {
                "kind": posting.kind.value,
                "from_account": str(posting.source),
                "to_account": str(posting.target),
                "amount_fen": posting.amount_fen,
                "pool_id": posting.pool_id,
                "voucher_id": posting.voucher_id,
                "usage_record_id": posting.usage_record_id,
                "memo": posting.memo[:500],
                "created_at": now,
            }
        )
    if rows:
        session.execute(insert(POSTINGS), rows)


def _post(session: Session, posting: Posting) -> None:
    """Append one posting, stamped now."""
    post_many(session, [posting], now=utcnow())


def open_pool(session: Session, *, program_id: int, year: int, total_fen: int, memo: str) -> Pool:
    """Open a program's annual pool, funded from the budget: the pool's row with its whole
    total available, and one posting (budget->pool) saying where the money came from."""
    if total_fen <= 0:
        raise ValueError(f"a pool holds a positive total, not {total_fen}")
    pool = Pool(program_id=program_id, year=year, total_fen=total_fen, available_fen=total_fen)
    session.add(pool)
    session.flush()
    assert pool.id is not None
    _post(
        session,
        Posting(
            PostingKind.FUND,
            accounts.budget(pool.id),
            accounts.pool(pool.id),
            total_fen,
            pool_id=pool.id,
            memo=memo,
        ),
    )
    return pool


def issue_voucher(
    session: Session,
    pool: Pool,
    *,
    code: str,
    enterprise_id: int,
    enrolment_id: int,
    face_value_fen: int,
    valid_from: date,
    valid_to: date,
    memo: str,
) -> Voucher | None:
    """Reserve a new voucher's face value from ``pool`` and store the voucher, in the pool's
    program, holding that value whole (nothing subsidised or released yet); None, with
    nothing written, when the pool lacks the amount. One conditional UPDATE: concurrent
    issuers can never overdraw the pool."""
    if face_value_fen <= 0:
        raise ValueError(f"a voucher holds a positive face value, not {face_value_fen}")
    assert pool.id is not None
    if not _draw_from_pool(session, pool.id, face_value_fen):
        return None
    voucher = Voucher(
        code=code,
        pool_id=pool.id,
        program_id=pool.program_id,
        enterprise_id=enterprise_id,
        enrolment_id=enrolment_id,
        face_value_fen=face_value_fen,
        balance_fen=face_value_fen,
        subsidised_fen=0,
        released_fen=0,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    session.add(voucher)
    session.flush()
    assert voucher.id is not None
    _post(
        session,
        Posting(
            PostingKind.ISSUE,
            accounts.pool(pool.id),
            accounts.voucher(voucher.id),
            face_value_fen,
            pool_id=pool.id,
            voucher_id=voucher.id,
            memo=memo,
        ),
    )
    return voucher


def release_voucher(session: Session, voucher: Voucher, *, memo: str) -> int:
    """Move a closing voucher's unspent balance back to the pool of its year; returns the
    amount. The caller holds the voucher's row lock and read it under that lock."""
    unspent = voucher.balance_fen
    assert voucher.id is not None
    if unspent:
        _move_voucher(session, voucher.id, balance_fen=-unspent, released_fen=unspent)
        _release(session, voucher.id, voucher.pool_id, unspent, memo=memo, usage_record_id=None)
    set_committed_value(voucher, "balance_fen", 0)
    set_committed_value(voucher, "released_fen", voucher.released_fen + unspent)
    return unspent


def reserve(session: Session, pool: Pool, *, application_id: int, amount_fen: int) -> bool:
    """Hold ``amount_fen`` of ``pool`` for an application in public notice (pool ->
    reserved:<application>); False, with nothing written, when the pool lacks it. The same
    single conditional UPDATE as an issuance: a reservation and an issuance racing for the
    last of a pool never both succeed."""
    if amount_fen <= 0:
        raise ValueError(f"a reservation holds a positive amount, not {amount_fen}")
    assert pool.id is not None
    if not _draw_from_pool(session, pool.id, amount_fen):
        return False
    _post(
        session,
        Posting(
            PostingKind.RESERVE,
            accounts.pool(pool.id),
            accounts.reserved(application_id),
            amount_fen,
            pool_id=pool.id,
            memo=f"application {application_id} in public notice",
        ),
    )
    return True


def unreserve(
    session: Session, pool_id: int, *, application_id: int, amount_fen: int, memo: str
) -> None:
    """Give an application's reservation back to its pool (reserved -> pool): its notice
    ended. Issuing the voucher follows in the same transaction (``issue_voucher`` draws the
    amount again under the pool's conditional UPDATE), or, after an upheld objection, the
    amount stays available. The caller holds the application's row lock, so a reservation
    is given back once."""
    _back_to_pool(
        session,
        PostingKind.UNRESERVE,
        accounts.reserved(application_id),
        pool_id,
        amount_fen,
        memo=memo,
    )


def approve_grant(session: Session, grant: ProjectGrant, *, amount_fen: int) -> bool:
    """Approve a grant for ``amount_fen`` and hold that much of its year's pool (pool ->
    grant:<g>); False, with nothing written, when the pool lacks it (the year's ceiling: the
    pool's total, at most its program's maximum, less what is held and paid already). The
    same single conditional UPDATE as an issuance: concurrent approvals racing for the last
    of a year's budget never both succeed. The caller holds the grant's row lock and checked
    that it waits for a decision."""
    if amount_fen <= 0:
        raise ValueError(f"a grant holds a positive amount, not {amount_fen}")
    assert grant.id is not None
    if not _draw_from_pool(session, grant.pool_id, amount_fen):
        return False
    session.execute(
        update(GRANTS)
        .where(GRANTS.c.id == grant.id)
        .values(approved_fen=amount_fen, status="approved")
    )
    set_committed_value(grant, "approved_fen", amount_fen)
    set_committed_value(grant, "status", "approved")
    _post(
        session,
        Posting(
            PostingKind.GRANT,
            accounts.pool(grant.pool_id),
            accounts.grant(grant.id),
            amount_fen,
            pool_id=grant.pool_id,
            memo=f"grant {grant.id} approved",
        ),
    )
    return True


def pay_instalment(
    session: Session, grant: ProjectGrant, *, amount_fen: int, milestone_id: int
) -> bool:
    """Pay an accepted milestone's instalment of a grant (grant:<g> -> granted:<g>); False,
    with nothing written, when it would take the grant's instalments above its approved
    amount. One conditional UPDATE (``paid_fen + x <= approved_fen``, a CHECK as well):
    concurrent payments of one grant never overpay it."""
    if amount_fen <= 0:
        raise ValueError(f"an instalment is a positive amount, not {amount_fen}")
    assert grant.id is not None
    moved = session.execute(
        update(GRANTS)
        .where(GRANTS.c.id == grant.id, GRANTS.c.paid_fen + amount_fen <= GRANTS.c.approved_fen)
        .values(paid_fen=GRANTS.c.paid_fen + amount_fen)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return False
    _post(
        session,
        Posting(
            PostingKind.INSTALMENT,
            accounts.grant(grant.id),
            accounts.granted(grant.id),
            amount_fen,
            pool_id=grant.pool_id,
            memo=f"grant {grant.id} milestone {milestone_id}",
        ),
    )
    session.expire(grant, ["paid_fen"])
    return True


@dataclass(frozen=True)
class Draw:
    """A subsidy one usage record draws from a voucher, counted against a cap counter (and
    against the lifetime counter too, ``lifetime_cap_id``, under a cap per year beside a
    lifetime cap: both move by the amount, in the same statements)."""

    voucher_id: int
    pool_id: int
    provider_id: int
    cap_id: int
    amount_fen: int
    usage_record_id: int | None  # None until the record is stored (``record_with_subsidy``)
    memo: str
    lifetime_cap_id: int | None = None

    @property
    def cap_ids(self) -> tuple[int, ...]:
        """The cap counters the draw counts against."""
        return (
            (self.cap_id,) if self.lifetime_cap_id is None else (self.cap_id, self.lifetime_cap_id)
        )

    def posting(self, kind: PostingKind, source: Account, target: Account) -> Posting:
        return Posting(
            kind,
            source,
            target,
            self.amount_fen,
            pool_id=self.pool_id,
            voucher_id=self.voucher_id,
            usage_record_id=self.usage_record_id,
            memo=self.memo,
        )


_PG_COPY_POSTINGS = (
    "COPY ledger_posting (kind, from_account, to_account, amount_fen, pool_id, voucher_id, "
    "usage_record_id, memo, created_at) FROM STDIN"
)
_PG_DRAW_VOUCHERS = """
UPDATE voucher SET balance_fen = voucher.balance_fen - moved.amount,
                   subsidised_fen = voucher.subsidised_fen + moved.amount
  FROM unnest(%(ids)s::bigint[], %(amounts)s::bigint[]) AS moved(id, amount)
 WHERE voucher.id = moved.id
"""
_PG_COUNT_CAPS = """
UPDATE cap_usage SET used_fen = cap_usage.used_fen + moved.amount
  FROM unnest(%(ids)s::bigint[], %(amounts)s::bigint[]) AS moved(id, amount)
 WHERE cap_usage.id = moved.id
"""


def subsidise(session: Session, draws: Sequence[Draw], *, now: datetime) -> None:
    """Post each draw voucher->payable and move the voucher balances and cap counters by
    the totals: one statement each for postings, vouchers and caps (on PostgreSQL a COPY
    and two joins on unnested arrays). The caller holds the locks of ``ledger.counters``
    and priced the draws under them."""
    draws = [d for d in draws if d.amount_fen]
    if not draws:
        return
    postings = [
        d.posting(
            PostingKind.SUBSIDY, accounts.voucher(d.voucher_id), accounts.payable(d.provider_id)
        )
        for d in draws
    ]
    per_voucher: dict[int, int] = defaultdict(int)
    per_cap: dict[int, int] = defaultdict(int)
    for draw in draws:
        per_voucher[draw.voucher_id] += draw.amount_fen
        for cap_id in draw.cap_ids:
            per_cap[cap_id] += draw.amount_fen
    pg = postgres_connection(session)
    if pg is not None:
        _subsidise_on_postgres(pg, postings, per_voucher, per_cap, now=now)
        return
    post_many(session, postings, now=now)
    session.execute(
        update(VOUCHERS)
        .where(VOUCHERS.c.id == bindparam("b_id"))
        .values(
            balance_fen=VOUCHERS.c.balance_fen - bindparam("b_amount"),
            subsidised_fen=VOUCHERS.c.subsidised_fen + bindparam("b_amount"),
        ),
        [{"b_id": v, "b_amount": amount} for v, amount in sorted(per_voucher.items())],
    )
    _move_caps(session, per_cap)


def _subsidise_on_postgres(
    pg: Any,
    postings: list[Posting],
    per_voucher: dict[int, int],
    per_cap: dict[int, int],
    *,
    now: datetime,
) -> None:
    """``subsidise``'s writes through psycopg: one COPY of the postings, then one UPDATE
    joined on unnested arrays each for the vouchers and the cap counters."""
    names: dict[Account, str] = {}  # a batch names each voucher's and provider's account often

    def name(account: Account) -> str:
        if account not in names:
            names[account] = str(account)
        return names[account]

    with pg.cursor() as cursor:
        with cursor.copy(_PG_COPY_POSTINGS) as copy:
            for posting in postings:
                copy.write_row(
                    (
                        posting.kind.value,
                        name(posting.source),
                        name(posting.target),
                        posting.amount_fen,
                        posting.pool_id,
                        posting.voucher_id,
                        posting.usage_record_id,
                        posting.memo[:500],
                        now,
                    )
                )
        for statement, moves in ((_PG_DRAW_VOUCHERS, per_voucher), (_PG_COUNT_CAPS, per_cap)):
            ordered = sorted(moves.items())
            cursor.execute(
                statement, {"ids": [i for i, _ in ordered], "amounts": [a for _, a in ordered]}
            )


@dataclass(frozen=True)
class NewRecord:
    """A usage record to store with its subsidy. On PostgreSQL, ``pg_insert`` is its
    ``INSERT ... ON CONFLICT DO NOTHING RETURNING id`` (parameters prefixed ``r_``, in
    ``params``); elsewhere ``insert`` stores it and returns its id, or None if taken."""

    pg_insert: str
    params: dict[str, Any]
    insert: Callable[[], int | None]


_PG_RECORD_WITH_SUBSIDY = """
WITH rec AS ({record}),
posted AS (
    INSERT INTO ledger_posting (kind, from_account, to_account, amount_fen, pool_id,
                                voucher_id, usage_record_id, memo, created_at)
    SELECT 'subsidy', %(p_from)s, %(p_to)s, %(p_amount)s, %(p_pool_id)s, %(p_voucher_id)s,
           rec.id, %(p_memo)s, %(p_created_at)s
      FROM rec WHERE %(p_amount)s > 0
),
drawn AS (
    UPDATE voucher SET balance_fen = balance_fen - %(p_amount)s,
                       subsidised_fen = subsidised_fen + %(p_amount)s
     WHERE id = %(p_voucher_id)s AND %(p_amount)s > 0 AND EXISTS (SELECT FROM rec)
),
counted AS (
    UPDATE cap_usage SET used_fen = used_fen + %(p_amount)s
     WHERE id IN (%(p_cap_id)s, %(p_lifetime_cap_id)s) AND %(p_amount)s > 0
       AND EXISTS (SELECT FROM rec)
),
audited AS ({audit})
SELECT id FROM rec
"""


@cache
def _record_with_subsidy_sql(record_insert: str) -> str:
    audit = audit_log.PG_INSERT_FROM.format(source="rec")
    return _PG_RECORD_WITH_SUBSIDY.format(record=record_insert, audit=audit)


def record_with_subsidy(
    session: Session, record: NewRecord, draw: Draw | None, audit: dict[str, Any], *, now: datetime
) -> int | None:
    """Store one new usage record with its subsidy (posting voucher->payable, voucher and cap
    counters moved) and its audit entry — on PostgreSQL in one statement, a single round
    trip. Returns the record's id, or None with nothing written if its id is taken. The
    caller holds the counters' locks and priced the draw under them."""
    pg = postgres_connection(session)
    if pg is None:
        record_id = record.insert()
        if record_id is not None:
            if draw is not None:
                subsidise(session, [replace(draw, usage_record_id=record_id)], now=now)
            audit_log.write(session, audit)
        return record_id
    params = {
        **record.params,
        **{f"a_{name}": value for name, value in audit.items()},
        "p_amount": draw.amount_fen if draw else 0,
        "p_from": str(accounts.voucher(draw.voucher_id)) if draw else None,
        "p_to": str(accounts.payable(draw.provider_id)) if draw else None,
        "p_pool_id": draw.pool_id if draw else None,
        "p_voucher_id": draw.voucher_id if draw else None,
        "p_cap_id": draw.cap_id if draw else None,
        "p_lifetime_cap_id": draw.lifetime_cap_id if draw else None,
        "p_memo": draw.memo[:500] if draw else None,
        "p_created_at": now,
    }
    with pg.cursor() as cursor:
        cursor.execute(_record_with_subsidy_sql(record.pg_insert), params)
        row = cursor.fetchone()
    return int(row[0]) if row else None


def reverse_subsidy(session: Session, draw: Draw, *, voucher_open: bool, now: datetime) -> None:
    """Give back part of a subsidy (a refund): payable->voucher, and the cap counter down by
    as much. On a voucher still open the balance grows; on a closed one the amount goes on
    to the pool of its year (voucher->pool), as its unspent balance did."""
    source, target = accounts.payable(draw.provider_id), accounts.voucher(draw.voucher_id)
    post_many(session, [draw.posting(PostingKind.REVERSAL, source, target)], now=now)
    if voucher_open:
        _move_voucher(
            session, draw.voucher_id, balance_fen=draw.amount_fen, subsidised_fen=-draw.amount_fen
        )
    else:
        _move_voucher(
            session, draw.voucher_id, released_fen=draw.amount_fen, subsidised_fen=-draw.amount_fen
        )
        _release(
            session,
            draw.voucher_id,
            draw.pool_id,
            draw.amount_fen,
            memo=draw.memo,
            usage_record_id=draw.usage_record_id,
        )
    _move_caps(session, dict.fromkeys(draw.cap_ids, -draw.amount_fen))


def settle(session: Session, provider_id: int, amount_fen: int, *, memo: str) -> None:
    """Pay a provider's settled subsidies: payable->paid. A negative amount (more refunds
    than subsidies in the period) moves back the other way."""
    if not amount_fen:
        return
    payable, paid = accounts.payable(provider_id), accounts.paid(provider_id)
    source, target = (payable, paid) if amount_fen > 0 else (paid, payable)
    _post(session, Posting(PostingKind.SETTLE, source, target, abs(amount_fen), memo=memo))


def _move_voucher(session: Session, voucher_id: int, **deltas: int) -> None:
    session.execute(
        update(VOUCHERS)
        .where(VOUCHERS.c.id == voucher_id)
        .values(
            {VOUCHERS.c[column]: VOUCHERS.c[column] + delta for column, delta in deltas.items()}
        )
    )


def _move_caps(session: Session, deltas: dict[int, int]) -> None:
    moves = [{"b_id": cap_id, "b_amount": d} for cap_id, d in sorted(deltas.items()) if d]
    if moves:
        session.execute(
            update(CAPS)
            .where(CAPS.c.id == bindparam("b_id"))
            .values(used_fen=CAPS.c.used_fen + bindparam("b_amount")),
            moves,
        )


def _release(
    session: Session,
    voucher_id: int,
    pool_id: int,
    amount_fen: int,
    *,
    memo: str,
    usage_record_id: int | None,
) -> None:
    _back_to_pool(
        session,
        PostingKind.RELEASE,
        accounts.voucher(voucher_id),
        pool_id,
        amount_fen,
        memo=memo,
        voucher_id=voucher_id,
        usage_record_id=usage_record_id,
    )


def _draw_from_pool(session: Session, pool_id: int, amount_fen: int) -> bool:
    """Take ``amount_fen`` from a pool's available amount in one conditional UPDATE; False,
    with nothing written, when the pool lacks it (concurrent drawers never overdraw it)."""
    drawn = session.execute(
        update(POOLS)
        .where(POOLS.c.id == pool_id, POOLS.c.available_fen >= amount_fen)
        .values(available_fen=POOLS.c.available_fen - amount_fen)
    )
    return bool(drawn.rowcount == 1)  # type: ignore[attr-defined]


def _back_to_pool(
    session: Session,
    kind: PostingKind,
    source: Account,
    pool_id: int,
    amount_fen: int,
    *,
    memo: str,
    voucher_id: int | None = None,
    usage_record_id: int | None = None,
) -> None:
    """Give ``amount_fen`` back to a pool's available amount from ``source`` (a reservation,
    a voucher or a claim), with its posting."""
    session.execute(
        update(POOLS)
        .where(POOLS.c.id == pool_id)
        .values(available_fen=POOLS.c.available_fen + amount_fen)
    )
    _post(
        session,
        Posting(
            kind,
            source,
            accounts.pool(pool_id),
            amount_fen,
            pool_id=pool_id,
            voucher_id=voucher_id,
            usage_record_id=usage_record_id,
            memo=memo,
        ),
    )


@dataclass(frozen=True)
class ClaimDraw:
    """What an approved claim draws: from its year's pool, counted against cap counters
    (their ids, with the amounts each counts: each invoice's subsidy on its cap period's
    counter, and with a cap per year beside the lifetime cap on the lifetime counter too)."""

    claim_id: int
    pool_id: int
    amount_fen: int
    per_cap: dict[int, int]


def pay_claim_subsidy(session: Session, draw: ClaimDraw, *, memo: str) -> bool:
    """Make an approved claim's subsidy payable to its enterprise: pool -> claim:<c>, the
    pool's available balance down and the cap counters up by as much. False, with nothing
    written, when the pool lacks the amount (one conditional UPDATE, as an issuance). The
    caller holds the cap counters' locks and priced the claim under them."""
    if draw.amount_fen <= 0:
        raise ValueError(f"a claim draws a positive amount, not {draw.amount_fen}")
    if any(not 0 < counted <= draw.amount_fen for counted in draw.per_cap.values()):
        raise ValueError("a claim counts part or all of its amount on each cap counter")
    if not _draw_from_pool(session, draw.pool_id, draw.amount_fen):
        return False
    _post(
        session,
        Posting(
            PostingKind.CLAIM,
            accounts.pool(draw.pool_id),
            accounts.claim(draw.claim_id),
            draw.amount_fen,
            pool_id=draw.pool_id,
            memo=memo,
        ),
    )
    _move_caps(session, draw.per_cap)
    return True


def reverse_claim_subsidy(session: Session, draw: ClaimDraw, *, memo: str) -> None:
    """Give part of an approved claim's subsidy back (a correction): claim:<c> -> pool, the
    pool's available balance up and the cap counters down by as much. A claim already paid
    is then owed back by its enterprise (its account below zero), as a provider's refunds
    after settlement are."""
    if draw.amount_fen <= 0:
        raise ValueError(f"a reversal gives back a positive amount, not {draw.amount_fen}")
    _back_to_pool(
        session,
        PostingKind.CLAIM_REVERSAL,
        accounts.claim(draw.claim_id),
        draw.pool_id,
        draw.amount_fen,
        memo=memo,
    )
    _move_caps(session, {cap: -amount for cap, amount in draw.per_cap.items()})


def pay_claim(
    session: Session, claim_id: int, enterprise_id: int, amount_fen: int, *, memo: str
) -> None:
    """Pay an approved claim's subsidy to its enterprise: claim:<c> -> enterprise:<e>."""
    if amount_fen <= 0:
        raise ValueError(f"a payment moves a positive amount, not {amount_fen}")
    _post(
        session,
        Posting(
            PostingKind.CLAIM_PAY,
            accounts.claim(claim_id),
            accounts.enterprise_paid(enterprise_id),
            amount_fen,
            memo=memo,
        ),
    )
