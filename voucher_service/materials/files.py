"""A document handed to a browser or a client: the API and the console answer a download
alike."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Response

from voucher_service.db.tables.paperwork import Document


def download_response(row: Document) -> Response:
    """A document as a download: its own media type, never sniffed, never inline."""
    return Response(
        content=row.content,
        media_type=row.media_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.filename)}",
            "X-Content-Type-Options": "nosniff",
        },
    )
