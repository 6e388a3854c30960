"""Verify a webhook the compute-voucher service sent you.

The service signs each delivery as Stripe does: the header ``Voucher-Signature`` is
``t=<unix seconds>,v1=<hex>[,v1=<hex>]``, each ``v1`` the HMAC-SHA256 of ``"<t>.<raw body>"``
under one of the endpoint's secrets (two while a secret is being rotated). Verify against the
raw bytes you received, before parsing them, and de-duplicate by the event's ``id``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

SIGNATURE_HEADER = "Voucher-Signature"


class WebhookError(ValueError):
    """The delivery is not the service's: a bad or missing signature, or too old."""


def verify_webhook(
    secret: str,
    header: str | None,
    body: bytes | str,
    tolerance: int = 300,
    *,
    now: float | None = None,
) -> dict[str, Any]:
    """Check ``header`` (the ``Voucher-Signature`` value) against ``body`` with ``secret``
    and return the event (parsed JSON). Raises ``WebhookError`` if no signature matches or
    the timestamp is more than ``tolerance`` seconds from ``now`` (default: the clock), which
    refuses a replay of an old delivery; ``tolerance=0`` skips that check."""
    raw = body.encode() if isinstance(body, str) else bytes(body)
    if not header:
        raise WebhookError(f"no {SIGNATURE_HEADER} header")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise WebhookError("the signature's timestamp is not a number") from None
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        raise WebhookError("the signature header has no t=... or no v1=...")
    expected = hmac.new(
        secret.encode(), str(timestamp).encode() + b"." + raw, hashlib.sha256
    ).hexdigest()
    if not any(hmac.compare_digest(expected, given) for given in signatures):
        raise WebhookError("no signature matches this secret and body")
    if tolerance and abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise WebhookError(f"the signature's timestamp is more than {tolerance} s away")
    event: dict[str, Any] = json.loads(raw)
    return event
