"""The benchmark commands find the tooling (tools/, ``voucher_tools``) through its entry
points, and without it (the production image) say so in one line with exit code 2."""

from __future__ import annotations

from importlib.metadata import EntryPoints

import pytest

from voucher_service.cli import main, measure


def test_the_commands_find_the_installed_tooling() -> None:
    """make install registers the benchmarks (tools/pyproject.toml): the names the commands
    ask for load the tooling's modules."""
    assert measure.tool("bench").__name__ == "voucher_tools.bench"
    assert measure.tool("bench_console").__name__ == "voucher_tools.bench_console"


@pytest.mark.parametrize("command", ["bench", "bench-scrape", "bench-console"])
def test_without_the_tooling_a_command_says_so_in_one_line(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # An installation of the service alone (its image): no distribution declares the group.
    monkeypatch.setattr(measure, "entry_points", lambda **_: EntryPoints(()))
    assert main([command]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("error: the benchmarks are not installed here")
    assert "tools/" in captured.err
