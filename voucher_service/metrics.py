"""In-process service metrics for Prometheus (``/metrics``).

With several worker processes, set ``PROMETHEUS_MULTIPROC_DIR`` (an empty directory) in the
start script, before Python starts: each process then writes its samples there and any
process serves them all (prometheus-client's multiprocess mode). Program money and metering
figures come from ``monitoring.collector`` instead: they are read from the database.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

AUTH_FAILURES = Counter(
    "voucher_auth_failures_total",
    "Failed authentications, by reason (missing, malformed, unknown, revoked, expired, throttled).",
    ["reason"],
)
REQUESTS = Histogram(
    "voucher_http_request_duration_seconds",
    "HTTP request latency, by route template, method and status.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
INGEST = Histogram(
    "voucher_ingest_seconds",
    "Time to price and store a usage post, by mode (single or batch).",
    ["mode"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
BATCH_RECORDS = Histogram(
    "voucher_batch_records",
    "Records per batch post.",
    buckets=(1, 10, 100, 500, 1000, 2500, 5000, 10000),
)
IN_FLIGHT = Gauge(
    "voucher_requests_in_flight",
    "Requests admitted by the gate and not yet answered (summed over live processes).",
    multiprocess_mode="livesum",
)
ADMISSION_WAIT = Histogram(
    "voucher_admission_wait_seconds",
    "Time a request waited for a place at the gate before it was admitted.",
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0),
)
ADMISSION_REJECTED = Counter(
    "voucher_admission_rejected_total",
    "Requests answered 503 overloaded: no place was free within the queue time.",
)
OUTBOX_QUEUED = Gauge(
    "voucher_outbox_queued",
    "Outbox messages waiting to be sent, by channel (as the worker last counted them).",
    ["channel"],
    multiprocess_mode="max",
)
OUTBOX_SENT = Counter(
    "voucher_outbox_sent_total", "Outbox messages delivered, by channel.", ["channel"]
)
OUTBOX_FAILED = Counter(
    "voucher_outbox_failed_total",
    "Failed delivery attempts, by channel and outcome (retry: queued again; dead: given up).",
    ["channel", "outcome"],
)
