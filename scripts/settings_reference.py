"""Write docs/settings.md, the reference of every setting, from the settings class
(voucher_service/config.py); with --check, only say whether it is up to date (exit 1 if not).

    .venv/bin/python scripts/settings_reference.py [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path

from voucher_service.config import reference

TARGET = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


def main(argv: list[str]) -> int:
    text = reference()
    if "--check" in argv:
        if TARGET.exists() and TARGET.read_text() == text:
            return 0
        print(f"{TARGET} is stale: run python scripts/settings_reference.py", file=sys.stderr)
        return 1
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
