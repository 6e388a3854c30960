"""The metering scene serves the ledger tests too."""

from tests.usage.conftest import scene  # noqa: F401 (a fixture)
