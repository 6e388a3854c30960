"""Places for requests: a fixed number, waited for in the event loop until a deadline.

The gate (``gate.py``) keeps several kinds: for authentication look-ups, for the work of
authenticated callers, for the work of anonymous ones, and for bodies being sent (a few per
caller). A request that finds no place before its deadline is told ``Overloaded`` and the
gate answers 503 with ``Retry-After``; a request waits for all its places together no longer
than the queue time, because they share one deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


class Overloaded(Exception):
    """No place came free before the request's deadline."""


class Places:
    """At most ``size`` holders at once; the others wait, at most until their deadline (the
    event loop's clock, ``loop.time()``)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = asyncio.Semaphore(size)

    async def take(self, deadline: float) -> None:
        """Take a place (at once if one is free, however late it is), or raise
        ``Overloaded`` at ``deadline``."""
        if not self._free.locked():
            await self._free.acquire()  # free: returns without waiting
            return
        try:
            async with asyncio.timeout_at(deadline):
                await self._free.acquire()
        except TimeoutError:
            raise Overloaded from None

    def give_back(self) -> None:
        self._free.release()

    @asynccontextmanager
    async def held(self, deadline: float) -> AsyncIterator[None]:
        await self.take(deadline)
        try:
            yield
        finally:
            self.give_back()


@dataclass
class _Holders:
    places: Places
    users: int = 0


@dataclass
class PlacesPerKey:
    """``size`` places for each key (a caller): one key's holders never wait for another's.
    A key's entry lives only while someone holds or waits for one of its places."""

    size: int
    _keys: dict[Hashable, _Holders] = field(default_factory=dict)

    @asynccontextmanager
    async def held(self, key: Hashable, deadline: float) -> AsyncIterator[None]:
        holders = self._keys.get(key)
        if holders is None:
            holders = self._keys[key] = _Holders(Places(self.size))
        holders.users += 1
        try:
            async with holders.places.held(deadline):
                yield
        finally:
            holders.users -= 1
            if holders.users == 0:
                del self._keys[key]

    def __len__(self) -> int:
        return len(self._keys)
