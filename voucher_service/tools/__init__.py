"""Tooling around the service, not part of it: demo data, the metering benchmark, and a
local cluster of API processes (for the benchmark and the multi-process tests).

The service never imports these; the command line and the tests do.
"""
