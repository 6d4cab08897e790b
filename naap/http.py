"""The client's address, one rule for Django requests and for the WSGI hot paths."""

from __future__ import annotations

from django.http import HttpRequest


def client_ip_from_environ(environ: dict) -> str | None:
    """The client's address in a WSGI environ (or request.META): the peer's REMOTE_ADDR.

    Behind a proxy this is the proxy's address. X-Forwarded-For is not read here: which
    proxies to trust, and how many, is a decision still to make in one place, this one.
    """
    return environ.get("REMOTE_ADDR")


def client_ip(request: HttpRequest) -> str | None:
    """The client's address of a Django or DRF request (see client_ip_from_environ)."""
    return client_ip_from_environ(request.META)
