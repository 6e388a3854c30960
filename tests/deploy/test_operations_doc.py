"""docs/operations.md as written: every voucher-service command it tells an operator to run is
one the CLI accepts, and every file it names exists."""

from __future__ import annotations

import re

from tests.cli.tree import commands_in
from tests.deploy.files import ROOT, assert_real_command

GUIDE = ROOT / "docs" / "operations.md"


def test_every_command_in_the_guide_is_a_real_one() -> None:
    found = commands_in(GUIDE.read_text())
    subcommands = {command[1] for command in found}
    assert {"migrate", "create-key", "verify", "expire"} <= subcommands, subcommands
    for command in found:
        assert_real_command(command)


def test_every_file_the_guide_names_exists() -> None:
    names = set(
        re.findall(
            r"\b((?:deploy|tests|docs)/[\w/-]*\w\.(?:ya?ml|json|conf|md|py))", GUIDE.read_text()
        )
    )
    assert "deploy/compose.yaml" in names
    missing = [name for name in sorted(names) if not (ROOT / name).exists()]
    assert missing == []


def test_every_link_of_the_guide_leads_somewhere() -> None:
    text = GUIDE.read_text()
    headings = re.findall(r"^#+ (.+)$", text, re.M)
    anchors = {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    assert "#5-backup-and-restore" in links
    for link in links:
        page, _, anchor = link.partition("#")
        if page.startswith("http"):
            continue
        assert page == "" or (GUIDE.parent / page).exists(), link
        assert page != "" or anchor in anchors, link


def test_the_guide_quotes_no_head_revision_that_would_go_stale() -> None:
    """It says how to see the head (``alembic heads``) instead of a number that a new
    migration makes wrong, and points at the changelog for the release notes."""
    text = GUIDE.read_text()
    assert re.findall(r"\b\d{4}[a-z]?\b[^\n]*\(head\)", text) == []
    assert "alembic heads" in text
    assert "(../CHANGELOG.md)" in text
