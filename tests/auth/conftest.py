"""The metering scene serves the access tests too."""

from tests.usage.conftest import scene  # noqa: F401 (a fixture)
