"""The query naming one program's year as a caller has it (a program code and a year), which
the capabilities reading a year's figures take (``aggregates.queries``,
``evaluation.queries``): each resolves it, an unknown program being NotFound."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PoolQuery:
    """A program (its code) and a year."""

    program: str
    year: int
