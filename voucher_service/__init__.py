"""Compute-service vouchers for SMEs (Wuhan AI policy 2025, measure 2)."""

from importlib.metadata import PackageNotFoundError, version

try:
    # One source for the version: pyproject.toml's, as installed (CHANGELOG.md names each).
    __version__ = version("voucher-service")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"
