"""Service metrics for Prometheus (``/metrics``)."""

from __future__ import annotations

from prometheus_client import Counter

AUTH_FAILURES = Counter(
    "voucher_auth_failures_total",
    "Failed authentications, by reason (missing, malformed, unknown, revoked, expired, throttled).",
    ["reason"],
)
