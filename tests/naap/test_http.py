"""The client's address: one rule for Django requests and for WSGI environs."""

from django.test import RequestFactory

from naap.http import client_ip, client_ip_from_environ


def test_client_ip_of_a_request_is_its_remote_addr():
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.7")
    assert client_ip(request) == "203.0.113.7"


def test_client_ip_ignores_x_forwarded_for():
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert client_ip(request) == "10.0.0.1"


def test_client_ip_of_a_wsgi_environ_is_its_remote_addr():
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "REMOTE_ADDR": "192.0.2.44"}
    assert client_ip_from_environ(environ) == "192.0.2.44"


def test_client_ip_is_none_when_the_server_gave_no_address():
    assert client_ip_from_environ({"REQUEST_METHOD": "GET"}) is None
