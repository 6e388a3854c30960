"""API models of materials."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from voucher_service.fields import OutModel
from voucher_service.materials.kinds import MaterialKind


class DocumentOut(OutModel):
    id: int
    kind: MaterialKind
    filename: str
    media_type: str = Field(description="application/pdf, image/jpeg or image/png, by content.")
    size_bytes: int
    sha256: str
    uploaded_by: str
    created_at: datetime


class MaterialsOut(OutModel):
    items: list[DocumentOut]
    required: list[MaterialKind] = Field(description="The kinds the program requires.")
    missing: list[MaterialKind] = Field(description="Required kinds not filed yet.")
