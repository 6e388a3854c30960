"""Move console strings into the gettext catalogs (voucher_service/locale), rerunnably.

``python -m voucher_tools.i18n_to_po convert [MODULE.py ...]``
    Merges the rows of tuple-catalogue modules (``voucher_service/console/i18n_*.py``: module
    attributes that are tuples of ``(key, zh-CN, en)`` rows) into the zh_CN and en
    ``messages.po``, then deletes each module and the lines that import it. Without arguments
    it takes every such module still in the console package. A key already in the catalogs
    with different text stops the run (nothing is written) unless ``--overwrite``.

``python -m voucher_tools.i18n_to_po update [messages.pot]``
    Adds the msgids of an extracted template (``make messages`` runs ``pybabel extract``
    first) that the catalogs lack, with an empty msgstr: the catalog test then names them
    until someone translates them. Unlike ``pybabel update`` it keeps every msgid the code
    builds at run time (``t("status." ~ status)``), which extraction cannot see.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from voucher_service import locale as catalogs

Row = tuple[str, str, str]
CONSOLE_DIR = Path(catalogs.__file__).parent.parent / "console"
# The catalog locales and the column of a row each takes its text from.
COLUMNS = {"zh_CN": 1, "en": 2}


def _is_row(item: object) -> bool:
    return (
        isinstance(item, tuple) and len(item) == 3 and all(isinstance(part, str) for part in item)
    )


def rows_of(module: ModuleType) -> list[Row]:
    """The (key, zh-CN, en) rows a tuple-catalogue module holds, in order, each key once."""
    rows: dict[str, Row] = {}
    for value in vars(module).values():
        if isinstance(value, tuple) and value and all(_is_row(item) for item in value):
            for row in value:
                rows.setdefault(row[0], row)
    return list(rows.values())


def load_module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_i18n_to_po.{path.stem}", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read(locale: str) -> Catalog:
    path = catalogs.po_path(locale)
    if not path.exists():
        return Catalog(locale=locale, domain=catalogs.DOMAIN, project="voucher-service")
    with path.open("rb") as po:
        return read_po(po, locale=locale, domain=catalogs.DOMAIN)


def write(locale: str, catalog: Catalog) -> None:
    path = catalogs.po_path(locale)
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog.fuzzy = False  # the header: a fuzzy one would read as an unfinished catalog
    catalog.header_comment = (
        f'# The console\'s strings in {locale} (msgids are symbolic keys: t("sign_in.title")).\n'
        "# Edit the msgstrs here; `make messages` adds new msgids (CONTRIBUTING.md)."
    )
    catalog.version = "1"
    catalog.last_translator = "voucher-service"
    catalog.language_team = "voucher-service"
    with path.open("wb") as po:
        write_po(po, catalog, width=0, include_lineno=False, include_previous=False)


def merge_rows(rows: Iterable[Row], *, overwrite: bool = False) -> list[str]:
    """Put ``rows`` into both catalogs; the keys whose text differs from the catalogs' (left
    unwritten unless ``overwrite``). Returns those conflicts."""
    rows = list(rows)
    loaded = {locale: read(locale) for locale in COLUMNS}
    conflicts = sorted(
        {
            row[0]
            for locale, column in COLUMNS.items()
            for row in rows
            if (m := loaded[locale].get(row[0])) is not None
            and m.string
            and m.string != row[column]
        }
    )
    if conflicts and not overwrite:
        return conflicts
    for locale, column in COLUMNS.items():
        catalog = loaded[locale]
        for row in rows:
            catalog.add(row[0], row[column])
        write(locale, catalog)
    return conflicts


def unregister(module_name: str, directory: Path = CONSOLE_DIR) -> list[str]:
    """Drop the lines of the console package that import or name ``module_name``."""
    mention = re.compile(rf"\b{re.escape(module_name)}\b")
    dropped: list[str] = []
    for path in sorted(directory.rglob("*.py")):
        if path.stem == module_name:
            continue
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for line in lines if not mention.search(line)]
        if len(kept) != len(lines):
            dropped += [f"{path}: {line.strip()}" for line in lines if mention.search(line)]
            path.write_text("".join(kept), encoding="utf-8")
    return dropped


def tuple_modules(directory: Path = CONSOLE_DIR) -> list[Path]:
    """The console's tuple-catalogue modules still waiting to be converted."""
    return sorted(p for p in directory.glob("i18n_*.py") if rows_of(load_module(p)))


def convert(paths: Sequence[Path], *, overwrite: bool = False) -> int:
    for path in paths:
        rows = rows_of(load_module(path))
        conflicts = merge_rows(rows, overwrite=overwrite)
        if conflicts and not overwrite:
            print(f"{path}: keys already in the catalogs with other text: {', '.join(conflicts)}")
            print("nothing written; fix the rows or run again with --overwrite")
            return 1
        path.unlink()
        print(f"{path}: {len(rows)} rows merged into zh_CN and en; module deleted")
        for line in unregister(path.stem, path.parent):
            print(f"  dropped {line}")
    return 0


def update(template: Path) -> int:
    """Add the template's msgids the catalogs lack, with empty msgstrs."""
    with template.open("rb") as pot:
        extracted = read_po(pot)
    for locale in COLUMNS:
        catalog = read(locale)
        new = [m.id for m in extracted if m.id and m.id not in catalog]
        for msgid in new:
            catalog.add(msgid, "")
        write(locale, catalog)
        print(f"{locale}: {len(new)} new msgid(s) {' '.join(map(str, new))}".rstrip())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m voucher_tools.i18n_to_po", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    move = commands.add_parser("convert", help="merge tuple modules into the .po files")
    move.add_argument("modules", nargs="*", type=Path)
    move.add_argument("--overwrite", action="store_true")
    add = commands.add_parser("update", help="add an extracted template's new msgids")
    add.add_argument("template", nargs="?", type=Path, default=catalogs.LOCALE_DIR / "messages.pot")
    args = parser.parse_args(argv)
    if args.command == "update":
        return update(args.template)
    return convert(args.modules or tuple_modules(), overwrite=args.overwrite)


if __name__ == "__main__":
    sys.exit(main())
