"""The kinds of material a program may require, with their Chinese and English names."""

from __future__ import annotations

from enum import StrEnum


class MaterialKind(StrEnum):
    BUSINESS_LICENCE = "business_licence"
    SIZE_DECLARATION = "size_declaration"
    COMPUTE_CONTRACT = "compute_contract"
    FILING_CERTIFICATE = "filing_certificate"  # measure 3: the model's filing (备案)
    INVOICE = "invoice"
    PAYMENT_PROOF = "payment_proof"  # a claim after payment: the bank's transfer slip
    OTHER = "other"


NAMES: dict[MaterialKind, tuple[str, str]] = {
    MaterialKind.BUSINESS_LICENCE: ("营业执照", "Business licence"),
    MaterialKind.SIZE_DECLARATION: ("中小企业规模声明", "SME size declaration"),
    MaterialKind.COMPUTE_CONTRACT: ("算力服务合同", "Compute service contract"),
    MaterialKind.FILING_CERTIFICATE: ("模型备案（登记）证明", "Model filing certificate"),
    MaterialKind.INVOICE: ("发票", "Invoice"),
    MaterialKind.PAYMENT_PROOF: ("付款凭证", "Proof of payment"),
    MaterialKind.OTHER: ("其他材料", "Other material"),
}


def parse_kinds(text: str) -> list[MaterialKind]:
    """A program's required kinds, as stored (comma-separated codes)."""
    return [MaterialKind(part) for part in text.split(",") if part]


# What a claim after payment carries: its contract, its invoices, the proof of payment.
CLAIM_KINDS = (
    MaterialKind.COMPUTE_CONTRACT,
    MaterialKind.INVOICE,
    MaterialKind.PAYMENT_PROOF,
    MaterialKind.OTHER,
)
# What approving a claim needs on file (the text references are the claimant's word).
CLAIM_REQUIRED = (MaterialKind.PAYMENT_PROOF,)
