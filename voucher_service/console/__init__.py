"""The web console for the bureau, enterprises and providers (server-rendered, zh-CN first),
and the API documentation pages served from the same vendored assets.

Wiring, in ``api.create_app``: ``FastAPI(..., docs_url=None, redoc_url=None)``, then
``mount_docs(app)`` and ``mount_console(app)``.
"""

from voucher_service.console.app import mount_console
from voucher_service.console.docs import mount_docs

__all__ = ["mount_console", "mount_docs"]
