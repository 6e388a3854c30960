"""Real Prometheus tools (Debian's package): .ci/run installs them; locally a test that needs
them is skipped with a message when they are missing — never in CI."""

from __future__ import annotations

import os
import shutil

import pytest


def require(tool: str, package: str = "prometheus") -> str:
    """The path of ``tool``, from Debian's ``package``."""
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is missing in CI: .ci/run should have installed it")
        pytest.skip(f"{tool} is not installed (apt-get install {package})")
    return path
