#!/bin/sh
# The compose stack's scheduled backup (deploy/compose.yaml, service `backup`), in
# PostgreSQL's image: every VOUCHER_BACKUP_EVERY seconds a pg_dump of the voucher database
# into /backups, dumps older than VOUCHER_BACKUP_KEEP_DAYS days removed, and the outcome
# recorded in job_run, which /metrics exports and VoucherBackupMissing watches
# (voucher_service/monitoring/jobs.py). Connects as PGUSER/PGPASSWORD/PGHOST/PGDATABASE.
set -u
every="${VOUCHER_BACKUP_EVERY:-86400}"
keep="${VOUCHER_BACKUP_KEEP_DAYS:-35}"

record() {  # record success|failure
    psql -q -v ON_ERROR_STOP=1 -c "INSERT INTO job_run (job, last_$1_at) VALUES ('backup', now())
        ON CONFLICT (job) DO UPDATE SET last_$1_at = now()" \
        || echo "backup: could not record the $1 in job_run" >&2
}

while :; do
    dump="/backups/voucher-$(date -u +%Y%m%dT%H%M%SZ).dump"
    if pg_dump -Fc -f "$dump.partial" && mv "$dump.partial" "$dump"; then
        echo "backup: wrote $dump"
        find /backups -name 'voucher-*.dump' -mtime "+$keep" -print -delete
        record success
    else
        rm -f "$dump.partial"
        echo "backup: pg_dump failed" >&2
        record failure
    fi
    sleep "$every"
done
