"""Compute-service vouchers for SMEs (Wuhan AI policy 2025, measure 2)."""

__version__ = "0.1.0"
