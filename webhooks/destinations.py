"""Where deliveries may go. In production (WEBHOOK_ALLOW_PRIVATE_URLS off): https only, and
never to a private, loopback, link-local or otherwise non-public address, checked when an
endpoint is registered and again, on the resolved addresses, before every attempt (a name
may resolve elsewhere later)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from naap.errors import ValidationFailed


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, resolve: bool) -> None:
    """Refuse a destination publishers may not use (ValidationFailed on `url`)."""
    if len(url) > settings.WEBHOOK_MAX_URL_LENGTH:
        raise ValidationFailed(
            f"The URL is longer than {settings.WEBHOOK_MAX_URL_LENGTH} characters.", field="url"
        )
    parts = urlsplit(url)
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE_URLS
    schemes = {"https", "http"} if allow_private else {"https"}
    if parts.scheme not in schemes or not parts.hostname:
        raise ValidationFailed("The URL must be an https:// address.", field="url")
    if parts.username or parts.password:
        raise ValidationFailed("The URL may not carry a user name or password.", field="url")
    if allow_private:
        return
    host = parts.hostname.rstrip(".")
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
            raise ValidationFailed("The URL must name a public host.", field="url") from None
        if not resolve:
            return
        try:
            infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            raise ValidationFailed(f"The host {host} does not resolve.", field="url") from None
        addresses = [info[4][0] for info in infos]
    if not all(_is_public(address) for address in addresses):
        raise ValidationFailed("The URL must name a public address.", field="url")
