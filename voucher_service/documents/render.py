"""HTML templates to PDF: Jinja2 fills the template, WeasyPrint lays it out (A4, the system's
CJK fonts: Debian's fonts-noto-cjk)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from voucher_service.domain.capitals import amount_in_capitals
from voucher_service.money import fen_to_yuan


def figures(fen: int) -> str:
    """Fen as yuan with thousands separators: 123456.78 -> ¥123,456.78."""
    yuan = fen_to_yuan(fen)
    whole, _, cents = yuan.lstrip("-").partition(".")
    return ("-" if fen < 0 else "") + f"¥{int(whole):,}.{cents}"


@lru_cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("voucher_service.documents", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
    )
    env.filters["figures"] = figures
    env.filters["capitals"] = amount_in_capitals
    return env


def html_of(template: str, **context: Any) -> str:
    """The document's HTML (what the PDF is made of)."""
    return _environment().get_template(template).render(**context)


def pdf_of(template: str, **context: Any) -> bytes:
    """The document as PDF bytes."""
    from weasyprint import HTML  # a heavy import: only when a document is asked for

    pdf: bytes = HTML(string=html_of(template, **context)).write_pdf()
    return pdf
