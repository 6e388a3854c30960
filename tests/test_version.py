"""One version, pyproject.toml's, reported by ``voucher-service --version`` and ``/readyz``,
and named by CHANGELOG.md (keep-a-changelog: an Unreleased section, then each version)."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.factories import KeyedClient
from voucher_service import __version__
from voucher_service.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_the_version_is_pyproject_toml_s() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert __version__ == declared == version("voucher-service")


def test_the_command_line_says_its_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"voucher-service {__version__}\n"


def test_readiness_says_the_version(client: KeyedClient) -> None:
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready", "schema": ready.json()["schema"],
                            "version": __version__}  # fmt: skip


def test_the_changelog_names_this_version_after_an_unreleased_section() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    sections = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", text, re.M)
    assert sections[0] == ("Unreleased", "")
    assert sections[1][0] == __version__ and sections[1][1], sections
    for heading in re.findall(r"^### (.+)$", text, re.M):
        assert heading in {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
