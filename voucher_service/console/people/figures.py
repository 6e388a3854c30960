"""Small display helpers of the people's pages (no money here: money is ``formatting.yuan``)."""

from __future__ import annotations

from decimal import Decimal


def percent(bp: int) -> str:
    """Basis points as a percentage: ``5000`` -> ``50%``, ``1250`` -> ``12.5%`` (exact)."""
    text = format(Decimal(bp) / 100, "f")
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"


def share_bp(part: int, whole: int) -> int:
    """``part`` of ``whole`` in basis points, between 0 and 10,000 (for a progress bar)."""
    if whole <= 0:
        return 0
    return max(0, min(10_000, part * 10_000 // whole))
