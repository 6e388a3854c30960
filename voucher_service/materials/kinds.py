"""The kinds of material a program may require, with their Chinese and English names."""

from __future__ import annotations

from enum import StrEnum


class MaterialKind(StrEnum):
    BUSINESS_LICENCE = "business_licence"
    SIZE_DECLARATION = "size_declaration"
    COMPUTE_CONTRACT = "compute_contract"
    FILING_CERTIFICATE = "filing_certificate"  # measure 3: the model's filing (备案)
    INVOICE = "invoice"
    OTHER = "other"


NAMES: dict[MaterialKind, tuple[str, str]] = {
    MaterialKind.BUSINESS_LICENCE: ("营业执照", "Business licence"),
    MaterialKind.SIZE_DECLARATION: ("中小企业规模声明", "SME size declaration"),
    MaterialKind.COMPUTE_CONTRACT: ("算力服务合同", "Compute service contract"),
    MaterialKind.FILING_CERTIFICATE: ("模型备案（登记）证明", "Model filing certificate"),
    MaterialKind.INVOICE: ("发票", "Invoice"),
    MaterialKind.OTHER: ("其他材料", "Other material"),
}


def parse_kinds(text: str) -> list[MaterialKind]:
    """A program's required kinds, as stored (comma-separated codes)."""
    return [MaterialKind(part) for part in text.split(",") if part]
