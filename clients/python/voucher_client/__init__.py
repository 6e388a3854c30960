"""The compute-voucher service's client for compute providers (httpx only): see client.py."""

from voucher_client.client import (
    MAX_BATCH,
    RETRY_SECONDS,
    ProviderClient,
    ServiceError,
)
from voucher_client.webhooks import SIGNATURE_HEADER, WebhookError, verify_webhook

__all__ = [
    "MAX_BATCH",
    "RETRY_SECONDS",
    "SIGNATURE_HEADER",
    "ProviderClient",
    "ServiceError",
    "WebhookError",
    "verify_webhook",
]
