"""The queries of metering, in one style: SQLAlchemy Core over the tables (the hot path
needs no ORM identity map), each returning typed rows (``usage.rows.UsageRow``) or small
dataclasses.

Ingest reads the vouchers a batch names (with their holder, window and whether the posting
provider holds a redemption), the rule versions of their programs, and the record ids
already stored; it writes the records. Listing reads records back a page at a time.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import psycopg
from psycopg.rows import args_row, namedtuple_row
from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from voucher_service.db.base import table
from voucher_service.db.statements import chunks, dialect_insert, postgres_connection
from voucher_service.db.tables.enterprises import Enrolment, Enterprise
from voucher_service.db.tables.programs import Program, RuleVersion, TopUp
from voucher_service.db.tables.redemptions import Redemption, RedemptionStatus
from voucher_service.db.tables.usage import RecordKind, UsageRecord
from voucher_service.db.tables.vouchers import Voucher, VoucherStatus
from voucher_service.domain.rules import CapScope, Rules, Window
from voucher_service.domain.usage import AdjustmentReport, Outcome, UsageReport, VoucherFacts
from voucher_service.errors import ErrorCode, NotFound
from voucher_service.ledger.service import NewRecord
from voucher_service.pagination import (
    PageParams,
    Slice,
    paginate_sorted,
    search_condition,
    where_days,
    where_given,
)
from voucher_service.programs.service import to_rules
from voucher_service.usage.rows import COLUMNS_WRITTEN, UsageRow

RECORDS = table(UsageRecord)
VOUCHERS = table(Voucher)
ENTERPRISES = table(Enterprise)
ENROLMENTS = table(Enrolment)
REDEMPTIONS = table(Redemption)
RULES = table(RuleVersion)
PROGRAMS = table(Program)
TOP_UPS = table(TopUp)
# A usage record's columns in ``UsageRow``'s order, whatever order the table has them in.
ROW_COLUMNS = tuple(RECORDS.c[name] for name in UsageRow._fields)


class DuplicateRecordId(Exception):
    """A record id was stored by a concurrent request between our look-up and our insert."""


@dataclass(frozen=True)
class NamedVoucher:
    """A voucher named by a report, with what pricing and the checks need of it."""

    id: int
    code: str
    program_id: int
    pool_id: int
    enrolment_id: int
    enterprise_id: int
    valid_from: date
    window: Window
    facts: VoucherFacts
    rules: tuple[Rules, ...]  # its program's rule versions, oldest first
    stacked: bool = False  # its program has top-ups declared on it


def redeemed_codes(session: Session, provider_id: int, redemption_ids: set[int]) -> dict[int, str]:
    """Voucher codes of this provider's redemptions (another provider's are unknown here)."""
    codes: dict[int, str] = {}
    for chunk in chunks(sorted(redemption_ids)):
        for redemption_id, code in session.execute(
            select(REDEMPTIONS.c.id, VOUCHERS.c.code)
            .join(VOUCHERS, VOUCHERS.c.id == REDEMPTIONS.c.voucher_id)
            .where(REDEMPTIONS.c.provider_id == provider_id, REDEMPTIONS.c.id.in_(chunk))
        ):
            codes[redemption_id] = code
    return codes


_PG_NAMED_VOUCHERS = """
SELECT v.id, v.code, v.status, v.valid_from, v.valid_to, v.program_id, v.pool_id,
       v.enrolment_id, v.enterprise_id, e.uscc, en.window_start, en.window_end,
       r.id IS NOT NULL AS redeemed,
       EXISTS (SELECT FROM program_top_up t WHERE t.base_program_id = v.program_id) AS stacked,
       (SELECT json_agg(json_build_array(rv.version, rv.effective_from, rv.rate_bp, rv.cap_fen,
                                         rv.cap_scope, rv.window_months, rv.pool_minimum_fen,
                                         rv.year_cap_fen)
                        ORDER BY rv.version)
          FROM rule_version rv WHERE rv.program_id = v.program_id) AS rules
  FROM voucher v
  JOIN enterprise e ON e.id = v.enterprise_id
  JOIN enrolment en ON en.id = v.enrolment_id
  LEFT JOIN redemption r
    ON r.voucher_id = v.id AND r.provider_id = %(provider_id)s AND r.status = 'active'
 WHERE {where}
"""
# One code (a single post) is matched by equality, so that PostgreSQL settles on one generic
# plan for the prepared statement; with ANY(array) it re-plans this query on every call.
_PG_NAMED_VOUCHER = _PG_NAMED_VOUCHERS.format(where="v.code = %(code)s")
_PG_NAMED_VOUCHERS = _PG_NAMED_VOUCHERS.format(where="v.code = ANY(%(codes)s)")


def named_vouchers(session: Session, provider_id: int, codes: set[str]) -> dict[str, NamedVoucher]:
    """The vouchers with these codes, their holder, window and program rules, and whether
    this provider holds an active redemption of each: one statement on PostgreSQL."""
    if not codes:
        return {}
    pg = postgres_connection(session)
    if pg is None:
        return _named_vouchers_core(session, provider_id, codes)
    found: dict[str, NamedVoucher] = {}
    with pg.cursor(row_factory=namedtuple_row) as cursor:
        if len(codes) == 1:
            [code] = codes
            cursor.execute(_PG_NAMED_VOUCHER, {"provider_id": provider_id, "code": code})
        else:
            cursor.execute(_PG_NAMED_VOUCHERS, {"provider_id": provider_id, "codes": sorted(codes)})
        for row in cursor:
            rules = tuple(
                Rules(
                    v,
                    date.fromisoformat(d),
                    rate,
                    cap,
                    CapScope(scope),
                    months,
                    minimum,
                    year_cap_fen=year,
                )
                for v, d, rate, cap, scope, months, minimum, year in row.rules
            )
            found[row.code] = _named(row, row.redeemed, rules, stacked=row.stacked)
    return found


def _named(
    row: Any, redeemed: bool, rules: tuple[Rules, ...], *, stacked: bool = False
) -> NamedVoucher:
    return NamedVoucher(
        id=row.id,
        code=row.code,
        program_id=row.program_id,
        pool_id=row.pool_id,
        enrolment_id=row.enrolment_id,
        enterprise_id=row.enterprise_id,
        valid_from=row.valid_from,
        window=Window(row.window_start, row.window_end),
        facts=VoucherFacts(
            holder_uscc=row.uscc,
            active=row.status == VoucherStatus.ACTIVE,
            redeemed_here=redeemed,
            valid_to=row.valid_to,
        ),
        rules=rules,
        stacked=stacked,
    )


# What a NamedVoucher is made of (``_named``), wherever a query reads vouchers for pricing.
_NAMED_COLUMNS = (
    VOUCHERS.c.id,
    VOUCHERS.c.code,
    VOUCHERS.c.status,
    VOUCHERS.c.valid_from,
    VOUCHERS.c.valid_to,
    VOUCHERS.c.program_id,
    VOUCHERS.c.pool_id,
    VOUCHERS.c.enrolment_id,
    VOUCHERS.c.enterprise_id,
    ENTERPRISES.c.uscc,
    ENROLMENTS.c.window_start,
    ENROLMENTS.c.window_end,
)


def _with_holders(query: Select[Any]) -> Select[Any]:
    """The joins ``_NAMED_COLUMNS`` reads: the voucher's enterprise and enrolment."""
    return query.join(ENTERPRISES, ENTERPRISES.c.id == VOUCHERS.c.enterprise_id).join(
        ENROLMENTS, ENROLMENTS.c.id == VOUCHERS.c.enrolment_id
    )


def _redeemed_with(provider_id: int) -> ColumnElement[bool]:
    """A voucher's active redemption with the provider: what lets it post usage there."""
    return (
        (REDEMPTIONS.c.voucher_id == VOUCHERS.c.id)
        & (REDEMPTIONS.c.provider_id == provider_id)
        & (REDEMPTIONS.c.status == RedemptionStatus.ACTIVE)
    )


def _named_vouchers_core(
    session: Session, provider_id: int, codes: set[str]
) -> dict[str, NamedVoucher]:
    rows: list[Any] = []
    for chunk in chunks(sorted(codes)):
        rows.extend(
            session.execute(
                _with_holders(select(*_NAMED_COLUMNS, REDEMPTIONS.c.id.label("redemption_id")))
                .outerjoin(REDEMPTIONS, _redeemed_with(provider_id))
                .where(VOUCHERS.c.code.in_(chunk))
            )
        )
    programs = {row.program_id for row in rows}
    versions = _rule_versions(session, programs)
    stacked = set(
        session.scalars(
            select(TOP_UPS.c.base_program_id).where(TOP_UPS.c.base_program_id.in_(programs))
        )
    )
    return {
        row.code: _named(
            row,
            row.redemption_id is not None,
            versions[row.program_id],
            stacked=row.program_id in stacked,
        )
        for row in rows
    }


def _rule_versions(session: Session, program_ids: set[int]) -> dict[int, tuple[Rules, ...]]:
    versions: dict[int, list[Rules]] = defaultdict(list)
    for rule in session.execute(
        select(RULES).where(RULES.c.program_id.in_(program_ids)).order_by(RULES.c.version)
    ):
        versions[rule.program_id].append(to_rules(rule))  # type: ignore[arg-type]  # its columns
    return defaultdict(tuple, {program: tuple(rules) for program, rules in versions.items()})


@dataclass(frozen=True)
class TopUpVoucher:
    """An enterprise's voucher in a top-up program, redeemed with the posting provider: a
    layer a stacked record may be priced through."""

    voucher: NamedVoucher
    program_code: str
    stack_order: int
    ceiling_bp: int


def top_up_vouchers(
    session: Session, provider_id: int, holders: set[tuple[int, int]]
) -> dict[tuple[int, int], list[TopUpVoucher]]:
    """For each (enterprise id, base program id): the enterprise's active vouchers in the
    programs topping that program up, redeemed with this provider, in stack order."""
    if not holders:
        return {}
    found: dict[tuple[int, int], list[TopUpVoucher]] = defaultdict(list)
    rows = session.execute(
        _with_holders(
            select(
                TOP_UPS.c.base_program_id,
                TOP_UPS.c.stack_order,
                TOP_UPS.c.ceiling_bp,
                PROGRAMS.c.code.label("program_code"),
                *_NAMED_COLUMNS,
            )
            .join(PROGRAMS, PROGRAMS.c.id == TOP_UPS.c.program_id)
            .join(VOUCHERS, VOUCHERS.c.program_id == TOP_UPS.c.program_id)
        )
        .join(REDEMPTIONS, _redeemed_with(provider_id))
        .where(
            TOP_UPS.c.base_program_id.in_({base for _, base in holders}),
            VOUCHERS.c.enterprise_id.in_({enterprise for enterprise, _ in holders}),
            VOUCHERS.c.status == VoucherStatus.ACTIVE,
        )
        .order_by(TOP_UPS.c.stack_order, VOUCHERS.c.id)
    ).all()
    versions = _rule_versions(session, {row.program_id for row in rows})
    for row in rows:
        key = (row.enterprise_id, row.base_program_id)
        if key in holders:
            voucher = _named(row, True, versions[row.program_id])
            found[key].append(
                TopUpVoucher(voucher, row.program_code, row.stack_order, row.ceiling_bp)
            )
    return found


def top_up_records(session: Session, record_ids: set[int]) -> dict[int, list[UsageRow[int]]]:
    """The top-up layers of stacked usage records, by the usage record's id, in order."""
    layers: dict[int, list[UsageRow[int]]] = defaultdict(list)
    if record_ids:
        for row in session.execute(
            select(*ROW_COLUMNS)
            .where(RECORDS.c.original_id.in_(record_ids), RECORDS.c.kind == RecordKind.TOP_UP)
            .order_by(RECORDS.c.stack_layer)
        ):
            layers[row.original_id].append(UsageRow._make(row))
    return layers


_PG_STORED = f"""
SELECT {", ".join(f"r.{name}" for name in UsageRow._fields)}
  FROM unnest(%(record_ids)s::text[]) AS wanted(record_id)
  JOIN usage_record r ON r.provider_id = %(provider_id)s AND r.record_id = wanted.record_id
"""


def stored_records(
    session: Session, provider_id: int, record_ids: Sequence[str]
) -> dict[str, UsageRow[int]]:
    """This provider's records with these ids, by id. On PostgreSQL a join on the unnested
    ids: it keeps the unique index's plan even when the table's statistics are stale (an IN
    list of a thousand ids can turn into a scan of all the provider's records)."""
    found: dict[str, UsageRow[int]] = {}
    pg = postgres_connection(session)
    if pg is not None:
        with pg.cursor(row_factory=args_row(UsageRow)) as cursor:
            cursor.execute(_PG_STORED, {"provider_id": provider_id, "record_ids": list(record_ids)})
            for row in cursor:
                found[row.record_id] = _in_utc(row)
        return found
    for chunk in chunks(record_ids):
        for row in session.execute(
            select(*ROW_COLUMNS).where(
                RECORDS.c.provider_id == provider_id, RECORDS.c.record_id.in_(chunk)
            )
        ):
            found[row.record_id] = UsageRow._make(row)
    return found


def _in_utc(row: UsageRow[int]) -> UsageRow[int]:
    """Instants in UTC, as the tables' own type gives them (psycopg gives the session's
    time zone): a replay must read exactly like the first reply."""
    return row._replace(
        service_start=row.service_start.astimezone(UTC),
        service_end=row.service_end.astimezone(UTC),
        created_at=row.created_at.astimezone(UTC),
    )


_USAGE, _REFUSED = RecordKind.USAGE.value, Outcome.REFUSED.value


def new_record(
    provider_id: int,
    report: UsageReport,
    voucher: NamedVoucher | None,
    service_date: date,
    now: datetime,
) -> UsageRow[None]:
    """The row of a new usage record, refused until it is priced."""
    return UsageRow(
        id=None,
        provider_id=provider_id,
        record_id=report.record_id,
        body_hash=report.body_hash,
        kind=_USAGE,
        original_id=None,
        voucher_id=voucher.id if voucher else None,
        enterprise_id=voucher.enterprise_id if voucher else None,
        enrolment_id=voucher.enrolment_id if voucher else None,
        cap_period=None,
        voucher_code=voucher.code if voucher else report.voucher_code or "",
        uscc=report.uscc,
        resource_kind=report.resource_kind,
        resource_model=report.resource_model,
        quantity=report.quantity_text,
        unit=report.unit,
        unit_price_fen=report.unit_price_fen,
        fee_fen=report.fee_fen,
        full_subsidy_fen=0,
        subsidy_fen=0,
        enterprise_share_fen=report.fee_fen,
        outcome=_REFUSED,
        reason=None,
        rule_version=None,
        ceiling_bp=None,
        stack_layer=None,
        # In UTC, as the database gives them back: a replay must read exactly like the reply.
        service_start=report.service_start.astimezone(UTC),
        service_end=report.service_end.astimezone(UTC),
        service_date=service_date,
        attributes=(
            json.dumps(report.attributes, ensure_ascii=False, sort_keys=True)
            if report.attributes
            else "{}"
        ),
        created_at=now,
    )


_PG_CLAIM = (
    f"INSERT INTO usage_record ({', '.join(COLUMNS_WRITTEN)}) "
    f"VALUES ({', '.join(f'%(r_{name})s' for name in COLUMNS_WRITTEN)}) "
    "ON CONFLICT (provider_id, record_id) DO NOTHING RETURNING id"
)


def _written(row: UsageRow[None]) -> dict[str, Any]:
    """A new row's columns by name, as SQLAlchemy inserts them (no id: the database's)."""
    return dict(zip(COLUMNS_WRITTEN, row[1:], strict=True))


def claim(session: Session, row: UsageRow[None]) -> NewRecord:
    """One new record, to be stored with its subsidy (``ledger.record_with_subsidy``) unless
    its id is taken (ON CONFLICT DO NOTHING): nothing is written before the record claims
    its id, so a concurrent duplicate needs no undoing."""

    def insert() -> int | None:
        claimed = session.execute(
            dialect_insert(session, RECORDS)
            .on_conflict_do_nothing(index_elements=["provider_id", "record_id"])
            .returning(RECORDS.c.id),
            _written(row),
        ).scalar()
        return None if claimed is None else int(claimed)

    params = {f"r_{name}": value for name, value in zip(COLUMNS_WRITTEN, row[1:], strict=True)}
    return NewRecord(pg_insert=_PG_CLAIM, params=params, insert=insert)


_PG_NEXT_IDS = (
    "SELECT nextval(pg_get_serial_sequence('usage_record', 'id')) FROM generate_series(1, %s)"
)
# The columns in ``UsageRow``'s order: each row is written as it is.
_PG_COPY_RECORDS = f"COPY usage_record ({', '.join(UsageRow._fields)}) FROM STDIN"


def insert_records(session: Session, rows: list[UsageRow[None]]) -> list[UsageRow[int]]:
    """Insert records; the rows as stored, with their ids. DuplicateRecordId if a concurrent
    request stored one of their ids since the look-up. On PostgreSQL: ids from the sequence
    in one query, then one COPY (the fastest way in; every constraint still checked)."""
    pg = postgres_connection(session)
    if pg is not None:
        with pg.cursor() as cursor:
            cursor.execute(_PG_NEXT_IDS, (len(rows),))
            stored = [
                row.with_id(new_id) for row, (new_id,) in zip(rows, cursor.fetchall(), strict=True)
            ]
            try:
                with cursor.copy(_PG_COPY_RECORDS) as copy:
                    for row in stored:
                        copy.write_row(row)
            except psycopg.errors.UniqueViolation as exc:
                raise DuplicateRecordId from exc
        return stored
    try:
        statement = RECORDS.insert().returning(RECORDS.c.id, RECORDS.c.record_id)
        # One row is one plain statement (with RETURNING, no separate id fetch).
        written = [_written(row) for row in rows]
        result = session.execute(statement, written[0] if len(rows) == 1 else written)
        ids_by_record = {record_id: id_ for id_, record_id in result}
    except IntegrityError as exc:
        if "provider_id" in str(exc.orig) and "record_id" in str(exc.orig):
            raise DuplicateRecordId from exc
        raise
    return [row.with_id(ids_by_record[row.record_id]) for row in rows]


def insert_record(session: Session, row: UsageRow[None]) -> UsageRow[int]:
    """Insert one record (an adjustment, under its original's locks); the row as stored."""
    statement = RECORDS.insert().returning(RECORDS.c.id)
    return row.with_id(int(session.execute(statement, _written(row)).scalar_one()))


def adjusted_so_far(session: Session, original_id: int) -> tuple[int, int]:
    """Fee refunded and subsidy given back by the adjustments of a record (both >= 0)."""
    fee, subsidy = session.execute(
        select(
            func.coalesce(func.sum(RECORDS.c.fee_fen), 0),
            func.coalesce(func.sum(RECORDS.c.subsidy_fen), 0),
        ).where(RECORDS.c.original_id == original_id)
    ).one()
    return -int(fee), -int(subsidy)


@dataclass(frozen=True)
class RecordFilter:
    provider_id: int | None = None
    enterprise_id: int | None = None
    voucher_code: str | None = None
    outcome: Outcome | None = None
    date_from: date | None = None
    date_to: date | None = None
    search: str | None = None  # the record's id, its voucher's code, the enterprise's name


# What a record list sorts by, by the name a ``sort`` gives.
RECORD_SORTS: dict[str, Any] = {
    "id": RECORDS.c.id,
    "service_date": RECORDS.c.service_date,
    "fee": RECORDS.c.fee_fen,
    "subsidy": RECORDS.c.subsidy_fen,
    "received_at": RECORDS.c.created_at,
}


def list_records(session: Session, params: PageParams, where: RecordFilter) -> Slice[UsageRow[int]]:
    """Records matching ``where``, oldest first (or as ``params`` sorts, ``RECORD_SORTS``),
    one page at a time. The search finds part of the provider's record id, of the voucher's
    code (hyphens or not), of the enterprise's credit code or its name."""
    query = where_given(
        select(*ROW_COLUMNS),
        (RECORDS.c.provider_id, where.provider_id),
        (RECORDS.c.enterprise_id, where.enterprise_id),
        (RECORDS.c.voucher_code, where.voucher_code),
        (RECORDS.c.outcome, where.outcome),
    )
    query = where_days(query, RECORDS.c.service_date, where.date_from, where.date_to)
    found = search_condition(
        where.search, RECORDS.c.record_id, RECORDS.c.uscc, codes=[RECORDS.c.voucher_code]
    )
    if found is not None:
        named = search_condition(where.search, Enterprise.name)
        by_name = select(col(Enterprise.id)).where(named)
        query = query.where(or_(found, RECORDS.c.enterprise_id.in_(by_name)))
    page = paginate_sorted(session, query, RECORDS.c.id, params, RECORD_SORTS)
    return page.map(UsageRow._make)


def get_record(session: Session, provider_id: int, record_id: str) -> UsageRow[int]:
    """One of this provider's records, or NotFound."""
    found = stored_records(session, provider_id, [record_id]).get(record_id)
    if found is None:
        raise NotFound(
            "you have no usage record {record_id!r}",
            record_id=record_id,
            code=ErrorCode.RECORD_NOT_FOUND,
        )
    return found


def enterprise_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    """The names of the enterprises ``ids`` names (one query)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    query = select(col(Enterprise.id), col(Enterprise.name)).where(col(Enterprise.id).in_(wanted))
    return {int(id_ or 0): name for id_, name in session.execute(query)}


def original_record_ids(session: Session, rows: list[UsageRow[int]]) -> dict[int, str]:
    """The provider's record ids of the originals that adjustments point at."""
    ids = {row.original_id for row in rows if row.original_id is not None}
    if not ids:
        return {}
    query = select(RECORDS.c.id, RECORDS.c.record_id).where(RECORDS.c.id.in_(ids))
    return {id_: record_id for id_, record_id in session.execute(query)}


@dataclass(frozen=True)
class VoucherTerms:
    """What a refund needs of the voucher an original record drew on."""

    pool_id: int
    rate_bp: int  # of the rule version that priced the original
    # That version had a cap per year beside its lifetime cap: the original counted against
    # its subsidy year's counter (its cap_period) and the lifetime counter (period 0).
    counted_lifetime: bool = False


def voucher_terms(session: Session, voucher_id: int, rule_version: int) -> VoucherTerms:
    row = session.execute(
        select(VOUCHERS.c.pool_id, RULES.c.rate_bp, RULES.c.year_cap_fen)
        .join(RULES, RULES.c.program_id == VOUCHERS.c.program_id)
        .where(VOUCHERS.c.id == voucher_id, RULES.c.version == rule_version)
    ).one()
    return VoucherTerms(row.pool_id, row.rate_bp, row.year_cap_fen is not None)


def adjustment_record(
    original: UsageRow[int], adjustment: AdjustmentReport, subsidy_returned_fen: int, now: datetime
) -> UsageRow[None]:
    """The row of an adjustment: the original's references, with negative fee and subsidy."""
    return original.unstored()._replace(
        record_id=adjustment.record_id,
        body_hash=adjustment.body_hash,
        kind=RecordKind.ADJUSTMENT.value,
        original_id=original.id,
        quantity="0",
        fee_fen=-adjustment.refund_fen,
        full_subsidy_fen=0,
        subsidy_fen=-subsidy_returned_fen,
        enterprise_share_fen=-adjustment.refund_fen + subsidy_returned_fen,
        outcome=Outcome.ADJUSTED.value,
        reason=None,
        attributes=json.dumps({"reason": adjustment.reason}, ensure_ascii=False),
        created_at=now,
    )


RECORD_ID_LENGTH = 128


def layer_record_id(record_id: str, program_code: str) -> str:
    """A top-up layer's record id: the usage record's, ``+`` and the program's code (a
    provider's own ids never contain ``+``), shortened with a digest if it must be."""
    plain = f"{record_id}+{program_code}"
    if len(plain) <= RECORD_ID_LENGTH:
        return plain
    digest = hashlib.sha256(record_id.encode()).hexdigest()[:16]
    keep = RECORD_ID_LENGTH - len(program_code) - len(digest) - 2
    return f"{record_id[:keep]}~{digest}+{program_code}"


def layer_adjustment(
    layer: UsageRow[int], adjustment: AdjustmentReport, subsidy_returned_fen: int, now: datetime
) -> UsageRow[None]:
    """A top-up layer's part of an adjustment: no fee (the usage record's adjustment carries
    the refund), the layer's subsidy given back, pointing at the layer."""
    program_code = layer.record_id.rsplit("+", 1)[1]
    return adjustment_record(layer, adjustment, subsidy_returned_fen, now)._replace(
        record_id=layer_record_id(adjustment.record_id, program_code),
        fee_fen=0,
        enterprise_share_fen=subsidy_returned_fen,
    )
