"""Rendered pages of hot lists, kept in each process while what they show is unchanged
(docs/architecture.md, "Cached pages").

A page is stored with its validator: the sequence numbers of the newest events of its project
and of its workspace's events that name no project, as the statement that authorises the read
found them. A later read of the same page authorises as usual, and sends the stored bytes only
if that statement finds the same two numbers; otherwise it reads and stores the page again.

That is correct across processes, because every change that shows on a page records, in its
own transaction, an event carrying the page's project (or, for a change that reaches across a
workspace's projects, such as removing a member and with them their assignments, an event of
the workspace with no project). The event becomes visible in the same commit as the change.
A page read after its validator can only be newer than it, so a stored page is never older
than its validator says.

What is not checked here is who may see the page: that is the authorising statement's job, on
every read, hit or not. Pages hold no caller-specific value; a filter naming the caller (`me`)
is part of the key, as the caller's id.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from cachetools import LRUCache

from tasklane.metrics import PAGE_CACHE

Validator = tuple[int | None, int | None]
"""(the project's newest event seq, the workspace's newest project-less event seq)."""

_OVERHEAD = 200
"""Bytes an entry costs beyond its body (key, tuple, dict slot), roughly."""


@dataclass(frozen=True, slots=True)
class _Page:
    validator: Validator
    body: bytes


def _size(page: _Page) -> int:
    return len(page.body) + _OVERHEAD


class PageCache:
    """A bounded LRU of page bodies by key; `megabytes` 0 keeps nothing."""

    def __init__(self, megabytes: float) -> None:
        capacity = int(megabytes * 1024 * 1024)
        self._pages: LRUCache[Hashable, _Page] | None = (
            LRUCache(maxsize=capacity, getsizeof=_size) if capacity > 0 else None
        )
        self._largest = capacity // 16
        """A page bigger than this is not kept: one page must not push out dozens."""

    @property
    def enabled(self) -> bool:
        return self._pages is not None

    def get(self, key: Hashable, validator: Validator) -> bytes | None:
        if self._pages is None:
            return None
        page = self._pages.get(key)
        if page is None or page.validator != validator:
            PAGE_CACHE.labels("miss").inc()
            return None
        PAGE_CACHE.labels("hit").inc()
        return page.body

    def put(self, key: Hashable, validator: Validator, body: bytes) -> None:
        if self._pages is None or len(body) + _OVERHEAD > self._largest:
            return
        self._pages[key] = _Page(validator, body)

    def clear(self) -> None:
        if self._pages is not None:
            self._pages.clear()
