"""The metering scene serves the monitoring tests too."""

from tests.usage.conftest import scene  # noqa: F401 (a fixture)
