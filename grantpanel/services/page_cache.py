"""Published pages rendered once and kept: a small, thread-safe, least-recently-used cache.

A published outcome page is a pure function of its decision record (which never changes once
published: a new decision is a new record with a new digest), the page's language and the
code that renders it. So its content is rendered once per ``(digest, language)`` and kept in
this process; a worker restart or a new release (which restarts the workers) starts empty.
The page around the content (header, sign-in state, footer) is rendered per request, so
nothing personal is ever cached.

``PAGE_CACHE_SIZE`` (default 32) bounds how many rendered pages each worker keeps; 0 turns the
cache off.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import current_app
from markupsafe import Markup

__all__ = ["PageCache", "cached"]

DEFAULT_SIZE = 32


class PageCache:
    """At most ``size`` rendered fragments, the least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self.size = max(0, size)
        self._items: OrderedDict[Hashable, Markup] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_render(self, key: Hashable, render: Callable[[], str]) -> Markup:
        """The fragment kept for ``key``, or ``render()``'s (kept for next time)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
        html = Markup(render())  # outside the lock: two first requests may both render
        with self._lock:
            self.misses += 1
            if self.size:
                self._items[key] = html
                self._items.move_to_end(key)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return html

    def __len__(self) -> int:
        return len(self._items)


def cache() -> PageCache:
    """This app's page cache (made on first use, sized by ``PAGE_CACHE_SIZE``)."""
    extensions = current_app.extensions
    found = extensions.get("page_cache")
    if not isinstance(found, PageCache):
        size = int(current_app.config.get("PAGE_CACHE_SIZE", DEFAULT_SIZE))
        found = extensions.setdefault("page_cache", PageCache(size))
    return found


def cached(key: Hashable, render: Callable[[], str]) -> Markup:
    """``render()``'s HTML for ``key``, rendered once per worker (see :class:`PageCache`)."""
    return cache().get_or_render(key, render)
