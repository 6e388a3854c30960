"""The router of a company's pages: its own pages and the API-key pages, all guarded alike."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

from fastapi import APIRouter

from voucher_service.auth.access import Access
from voucher_service.console.auth import guard
from voucher_service.console.people.keys import key_pages
from voucher_service.routing import DatabaseRoute


def company_router(prefix: str, access: Access, pages: Sequence[ModuleType]) -> APIRouter:
    """The router of a company's pages at ``prefix`` (``/enterprise``): each module's
    ``router``, then the API-key pages, every one guarded by ``access``."""
    router = APIRouter(prefix=prefix)
    for module in pages:
        router.include_router(module.router)
    keys = APIRouter(route_class=DatabaseRoute, dependencies=[guard(access)])
    key_pages(keys, access)
    router.include_router(keys)
    return router
