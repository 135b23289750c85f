"""Read-mostly lists kept in the cache, once per version of what they are made of (issue 17).

A few things that every request of a page rebuilt grow with the programme and change
rarely: the development acts' Atom feed (50 entries), the organisations the case list
offers as a filter (1 000 at 100 000 cases). Each is built once for a *version* of its
data, a small tuple read by one cheap query (how many rows, the largest id, the latest
change: whatever moves whenever the list changes), and served from the cache until the
version moves or ``SPARRING_LIST_CACHE_SECONDS`` pass (what no version can see, such as
an organisation renamed, shows within that). With the setting 0 (the test suite: frozen
clocks and reused ids could repeat a version there) or with the cache down, the value is
built on each call.
"""

import hashlib
import logging
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

T = TypeVar("T")


def cached(name: str, version: tuple, build: Callable[[], T]) -> T:
    """``build()``, from the cache when built for the same ``name`` and ``version`` within
    ``SPARRING_LIST_CACHE_SECONDS`` (seconds).

    Args:
        name: what the value is (a key prefix).
        version: everything the value depends on that a request may vary (the language,
            the site's address) and the data's version; any repr-able values.
        build: makes the value (picklable; None is returned and not kept); called when
            the cache has none.

    Never raises for the cache: a cache that is down is logged and ``build()`` returned.
    """
    seconds = settings.SPARRING_LIST_CACHE_SECONDS
    if not seconds:
        return build()
    key = f"{name}:" + hashlib.sha256(repr(version).encode()).hexdigest()
    try:
        value = cache.get(key)
    except Exception:
        logger.warning("%s not cached: the cache is unavailable", name, exc_info=True)
        return build()
    if value is not None:
        return value
    value = build()
    if value is None:  # nothing to keep (the builder's own answer to pass on)
        return value
    try:
        cache.set(key, value, seconds)
    except Exception:
        logger.warning("%s not cached: the cache is unavailable", name, exc_info=True)
    return value
