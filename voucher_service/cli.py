"""The command line: ``voucher-service serve|migrate|demo|expire|verify``."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from voucher_service.audit.service import CLI, set_actor
from voucher_service.config import get_settings


def migrate(database_url: str | None = None) -> None:
    """Bring the schema to the newest Alembic revision (the only way the schema is made)."""
    from alembic import command
    from alembic.config import Config

    settings = get_settings()
    config = Config()
    config.set_main_option("script_location", str(settings.migrations_dir))
    url = database_url or settings.database_url
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")


def _day(text: str | None) -> date:
    return date.fromisoformat(text) if text else get_settings().today()


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "voucher_service.api:app",
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers,
    )
    return 0


def cmd_migrate(_: argparse.Namespace) -> int:
    migrate()
    print("database is at the newest schema revision")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from voucher_service.db.session import transaction
    from voucher_service.demo import PROGRAM_CODE, load_demo

    with transaction() as session:
        set_actor(session, CLI)
        result = load_demo(session, today=_day(args.today))
    if not result.loaded:
        print(f"demo data already loaded (program {PROGRAM_CODE} exists); nothing changed")
        return 0
    print(f"loaded program {PROGRAM_CODE}, pools 2025 and 2026 of 10,000,000.00 yuan")
    print("enterprises:", ", ".join(result.enterprises))
    print("vouchers:", ", ".join(result.vouchers) or "(none: today is not in 2026)")
    print("provider:", result.provider)
    if result.keys:
        print("demo API keys (shown once; create more with `voucher-service create-key`):")
        for role, key in result.keys.items():
            print(f"  {role:<16} {key}")
    return 0


def cmd_create_key(args: argparse.Namespace) -> int:
    """Create a key from the command line: the first bureau admin key of a fresh install."""
    from voucher_service.auth.service import create_key, principal_for
    from voucher_service.db.session import transaction
    from voucher_service.db.tables.auth import Role
    from voucher_service.db.types import utcnow
    from voucher_service.enterprises.service import get_enterprise
    from voucher_service.providers.service import get_provider

    role = Role(args.role)
    with transaction() as session:
        set_actor(session, CLI)
        principal = principal_for(
            session,
            role,
            name=args.holder,
            enterprise=get_enterprise(session, args.uscc) if role is Role.ENTERPRISE else None,
            provider=get_provider(session, args.uscc) if role is Role.PROVIDER else None,
        )
        new = create_key(session, principal, name=args.name, now=utcnow())
    print(new.key)
    print(
        f"{role.value} key {new.row.prefix} for {principal.name}: shown once, store it safely",
        file=sys.stderr,
    )
    return 0


def cmd_expire(args: argparse.Namespace) -> int:
    from voucher_service.db.session import transaction
    from voucher_service.money import fen_to_yuan
    from voucher_service.vouchers.service import expire_vouchers

    settings = get_settings()
    with transaction() as session:
        set_actor(session, CLI)
        run = expire_vouchers(session, today=_day(args.today), grace_days=settings.grace_days)
    print(f"expired {run.expired} voucher(s); {fen_to_yuan(run.released_fen)} yuan back to pools")
    return 0


def cmd_settle(args: argparse.Namespace) -> int:
    """Settlement from the command line: close, approve, pay, export."""
    from pathlib import Path

    from sqlalchemy import select

    from voucher_service.db.session import transaction
    from voucher_service.db.tables.providers import Provider
    from voucher_service.db.types import utcnow
    from voucher_service.money import fen_to_yuan
    from voucher_service.providers.service import get_provider
    from voucher_service.settlement import export, service

    with transaction() as session:
        set_actor(session, CLI)
        if args.action == "close":
            if not args.period:
                raise SystemExit("settle close needs --period YYYY-MM")
            providers = (
                [get_provider(session, args.provider)]
                if args.provider
                else list(session.scalars(select(Provider).order_by(Provider.id)))
            )
            for provider in providers:
                statement, created = service.close_statement(
                    session, provider, args.period, today=_day(args.today), now=utcnow()
                )
                state = "closed" if created else "already closed"
                print(
                    f"{provider.uscc} {args.period}: statement {statement.id} {state}, "
                    f"{statement.record_count} records, {fen_to_yuan(statement.subsidy_fen)} yuan"
                )
            return 0
        if args.statement is None:
            raise SystemExit(f"settle {args.action} needs --statement ID")
        statement = service.get_statement(session, args.statement)
        if args.action == "approve":
            service.approve_statement(session, statement, now=utcnow())
        elif args.action == "pay":
            service.pay_statement(session, statement, reference=args.reference or "", now=utcnow())
        else:
            holder = session.get(Provider, statement.provider_id)
            assert holder is not None
            detail = service.statement_detail(session, statement)
            zh = args.headers == "zh"
            data = (
                export.statement_xlsx(statement, holder, detail, chinese=zh)
                if args.format == "xlsx"
                else export.statement_csv(statement, detail, chinese=zh)
            )
            Path(args.out).write_bytes(data)
        print(f"statement {statement.id} ({statement.period}): {statement.status}")
    return 0


def cmd_probe(args: argparse.Namespace) -> int:
    """Probe providers' health endpoints: once, or every --every seconds (a sidecar or cron).
    A round waits for its probes (each bounded by --timeout) before the next: no pile-up."""
    import time

    from voucher_service.db.session import transaction
    from voucher_service.db.types import utcnow
    from voucher_service.monitoring.network import probe_providers

    rounds = 0
    while True:
        with transaction() as session:
            probes = probe_providers(session, now=utcnow(), timeout_s=args.timeout)
        up = sum(1 for p in probes if p.ok)
        print(f"probed {len(probes)} provider(s): {up} up, {len(probes) - up} down", flush=True)
        rounds += 1
        if not args.every or (args.rounds and rounds >= args.rounds):
            return 0
        time.sleep(args.every)


def cmd_seal(_: argparse.Namespace) -> int:
    from voucher_service.audit.service import seal
    from voucher_service.db.session import transaction

    with transaction() as session:
        sealed = seal(session)
    print(f"sealed {sealed} audit entr{'y' if sealed == 1 else 'ies'} into the chain")
    return 0


def cmd_verify(_: argparse.Namespace) -> int:
    from voucher_service.audit.service import seal
    from voucher_service.db.session import transaction
    from voucher_service.ledger.verify import verify_ledger

    with transaction() as session:
        seal(session)  # chain what is not chained yet, so the walk covers everything
    with transaction() as session:
        violations = verify_ledger(session)
    for line in violations:
        print(f"VIOLATION {line}", file=sys.stderr)
    if violations:
        print(f"verify: {len(violations)} violation(s)", file=sys.stderr)
        return 1
    print("verify: ledger consistent (conservation, counters, non-negativity, caps, audit chain)")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    import tempfile
    from pathlib import Path

    from voucher_service.bench import report, run

    settings = {k: v for k, v in vars(args).items() if k not in ("func", "command", "server_url")}
    with tempfile.TemporaryDirectory() as log_dir:
        figures = run(args.server_url, log_dir=Path(log_dir), **settings)
    print(report(figures, settings))
    return 0 if figures["verify_violations"] == 0 else 1


def cmd_bench_scrape(args: argparse.Namespace) -> int:
    from voucher_service.bench import scrape_cost

    figures = scrape_cost(args.server_url, args.rows)
    print(
        f"/metrics ledger figures over {figures['rows']:,} usage records: "
        f"best {figures['best_s'] * 1000:.0f} ms, median {figures['median_s'] * 1000:.0f} ms"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="voucher-service", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP API (uvicorn)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    demo = sub.add_parser("demo", help="load demo data (idempotent)")
    demo.add_argument("--today", help="pretend today is this date (YYYY-MM-DD)")
    demo.set_defaults(func=cmd_demo)
    settle = sub.add_parser("settle", help="monthly settlement: close, approve, pay, export")
    settle.add_argument("action", choices=["close", "approve", "pay", "export"])
    settle.add_argument("--period", help="close: the month, YYYY-MM")
    settle.add_argument("--provider", help="close: one provider's credit code (default: all)")
    settle.add_argument("--statement", type=int, help="approve, pay, export: the statement id")
    settle.add_argument("--reference", help="pay: the payment reference")
    settle.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    settle.add_argument("--headers", choices=["en", "zh"], default="en")
    settle.add_argument("--out", default="statement.csv", help="export: the file to write")
    settle.add_argument("--today", help="close: pretend today is this date (YYYY-MM-DD)")
    settle.set_defaults(func=cmd_settle)
    key = sub.add_parser("create-key", help="create an API key (e.g. the first admin key)")
    key.add_argument(
        "--role",
        default="bureau_admin",
        choices=["bureau_admin", "bureau_reviewer", "auditor", "enterprise", "provider"],
    )
    key.add_argument("--holder", default="administrator", help="bureau keys: person or system")
    key.add_argument("--uscc", help="enterprise and provider keys: the credit code")
    key.add_argument("--name", default="created on the command line", help="what the key is for")
    key.set_defaults(func=cmd_create_key)
    expire = sub.add_parser("expire", help="expire vouchers past validity + grace (idempotent)")
    expire.add_argument("--today", help="pretend today is this date (YYYY-MM-DD)")
    expire.set_defaults(func=cmd_expire)
    sub.add_parser("verify", help="check the ledger invariants and the audit chain").set_defaults(
        func=cmd_verify
    )
    sub.add_parser(
        "seal", help="chain new audit entries (the API does it every few seconds)"
    ).set_defaults(func=cmd_seal)
    bench = sub.add_parser("bench", help="metering throughput against raw SQL (PostgreSQL)")
    bench.add_argument(
        "--server-url",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="a PostgreSQL server; a scratch database is made beside this one",
    )
    bench.add_argument("--workers", type=int, default=2, help="API processes")
    bench.add_argument("--clients", type=int, default=16, help="concurrent single-post clients")
    bench.add_argument("--single", type=int, default=4000, help="records posted one by one")
    bench.add_argument("--batches", type=int, default=8, help="batches posted")
    bench.add_argument("--batch-size", type=int, default=10_000)
    bench.add_argument("--batch-clients", type=int, default=2, help="concurrent batch clients")
    bench.add_argument("--enterprises", type=int, default=200, help="vouchers to spread load over")
    bench.set_defaults(func=cmd_bench)
    probe = sub.add_parser("probe", help="probe providers' health endpoints")
    probe.add_argument("--every", type=float, default=0, help="seconds between rounds (0: once)")
    probe.add_argument(
        "--rounds", type=int, default=0, help="stop after this many rounds (0: never)"
    )
    probe.add_argument("--timeout", type=float, default=2.0, help="seconds per probe")
    probe.set_defaults(func=cmd_probe)
    scrape = sub.add_parser("bench-scrape", help="the cost of /metrics over many usage records")
    scrape.add_argument("--server-url", default="postgresql://postgres@127.0.0.1:5432/test")
    scrape.add_argument("--rows", type=int, default=1_000_000)
    scrape.set_defaults(func=cmd_bench_scrape)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
