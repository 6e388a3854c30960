"""The signature on a webhook delivery, Stripe's scheme: ``Voucher-Signature: t=<unix
seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``. During a secret's rotation the header carries
one ``v1`` per live secret, so a receiver holding either one verifies it. The receiver's side
is ``voucher_client.verify_webhook``."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence

HEADER = "Voucher-Signature"
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh endpoint secret: 256 random bits."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` under ``secret``."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(live_secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    """The header's value: the timestamp, then a ``v1`` per secret (newest first)."""
    parts = [f"t={timestamp}"] + [f"v1={signature(s, timestamp, body)}" for s in live_secrets]
    return ",".join(parts)
