"""Moved to ``voucher_service.tools.localcluster``: import it from there.

This name is kept only for tests/usage/test_concurrent_metering.py (being rewritten with the
ledger change); delete this file once that test imports the new name.
"""

from voucher_service.tools.localcluster import api_processes

__all__ = ["api_processes"]
