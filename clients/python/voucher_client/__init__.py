"""The compute-voucher service's client for compute providers (httpx only): see client.py."""

from voucher_client.client import (
    MAX_BATCH,
    RETRY_SECONDS,
    ProviderClient,
    ServiceError,
)

__all__ = ["MAX_BATCH", "RETRY_SECONDS", "ProviderClient", "ServiceError"]
