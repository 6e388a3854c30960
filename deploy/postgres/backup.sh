#!/bin/sh
# The scheduled backup, with pgBackRest (its configuration: deploy/pgbackrest/pgbackrest.conf;
# docs/operations.md, section 5). Runs as the postgres user beside the database's files, in
# the image of deploy/postgres/Dockerfile:
#
#   backup.sh              the compose stack's `backup` service: make the stanza (once; it is
#                          idempotent), then a backup every VOUCHER_BACKUP_EVERY seconds, full
#                          on weekday VOUCHER_BACKUP_FULL_DAY (1 Monday .. 7 Sunday), else
#                          differential
#   backup.sh full|diff    one backup of that type, then exit with its status (the Kubernetes
#                          CronJobs, deploy/kubernetes/backup.yaml)
#
# pgBackRest expires what its retention no longer keeps after each backup; a differential
# with no full before it is taken as a full. Each outcome is recorded in job_run, which
# /metrics exports and VoucherBackupMissing watches (voucher_service/monitoring/jobs.py);
# psql connects as the runtime role: VOUCHER_DATABASE_URL, or PGHOST, PGUSER and the like.
set -u
stanza="${VOUCHER_BACKUP_STANZA:-voucher}"
every="${VOUCHER_BACKUP_EVERY:-86400}"
full_day="${VOUCHER_BACKUP_FULL_DAY:-7}"

# psql's database: VOUCHER_DATABASE_URL without a driver name (postgresql+psycopg://), or
# else what the PG* variables say.
database="${VOUCHER_DATABASE_URL:+$(printf '%s' "$VOUCHER_DATABASE_URL" | sed 's/^postgresql+[a-z0-9]*:/postgresql:/')}"

record() {  # record success|failure
    psql -q -v ON_ERROR_STOP=1 ${database:+-d "$database"} -c "INSERT INTO job_run (job, last_$1_at) VALUES ('backup', now())
        ON CONFLICT (job) DO UPDATE SET last_$1_at = now()" \
        || echo "backup: could not record the $1 in job_run" >&2
}

backup() {  # backup full|diff
    if pgbackrest --stanza="$stanza" --type="$1" backup; then
        echo "backup: $1 backup of stanza $stanza done"
        record success
    else
        echo "backup: $1 backup of stanza $stanza failed" >&2
        record failure
        return 1
    fi
}

case "${1:-}" in
    full | diff) backup "$1"; exit ;;
    "") ;;
    *) echo "usage: backup.sh [full|diff]" >&2; exit 2 ;;
esac

until pgbackrest --stanza="$stanza" stanza-create; do
    echo "backup: could not create the stanza $stanza; trying again in a minute" >&2
    sleep 60
done
while :; do
    if [ "$(date +%u)" = "$full_day" ]; then backup full; else backup diff; fi
    sleep "$every"
done
