"""The origins a manifest declares: how entries become origins, which are refused and why, and
which of them a package's grant approves (registry.origins, pure functions)."""

from __future__ import annotations

import pytest

from registry.origins import (
    MAX_DECLARED_ORIGINS,
    OriginProblem,
    approved_origins,
    declared_origins,
    new_origins,
    normalize_origin,
    origin_problems,
)


@pytest.mark.parametrize(
    ("text", "origin"),
    [
        ("https://api.example.com", "https://api.example.com"),
        ("https://API.Example.com/v1/prices?", "https://api.example.com"),
        ("https://api.example.com/v1/prices", "https://api.example.com"),
        ("https://api.example.com:443/", "https://api.example.com"),
        ("https://api.example.com:8443", "https://api.example.com:8443"),
        ("api.example.com", "https://api.example.com"),
        ("  api.example.com  ", "https://api.example.com"),
        ("wss://stream.example.com/socket", "wss://stream.example.com"),
        ("http://127.0.0.1:4010/api", "http://127.0.0.1:4010"),
        ("http://localhost:4010", "http://localhost:4010"),
        ("ws://localhost:4010", "ws://localhost:4010"),
        ("http://[::1]:4010", "http://[::1]:4010"),
        ("https://8.8.8.8", "https://8.8.8.8"),
        ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example"),
    ],
)
def test_an_entry_becomes_its_origin(text, origin):
    assert normalize_origin(text) == origin


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("https://*.example.com", "wildcard"),
        ("*", "wildcard"),
        ("https:", "not a host name"),  # read as the bare host "https"
        ("http://api.example.com", "only for localhost and 127.0.0.1: use https://"),
        ("ws://stream.example.com", "use wss://"),
        ("ftp://files.example.com", "only https:// and wss://"),
        ("javascript://x.example.com", "only https:// and wss://"),
        ("https://user:secret@api.example.com", "user name or password"),
        ("https://api.example.com/?key=1", "query or fragment"),
        ("https://api.example.com/#top", "query or fragment"),
        ("https://api.example.com 'unsafe-inline'", "separator"),
        ("https://api.example.com;script-src *", "wildcard"),
        ("https://api.example.com;", "separator"),
        ("https://api.example.com,https://b.example.com", "separator"),
        ("https://bücher.example", "xn--"),
        ("https://10.0.0.5", "private or reserved"),
        ("https://192.168.1.1:8080", "private or reserved"),
        ("https://[2001:db8::1]", "IPv6"),
        ("https://-bad-.example.com", "not a host name"),
        ("https://intranet", "not a host name"),
        ("https://api.example.com:99999", "not a URL"),
        ("", "may not be empty"),
        ("https://" + "a" * 250 + ".com", "at most 255"),
    ],
)
def test_an_entry_that_is_no_origin_the_shell_can_allow_is_refused_saying_why(text, reason):
    with pytest.raises(OriginProblem) as refused:
        normalize_origin(text)
    assert reason in str(refused.value)


def test_problems_are_named_at_their_field():
    manifest = {
        "backend": {"url": "http://backend.example.com"},
        "permissions": {"external": ["https://ok.example.com", "https://*.example.com", 42]},
    }
    problems = origin_problems(manifest)
    assert set(problems) == {"backend.url", "permissions.external[1]", "permissions.external[2]"}
    assert problems["backend.url"].startswith("backend.url uses http://")
    assert "wildcard" in problems["permissions.external[1]"]
    assert "must be a string" in problems["permissions.external[2]"]


def test_naap_service_names_declare_no_origin_and_are_no_problem():
    # NaaP's own examples write "external": ["ethereum"]: a service, not a place.
    manifest = {"permissions": {"external": ["ethereum", "metabase", "https://rpc.example.org"]}}
    assert origin_problems(manifest) == {}
    assert declared_origins(manifest) == ["https://rpc.example.org"]


def test_the_count_of_declared_origins_is_bounded():
    external = [f"https://api{index}.example.com" for index in range(MAX_DECLARED_ORIGINS)]
    assert origin_problems({"permissions": {"external": external}}) == {}
    manifest = {"permissions": {"external": external}, "backend": {"url": "https://b.example.com"}}
    problems = origin_problems(manifest)
    assert list(problems) == ["permissions.external"]
    assert f"declares {MAX_DECLARED_ORIGINS + 1} origins" in problems["permissions.external"]
    assert f"at most {MAX_DECLARED_ORIGINS}" in problems["permissions.external"]


def test_declared_origins_are_deduplicated_in_order_with_the_backend_first():
    manifest = {
        "backend": {"url": "https://backend.example.com/api/v1/wallet"},
        "permissions": {
            "external": [
                "rpc.example.org",
                "https://rpc.example.org/",
                "https://backend.example.com",
            ]
        },
    }
    assert declared_origins(manifest) == ["https://backend.example.com", "https://rpc.example.org"]


def test_new_and_approved_origins_split_the_declared_ones_by_the_grant():
    manifest = {"permissions": {"external": ["https://a.example.com", "https://b.example.com"]}}
    granted = ["https://a.example.com", "https://c.example.com"]
    assert new_origins(manifest, granted=granted) == ["https://b.example.com"]
    # A granted origin the version does not declare is not the version's to use.
    assert approved_origins(manifest, granted=granted) == ["https://a.example.com"]
    assert approved_origins("not a manifest", granted=granted) == []
