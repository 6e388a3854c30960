"""Audit samples from the command line: ``voucher-service audit sample --seed S --n N --out
FILE`` (the command line parses the arguments and opens the session; this writes)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from voucher_service.audit import sampling
from voucher_service.audit.sample_export import sample_csv, sample_xlsx


def sample(
    session: Session,
    *,
    seed: int,
    n: int,
    out_path: Path,
    program: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> str:
    """Draw the sample and write it to ``out_path`` (``.xlsx``, else CSV); say what was drawn."""
    found = sampling.sample(session, sampling.SampleSpec(seed, n, program, date_from, date_to))
    as_xlsx = out_path.suffix.lower() == ".xlsx"
    out_path.write_bytes(sample_xlsx(found) if as_xlsx else sample_csv(found))
    return f"wrote {out_path}: {len(found.items)} of {found.population} priced records, seed {seed}"
