"""Tooling around the service, not part of it: the metering benchmark and the console's
(bench, bench_console, burst, ceiling), a local cluster of API processes and private
PostgreSQL servers (localcluster), scratch databases (scratch).

The service never imports these (tests/test_layers.py). The command line finds the
benchmarks through the entry points this package declares (group ``voucher_service.measure``,
tools/pyproject.toml); the tests and scripts/ import them directly. ``make install`` installs
the package into the development virtualenv; the production image leaves it out.
"""
