"""Measurements on a scratch PostgreSQL database: metering throughput, the cost of /metrics.

The benchmarks are tooling, not part of the service: they live in the repository's tools/
(package ``voucher_tools``), which ``make install`` installs beside the service and the
production image leaves out. The service never imports it; these commands load the modules
it declares under the entry-point group ``voucher_service.measure`` (tools/pyproject.toml).
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Annotated, Any

import typer

from voucher_service.cli.common import MEASURE, fail, out, progress_bar, working

app = typer.Typer()

TOOLS_GROUP = "voucher_service.measure"


def tool(name: str) -> Any:
    """The tooling module registered as ``name``; without the tooling installed (the
    production image), a one-line error and exit code 2."""
    found = entry_points(group=TOOLS_GROUP, name=name)
    if not found:
        raise fail(
            "the benchmarks are not installed here: they ship in the repository's tools/ "
            "(make install, or pip install -e ./tools, in a checkout), not in the service",
            code=2,
        )
    return next(iter(found)).load()


ServerUrl = Annotated[
    str,
    typer.Option(help="A PostgreSQL server; a scratch database is made beside this one."),
]
SERVER_URL = "postgresql://postgres@127.0.0.1:5432/test"


@app.command(rich_help_panel=MEASURE)
def bench(
    server_url: ServerUrl = SERVER_URL,
    workers: Annotated[int, typer.Option(min=1, help="API processes.")] = 2,
    clients: Annotated[int, typer.Option(min=1, help="Concurrent single-post clients.")] = 16,
    single: Annotated[int, typer.Option(min=1, help="Records posted one by one.")] = 4000,
    batches: Annotated[int, typer.Option(min=1, help="Batches posted.")] = 8,
    batch_size: Annotated[int, typer.Option(min=1, help="Records per batch.")] = 10_000,
    batch_clients: Annotated[int, typer.Option(min=1, help="Concurrent batch clients.")] = 2,
    enterprises: Annotated[int, typer.Option(min=1, help="Vouchers to spread load over.")] = 200,
    burst_clients: Annotated[
        int, typer.Option(min=1, help="Keep-alive clients released together (4 requests each).")
    ] = 256,
) -> None:
    """Metering throughput of the API against the floor of raw SQL.

    See docs/performance.md. Exit 1 if verify finds the books broken afterwards."""
    import tempfile
    from pathlib import Path

    benchmark = tool("bench")
    settings = {
        "workers": workers,
        "clients": clients,
        "single": single,
        "batches": batches,
        "batch_size": batch_size,
        "batch_clients": batch_clients,
        "enterprises": enterprises,
        "burst_clients": burst_clients,
    }
    with tempfile.TemporaryDirectory() as log_dir, progress_bar("benchmark") as update:

        def phase(name: str) -> None:
            update(benchmark.BENCH_PHASES.index(name), len(benchmark.BENCH_PHASES), name)

        figures = benchmark.run(server_url, log_dir=Path(log_dir), progress=phase, **settings)
    out.print(benchmark.report(figures, settings), markup=False)
    if figures["verify_violations"]:
        raise typer.Exit(1)


@app.command("bench-scrape", rich_help_panel=MEASURE)
def bench_scrape(
    server_url: ServerUrl = SERVER_URL,
    rows: Annotated[int, typer.Option(min=1, help="Usage records to load.")] = 1_000_000,
) -> None:
    """The cost of /metrics' ledger figures over many usage records.

    See docs/monitoring.md."""
    benchmark = tool("bench")
    with working(f"loading {rows:,} usage records and timing /metrics"):
        figures = benchmark.scrape_cost(server_url, rows)
    out.print(
        f"/metrics ledger figures over {figures['rows']:,} usage records: "
        f"best {figures['best_s'] * 1000:.0f} ms, median {figures['median_s'] * 1000:.0f} ms "
        f"(the first scrape, which builds the usage rollup once: "
        f"{figures['build_s'] * 1000:.0f} ms)"
    )


@app.command("bench-console", rich_help_panel=MEASURE)
def bench_console(
    server_url: ServerUrl = SERVER_URL,
    rows: Annotated[int, typer.Option(min=1, help="Usage records to load.")] = 1_000_000,
    enterprises: Annotated[int, typer.Option(min=1, help="Enterprises, one voucher each.")] = 2_000,
    providers: Annotated[int, typer.Option(min=1, help="Providers.")] = 8,
    repeats: Annotated[int, typer.Option(min=1, help="Overviews timed, rollup fresh.")] = 30,
) -> None:
    """The bureau's overview page over many usage records, over HTTP, signed in; then
    /metrics, record listings to their last page, verify and a month's close.

    See docs/performance.md ("The console's overview at scale")."""
    import tempfile
    from pathlib import Path

    overview = tool("bench_console")
    with tempfile.TemporaryDirectory() as log_dir, working("loading and timing") as update:
        figures = overview.run(
            server_url,
            rows=rows,
            enterprises=enterprises,
            providers=providers,
            repeats=repeats,
            log_dir=Path(log_dir),
            progress=update,
        )
    out.print(overview.report(figures), markup=False)
