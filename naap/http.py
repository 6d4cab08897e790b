"""The client's address, one rule for Django requests, the DRF throttles and the WSGI hot paths.

The peer (REMOTE_ADDR) is the client unless it is one of the proxies the operator trusts
(`NAAP_TRUSTED_PROXIES`, addresses or networks). Then X-Forwarded-For is read from the right,
the way each trusted proxy appended to it: the first address that is not a trusted proxy is
the client. Anything further left was written by the client itself and is never believed, so a
forged header neither changes who a client is nor buys it another rate-limit allowance.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

from naap.errors import BadRequest, LengthRequired, PayloadTooLarge

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=4)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def trusted_proxy_networks() -> tuple[Network, ...]:
    """The configured trusted proxies as networks (settings.NAAP_TRUSTED_PROXIES)."""
    return _networks(tuple(settings.NAAP_TRUSTED_PROXIES))


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)


def client_ip_from_environ(environ: dict) -> str | None:
    """The client's address in a WSGI environ (or request.META); see the module docstring."""
    peer = environ.get("REMOTE_ADDR")
    forwarded = environ.get("HTTP_X_FORWARDED_FOR")
    if not peer or not forwarded:
        return peer
    networks = trusted_proxy_networks()
    if not networks or not _is_trusted(peer, networks):
        return peer
    client = peer
    for hop in reversed([part.strip() for part in forwarded.split(",")]):
        if not hop:
            break
        client = hop
        if not _is_trusted(hop, networks):
            break
    return client


def client_ip(request: HttpRequest) -> str | None:
    """The client's address of a Django or DRF request (see client_ip_from_environ)."""
    return client_ip_from_environ(request.META)


def refuse_large_body(request: HttpRequest, *, limit: int) -> None:
    """Refuse a request body before anything reads it: larger than `limit` by its declared
    Content-Length (PayloadTooLarge), a Content-Length that is not a number (BadRequest), or a
    body of unknown length (LengthRequired).

    Django reads at most Content-Length bytes of a body and nothing of a body without one, so
    the declared length bounds what any later read can take.
    """
    declared = request.META.get("CONTENT_LENGTH") or ""
    if not declared:
        if request.META.get("HTTP_TRANSFER_ENCODING"):
            raise LengthRequired(
                "Send the request body with a Content-Length; bodies of unknown length "
                "(Transfer-Encoding: chunked) are not accepted."
            )
        return
    if not declared.isdigit() or len(declared) > 20:
        raise BadRequest("The Content-Length header is not a number of bytes.")
    size = int(declared)
    if size > limit:
        raise PayloadTooLarge(
            f"The request body is {size} bytes; this address accepts at most {limit}.",
            details={"limit": limit, "size": size},
        )
