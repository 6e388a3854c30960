"""docs/settings.md is the whole reference of the settings, generated from the settings
class: a setting without a description, or a file not regenerated after a change, fails."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from voucher_service.config import Settings, reference

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "settings_reference.py"


def test_every_setting_is_described_and_in_the_reference() -> None:
    text = (ROOT / "docs" / "settings.md").read_text()
    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} has no description"
        assert f"| `VOUCHER_{name.upper()}` |" in text


def test_the_reference_is_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("settings_reference", SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main(["--check"]) == 0, "run: .venv/bin/python scripts/settings_reference.py"
    assert (ROOT / "docs" / "settings.md").read_text() == reference()


def test_a_setting_without_a_description_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    field = Settings.model_fields["port"]
    monkeypatch.setattr(field, "description", None)
    with pytest.raises(ValueError, match="setting port has no description"):
        reference()
