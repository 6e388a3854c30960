"""The scheduled jobs the service cannot watch run — the backup, `verify`, the audit
checkpoint — record their last success and failure in ``job_run``, and ``/metrics`` exports
them (``voucher_job_last_success_timestamp_seconds{task}``), so an alert notices a job that
stopped running or keeps failing (docs/operations.md, "Alerts").

A job records itself from Python (``record``), or is wrapped as it runs::

    python -m voucher_service.monitoring.jobs verify -- voucher-service verify --checkpoint ...

which runs the command, records its outcome under the name given, and exits with the
command's own status. The backup, which runs in PostgreSQL's image, records with ``psql``
(``deploy/postgres/backup.sh``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from voucher_service.db.statements import dialect_insert
from voucher_service.db.tables.monitoring import JobRun


class Job(StrEnum):
    BACKUP = "backup"
    VERIFY = "verify"
    CHECKPOINT = "checkpoint"


def record(session: Session, job: Job, *, ok: bool, now: datetime) -> None:
    """Note that ``job`` just succeeded (or failed), keeping its other outcome's time."""
    column = "last_success_at" if ok else "last_failure_at"
    session.execute(
        dialect_insert(session, JobRun)
        .values(job=job.value, **{column: now})
        .on_conflict_do_update(index_elements=["job"], set_={column: now})
    )


def latest(session: Session) -> list[JobRun]:
    """Every job's last outcomes."""
    return list(session.scalars(select(JobRun).order_by(JobRun.job)))


def run(job: Job, command: Sequence[str]) -> int:
    """Run ``command``, record its outcome as ``job``'s, and return its exit status. A
    command that cannot be started is a failure (127), recorded too; an outcome that cannot
    be recorded makes the status a failure (1) if it was not one already."""
    from voucher_service.db.session import transaction

    try:
        status = subprocess.run(list(command), check=False).returncode
    except OSError as exc:
        print(f"{command[0]}: {exc}", file=sys.stderr)
        status = 127
    try:
        with transaction() as session:
            record(session, job, ok=status == 0, now=datetime.now(UTC))
    except SQLAlchemyError as exc:  # the alert on the job's age will notice
        print(f"{job}: could not record the outcome: {exc.__class__.__name__}", file=sys.stderr)
        return status or 1
    return status


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m voucher_service.monitoring.jobs",
        description="Run a scheduled job's command and record its outcome for /metrics.",
    )
    parser.add_argument("job", choices=[job.value for job in Job])
    parser.add_argument("command", nargs="+", help="after --: the command to run")
    arguments = parser.parse_args(argv)
    return run(Job(arguments.job), arguments.command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
