"""Conditional GETs: when an If-None-Match header matches a response's ETag."""

from __future__ import annotations

from django.utils.http import parse_etags


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names this ETag (or is *): every conditional GET of
    the project (manifests, the bootstrap, /cdn/ files) answers 304 by this rule."""
    if not if_none_match:
        return False
    # If-None-Match uses the weak comparison (RFC 9110 §13.1.2): a W/ prefix is ignored.
    candidates = [tag.removeprefix("W/") for tag in parse_etags(if_none_match)]
    return "*" in candidates or etag in candidates
