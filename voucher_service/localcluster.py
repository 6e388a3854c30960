"""Moved to ``voucher_service.tools.localcluster``: import it from there.

This name is kept only for tests/usage/test_concurrent_metering.py and
tests/console/test_browser.py; delete this file once they import the new name.
"""

from voucher_service.tools.localcluster import api_processes

__all__ = ["api_processes"]
