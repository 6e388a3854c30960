"""Program money and metering, read from the database at scrape time.

Every API process answers a scrape with the same figures, because they come from the
database, not from process memory; there are no counters to keep in step with the ledger.
Labels stay low-cardinality: program, year, status, provider, district, outcome — never an
enterprise or a voucher. Each scrape is a handful of GROUP BY queries; ``docs/monitoring.md``
reports their cost with a million usage records.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, case, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from voucher_service.db.migrate import schema_state
from voucher_service.db.tables.enterprises import Enrolment, Enterprise
from voucher_service.db.tables.ledger import CapUsage
from voucher_service.db.tables.programs import Pool, Program, RuleVersion
from voucher_service.db.tables.providers import Provider, ProviderStatus
from voucher_service.db.tables.vouchers import Voucher
from voucher_service.monitoring import jobs, rollup


def _yuan(fen: int | None) -> float:
    """Metrics are floats by nature; yuan with two decimals is exact enough for a dashboard
    (the API and the ledger never use floats)."""
    return int(fen or 0) / 100


class LedgerCollector(Collector):
    def __init__(self, session: Session, now: datetime) -> None:
        self._session = session
        self._now = now

    def describe(self) -> list[Metric]:
        return []  # collected live; nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        started = time.perf_counter()
        session = self._session
        answered, database = _database_state(session)
        yield from database
        if not answered:
            return  # the service's own metrics are still served: the scrape succeeds
        yield from self._pools(session)
        yield from self._vouchers(session)
        yield from self._usage(session)
        yield from self._districts(session)
        yield from self._caps(session)
        yield from self._network(session)
        yield from self._jobs(session)
        took = GaugeMetricFamily(
            "voucher_metrics_scrape_seconds", "Time spent reading the ledger for this scrape."
        )
        took.add_metric([], time.perf_counter() - started)
        yield took

    def _pools(self, session: Session) -> Iterator[Metric]:
        families = {
            name: GaugeMetricFamily(f"voucher_pool_{name}_yuan", help_, labels=["program", "year"])
            for name, help_ in (
                ("total", "Appropriated for the year."),
                ("available", "Not reserved by any voucher."),
                ("outstanding", "Unspent balances of the pool's vouchers."),
                ("consumed", "Net subsidies applied from the pool's vouchers."),
            )
        }
        rows = session.execute(
            select(
                Program.code,
                Pool.year,
                Pool.total_fen,
                Pool.available_fen,
                func.coalesce(func.sum(Voucher.balance_fen), 0),
                func.coalesce(func.sum(Voucher.subsidised_fen), 0),
            )
            .join(Program, Program.id == Pool.program_id)
            .outerjoin(Voucher, Voucher.pool_id == Pool.id)
            .group_by(Program.code, Pool.year, Pool.total_fen, Pool.available_fen)
        )
        for code, year, total, available, outstanding, consumed in rows:
            labels = [code, str(year)]
            for name, value in (
                ("total", total),
                ("available", available),
                ("outstanding", outstanding),
                ("consumed", consumed),
            ):
                families[name].add_metric(labels, _yuan(value))
        yield from families.values()

    def _vouchers(self, session: Session) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "voucher_vouchers", "Vouchers by status.", labels=["program", "status"]
        )
        for code, status, count in session.execute(
            select(Program.code, Voucher.status, func.count())
            .join(Program, Program.id == Voucher.program_id)
            .group_by(Program.code, Voucher.status)
        ):
            family.add_metric([code, status], count)
        yield family

    def _usage(self, session: Session) -> Iterator[Metric]:
        records = CounterMetricFamily(
            "voucher_usage_records",
            "Usage records and adjustments stored, by provider and outcome.",
            labels=["provider", "outcome"],
        )
        fees = GaugeMetricFamily(
            "voucher_fees_yuan", "Fees reported, net of refunds, by provider.", labels=["provider"]
        )
        subsidies = GaugeMetricFamily(
            "voucher_subsidies_yuan",
            "Subsidies applied, net of reversals, by provider.",
            labels=["provider"],
        )
        age = GaugeMetricFamily(
            "voucher_usage_rollup_age_seconds",
            f"How old the usage figures are: the rollup they are read from is brought up to "
            f"date at most every {rollup.ROLLUP_SECONDS} s.",
        )
        usccs: dict[int, str] = dict(
            session.execute(select(Provider.id, Provider.uscc)).tuples().all()
        )
        fee_by: dict[str, int] = {}
        subsidy_by: dict[str, int] = {}
        for (provider_id, outcome), (count, fee, subsidy) in rollup.totals(
            session, self._now
        ).items():
            uscc = usccs[provider_id]
            records.add_metric([uscc, outcome], count)
            fee_by[uscc] = fee_by.get(uscc, 0) + fee
            subsidy_by[uscc] = subsidy_by.get(uscc, 0) + subsidy
        for uscc in fee_by:
            fees.add_metric([uscc], _yuan(fee_by[uscc]))
            subsidies.add_metric([uscc], _yuan(subsidy_by[uscc]))
        age.add_metric([], rollup.age_seconds(session, self._now) or 0.0)
        yield from (records, fees, subsidies, age)

    def _districts(self, session: Session) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "voucher_district_subsidies_yuan",
            "Subsidies applied, by the enterprises' district.",
            labels=["district"],
        )
        for district, subsidy in session.execute(
            select(Enterprise.district_code, func.sum(Voucher.subsidised_fen))
            .join(Voucher, Voucher.enterprise_id == Enterprise.id)
            .group_by(Enterprise.district_code)
        ):
            family.add_metric([district], _yuan(subsidy))
        yield family

    def _caps(self, session: Session) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "voucher_enterprises_near_cap",
            "Enterprises whose net subsidies reached a share of the program's cap.",
            labels=["program", "share"],
        )
        cap = (
            select(RuleVersion.program_id, func.max(RuleVersion.cap_fen).label("cap_fen"))
            .group_by(RuleVersion.program_id)
            .subquery()
        )
        # An enrolment's net subsidies: its lifetime counter when it has one (beside a cap per
        # year, the year counters count the same subsidies again), else its years' sum.
        lifetime = func.max(case((CapUsage.period == 0, CapUsage.used_fen)))
        used = (
            select(
                Enrolment.program_id,
                Enrolment.id,
                func.coalesce(lifetime, func.sum(CapUsage.used_fen)).label("used_fen"),
            )
            .join(CapUsage, CapUsage.enrolment_id == Enrolment.id)
            .group_by(Enrolment.program_id, Enrolment.id)
            .subquery()
        )
        counts: dict[tuple[str, str], int] = {}
        for code, used_fen, cap_fen in session.execute(
            select(Program.code, used.c.used_fen, cap.c.cap_fen)
            .join(used, used.c.program_id == Program.id)
            .join(cap, cap.c.program_id == Program.id)
        ):
            for share, threshold in (("0.8", 0.8), ("1.0", 1.0)):
                key = (code, share)
                counts.setdefault(key, 0)
                if used_fen >= cap_fen * threshold:
                    counts[key] += 1
        for (code, share), count in counts.items():
            family.add_metric([code, share], count)
        yield family

    def _network(self, session: Session) -> Iterator[Metric]:
        from voucher_service.monitoring import network

        capacity = GaugeMetricFamily(
            "voucher_provider_accelerators",
            "Accelerators by provider, model and state (latest telemetry).",
            labels=["provider", "model", "state"],
        )
        utilisation = GaugeMetricFamily(
            "voucher_provider_utilisation_ratio",
            "Utilisation (0..1), latest telemetry.",
            labels=["provider", "model"],
        )
        wait = GaugeMetricFamily(
            "voucher_provider_queue_wait_seconds",
            "Queue wait, latest telemetry.",
            labels=["provider", "model"],
        )
        price = GaugeMetricFamily(
            "voucher_provider_list_price_yuan",
            "List price per card-hour, latest telemetry.",
            labels=["provider", "model"],
        )
        for row in network.latest_telemetry(session):
            labels = [row["uscc"], row["resource_model"]]
            capacity.add_metric([*labels, "total"], row["total"])
            capacity.add_metric([*labels, "available"], row["available"])
            utilisation.add_metric(labels, row["utilisation_bp"] / 10_000)
            wait.add_metric(labels, row["queue_wait_seconds"])
            price.add_metric(labels, _yuan(row["list_price_fen"]))
        index = GaugeMetricFamily(
            "voucher_price_index_yuan",
            "Median list price per card-hour by accelerator model.",
            labels=["model"],
        )
        for model, fen in network.price_index(session).items():
            index.add_metric([model], _yuan(fen))
        score = GaugeMetricFamily(
            "voucher_provider_quality_score",
            "Provider quality score (0..1) and its parts.",
            labels=["provider", "part"],
        )
        for provider in session.scalars(
            select(Provider).where(Provider.status == ProviderStatus.ACTIVE)
        ):
            for part, value in network.quality(session, provider, now=self._now).items():
                score.add_metric([provider.uscc, part], value)
        yield from (capacity, utilisation, wait, price, index, score)

    def _jobs(self, session: Session) -> Iterator[Metric]:
        families = {
            outcome: GaugeMetricFamily(
                f"voucher_job_last_{outcome}_timestamp_seconds",
                f"When each scheduled job (backup, verify, checkpoint) last ended in {outcome}.",
                labels=["task"],  # not "job": Prometheus gives every target that label
            )
            for outcome in ("success", "failure")
        }
        for run in jobs.latest(session):
            for outcome, at in (
                ("success", run.last_success_at),
                ("failure", run.last_failure_at),
            ):
                if at is not None:
                    families[outcome].add_metric([run.job], at.timestamp())
        yield from families.values()


def _database_state(session: Session) -> tuple[bool, list[Metric]]:
    """Whether the database answers and how many migrations it is behind this code (what
    /readyz checks), as metrics: when the database is down the scrape still succeeds, with
    the service's own metrics, so the alerts can tell a dead replica from a dead database."""
    up = GaugeMetricFamily("voucher_database_up", "1 when the database answered this scrape.")
    behind = GaugeMetricFamily(
        "voucher_database_migrations_behind",
        "Migrations this code needs that the database lacks (0 when ready).",
    )
    try:
        _, missing = schema_state(session.connection())
    except DBAPIError:
        session.rollback()
        up.add_metric([], 0)
        return False, [up]
    up.add_metric([], 1)
    behind.add_metric([], len(missing))
    return True, [up, behind]


class PoolCollector(Collector):
    """The answering process's database connection pool."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        pool = self._engine.pool
        family = GaugeMetricFamily(
            "voucher_db_pool_connections",
            "Database connections of this process, by state.",
            labels=["state"],
        )
        for state, reader in (
            ("checked_out", "checkedout"),
            ("idle", "checkedin"),
            ("size", "size"),
        ):
            value = getattr(pool, reader, None)
            if callable(value):
                family.add_metric([state], value())
        yield family
