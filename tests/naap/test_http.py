"""The client's address: one rule for Django requests and for WSGI environs, believing
X-Forwarded-For only from the proxies the operator trusts."""

import pytest
from django.test import RequestFactory

from naap.http import client_ip, client_ip_from_environ


def request(remote: str, forwarded: str | None = None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


def test_client_ip_of_a_request_is_its_remote_addr():
    assert client_ip(request("203.0.113.7")) == "203.0.113.7"


def test_without_trusted_proxies_x_forwarded_for_is_ignored(settings):
    settings.NAAP_TRUSTED_PROXIES = []
    assert client_ip(request("10.0.0.1", "198.51.100.9")) == "10.0.0.1"


def test_a_peer_that_is_not_a_trusted_proxy_cannot_name_another_client(settings):
    settings.NAAP_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request("203.0.113.7", "198.51.100.9")) == "203.0.113.7"


def test_behind_a_trusted_proxy_the_client_is_the_address_it_appended(settings):
    settings.NAAP_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request("10.1.2.3", "198.51.100.9")) == "198.51.100.9"


def test_addresses_the_client_wrote_itself_are_not_believed(settings):
    settings.NAAP_TRUSTED_PROXIES = ["10.0.0.0/8"]
    # The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the address it saw.
    assert client_ip(request("10.1.2.3", "1.2.3.4, 198.51.100.9")) == "198.51.100.9"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right(settings):
    settings.NAAP_TRUSTED_PROXIES = ["10.0.0.0/8", "192.168.0.10"]
    forwarded = "1.2.3.4, 198.51.100.9, 192.168.0.10"
    assert client_ip(request("10.1.2.3", forwarded)) == "198.51.100.9"


def test_a_garbled_hop_is_the_client_not_a_way_past_the_proxies(settings):
    settings.NAAP_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request("10.1.2.3", "198.51.100.9, not-an-address")) == "not-an-address"


def test_ipv6_proxies_and_clients(settings):
    settings.NAAP_TRUSTED_PROXIES = ["fd00::/8"]
    assert client_ip(request("fd00::1", "2001:db8::7")) == "2001:db8::7"


def test_client_ip_of_a_wsgi_environ_is_its_remote_addr():
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "REMOTE_ADDR": "192.0.2.44"}
    assert client_ip_from_environ(environ) == "192.0.2.44"


@pytest.mark.parametrize("trusted", [[], ["10.0.0.0/8"]])
def test_client_ip_is_none_when_the_server_gave_no_address(settings, trusted):
    settings.NAAP_TRUSTED_PROXIES = trusted
    assert client_ip_from_environ({"REQUEST_METHOD": "GET"}) is None
