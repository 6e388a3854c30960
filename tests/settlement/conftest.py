"""The metering scene serves the settlement tests too."""

from tests.usage.conftest import scene  # noqa: F401 (a fixture)
