"""The benchmark runs end to end on a small scale (PostgreSQL): every mode yields a figure,
the report prints them, and the books it leaves behind verify clean — so the command that
produces docs/performance.md cannot rot unnoticed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.databases import backend
from voucher_tools import bench

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(backend() != "postgresql", reason="the benchmark needs PostgreSQL"),
]


def test_a_small_run_measures_every_mode_and_leaves_the_books_clean(tmp_path: Path) -> None:
    settings = {
        "workers": 1,
        "clients": 4,
        "single": 80,
        "batches": 2,
        "batch_size": 200,
        "batch_clients": 1,
        "enterprises": 10,
        "burst_clients": 8,
    }
    phases: list[str] = []
    figures = bench.run(
        os.environ["TEST_DATABASE_URL"], **settings, log_dir=tmp_path, progress=phases.append
    )
    assert phases == list(bench.BENCH_PHASES)
    assert figures["verify_violations"] == 0
    assert figures["burst_errors"] == 0
    for mode in ("single", "ceiling", "hot", "batched"):
        rate = next(v for k, v in figures.items() if k.startswith(mode) and k.endswith("per_s"))
        assert rate > 0, mode
    text = bench.report(figures, settings)
    assert "HTTP ceiling" in text and "COPY floor" in text and "0 violation(s)" in text
