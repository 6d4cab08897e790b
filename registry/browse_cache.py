"""Cached listings: the browse page's listing, its category facets and API search results.

What is cached here is what everyone sees (the listed packages, registry.selectors
.listed_packages): never a person's name, installs or anything only some people may see. A
listing that would show a person more than everyone sees (an unlisted package they test) must
be built for them and not come from here.

Entries are stamped with the catalog generation (registry.cache.CATALOG_GENERATION_KEY), which
every invalidate_package bumps, so a publish, deprecation, yank, listing change or review
retires every cached listing at once; the generation is read before the database, as for
manifests, so an entry built from rows a concurrent write has replaced lands under a retired
key. Download counts change without a bump (flush_download_stats), so entries also expire
after LISTING_TIMEOUT seconds. While the cache does not answer, nothing is read or kept.

The browse page's listing is kept as rendered HTML with one slot per card for the signed-in
person's install badge (SLOT): the page around it (header, badges) is rendered per request.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache

from registry.cache import PackageGeneration, catalog_generation

LISTING_TIMEOUT = 60
# Entries are pickled: change LISTING_ENTRY_FORMAT with Listing's fields or the templates.
LISTING_ENTRY_FORMAT = 1
# A card's install-badge slot in a rendered listing. Only a template writes "<": package
# texts are escaped, so no description can forge a slot.
SLOT = re.compile(r"<!--naap-installed:(\d+)-->")
INSTALLED_BADGE = '<span class="badge installed">Installed</span>'


@dataclass(frozen=True)
class Listing:
    """A rendered listing: the HTML around its cards' badge slots, the packages of the slots,
    and the number of packages the listing counted (for the page's title)."""

    parts: tuple[str, ...]
    package_ids: tuple[int, ...]
    total: int

    @classmethod
    def from_html(cls, html: str, *, total: int) -> Listing:
        pieces = SLOT.split(html)
        return cls(tuple(pieces[0::2]), tuple(int(pk) for pk in pieces[1::2]), total)

    def html(self, installed: Iterable[int] = ()) -> str:
        """The listing with a badge on each card of an `installed` package."""
        installed = set(installed)
        if not installed:
            return "".join(self.parts)
        out = [self.parts[0]]
        for pk, part in zip(self.package_ids, self.parts[1:], strict=True):
            if pk in installed:
                out.append(INSTALLED_BADGE)
            out.append(part)
        return "".join(out)


def query_key(params: Any, known: Iterable[str]) -> str | None:
    """A stable key for a query whose parameters are all `known` and single: None for any
    other (it is answered uncached, so made-up parameters cannot fill the cache)."""
    known = set(known)
    items = []
    for name, values in params.lists():
        if name not in known or len(values) != 1:
            return None
        items.append((name, values[0]))
    return hashlib.sha256(urlencode(sorted(items)).encode()).hexdigest()[:32]


def entry_key(kind: str, generation: PackageGeneration, query: str) -> str:
    stamp = f"{generation.epoch}.{generation.number}"
    return f"listing:{LISTING_ENTRY_FORMAT}:{kind}:{stamp}:{query}"


def cached(kind: str, query: str | None, build: Callable[[], Any]) -> Any:
    """The entry of `kind` for `query` under the current catalog generation, else built now
    (and kept, when the query has a key and the cache answers)."""
    if query is None:
        return build()
    generation = catalog_generation()
    if not generation.known:
        return build()
    key = entry_key(kind, generation, query)
    found = cache.get(key)
    if found is not None:
        return found
    value = build()
    cache.set(key, value, LISTING_TIMEOUT)
    return value


def search_results_cached() -> bool:
    """Whether API search and list answers are cached (NAAP_SEARCH_RESULT_CACHE)."""
    return settings.SEARCH_RESULT_CACHE


# Which of some packages a signed-in person has installed (personally or through a team):
# the installs app registers it (installs/apps.py), as the registry may not import it.
_installed_lookup: Callable[[Any, list[int]], set[int]] | None = None


def register_installed_lookup(lookup: Callable[[Any, list[int]], set[int]]) -> None:
    global _installed_lookup
    _installed_lookup = lookup


def installed_among(user, package_ids: Iterable[int]) -> set[int]:
    """The ids among `package_ids` that `user` has installed; none for anonymous people."""
    ids = list(package_ids)
    if not ids or _installed_lookup is None or not user.is_authenticated:
        return set()
    return _installed_lookup(user, ids)
