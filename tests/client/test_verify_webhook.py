"""The provider client's ``verify_webhook``: Stripe's scheme (HMAC-SHA256 of "t.body"),
checked against a signature computed here with plain hmac and against the service's own
signing; a rotation's two signatures; tampering, a wrong secret, an old timestamp and a
malformed header are refused."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voucher_client import SIGNATURE_HEADER, WebhookError, verify_webhook
from voucher_service.webhooks.signing import HEADER, new_secret, signature_header

SECRET = "whsec_test_5f2b"
BODY = json.dumps({"id": "evt_1", "type": "statement.paid", "data": {"subsidy_yuan": "50.00"}})
T = 1_781_500_000


def plain(secret: str, timestamp: int, body: str) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()


def test_a_known_signature_verifies() -> None:
    header = f"t={T},v1={plain(SECRET, T, BODY)}"
    assert SIGNATURE_HEADER == HEADER == "Voucher-Signature"
    assert verify_webhook(SECRET, header, BODY, now=T + 10)["type"] == "statement.paid"
    assert verify_webhook(SECRET, header, BODY.encode(), now=T - 299)["id"] == "evt_1"
    assert signature_header([SECRET], T, BODY.encode()) == header


def test_during_a_rotation_either_secret_verifies() -> None:
    old, new = new_secret(), new_secret()
    header = signature_header([new, old], T, BODY.encode())
    for secret in (old, new):
        assert verify_webhook(secret, header, BODY, now=T)["id"] == "evt_1"
    with pytest.raises(WebhookError):
        verify_webhook(new_secret(), header, BODY, now=T)


@pytest.mark.parametrize(
    ("header", "body", "now"),
    [
        (f"t={T},v1={plain(SECRET, T, BODY)}", BODY.replace("50.00", "500.00"), T),  # tampered
        (f"t={T},v1={plain('whsec_other', T, BODY)}", BODY, T),  # another secret
        (f"t={T + 1},v1={plain(SECRET, T, BODY)}", BODY, T),  # the timestamp changed
        (f"t={T},v1={plain(SECRET, T, BODY)}", BODY, T + 301),  # too old: a replay
        (f"t={T},v1={plain(SECRET, T, BODY)}", BODY, T - 301),  # from the future
        (f"v1={plain(SECRET, T, BODY)}", BODY, T),  # no timestamp
        (f"t={T}", BODY, T),  # no signature
        ("t=soon,v1=00", BODY, T),
        ("", BODY, T),
        (None, BODY, T),
    ],
)
def test_refused(header: str | None, body: str, now: int) -> None:
    with pytest.raises(WebhookError):
        verify_webhook(SECRET, header, body, now=now)


def test_tolerance_zero_skips_the_clock() -> None:
    header = f"t={T},v1={plain(SECRET, T, BODY)}"
    assert verify_webhook(SECRET, header, BODY, tolerance=0, now=T + 10**6)["id"] == "evt_1"


@given(st.binary(max_size=200), st.integers(min_value=0, max_value=2**40))
def test_only_the_exact_body_verifies(raw: bytes, timestamp: int) -> None:
    body = json.dumps({"raw": raw.hex()}).encode()
    header = signature_header([SECRET], timestamp, body)
    assert verify_webhook(SECRET, header, body, now=timestamp)["raw"] == raw.hex()
    with pytest.raises(WebhookError):
        verify_webhook(SECRET, header, body + b" ", now=timestamp)
