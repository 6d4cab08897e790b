"""The automated review findings stored on a version and shown to publishers and staff."""

from __future__ import annotations

from publishing.validation import scan_bundle
from tests.publishing.validation.samples import GATEWAY_MANAGER, MINIMAL, PLAIN_WINDOW


def findings_by_check(findings: list[dict]) -> dict[str, dict]:
    return {finding["check"]: finding for finding in findings}


def test_scan_counts_eval_and_hosts_only_as_whole_words_and_schemes() -> None:
    bundle = PLAIN_WINDOW.decode() + (
        " $eval(a); x.evaluate(b); o.eval(c); renew Function(d); new  Function (e);"
        ' fetch("git+https://npm.example.com/x"); u = "xhttps://fake.example.com";'
        ' w = "HTTPS://Upper.Example.com/a"; s = "ws://socket.example.com";'
    )

    by_check = findings_by_check(scan_bundle(bundle, package_name="my-wallet", manifest=MINIMAL))

    assert by_check["eval"]["detail"] == {"count": 1}
    assert by_check["new-function"]["detail"] == {"count": 1}
    assert by_check["external-url"]["detail"]["hosts"] == [
        "socket.example.com",
        "upper.example.com",
    ]


def test_scan_of_a_clean_bundle_reports_size_permissions_globals_and_mount() -> None:
    findings = scan_bundle(PLAIN_WINDOW.decode(), package_name="my-wallet", manifest=MINIMAL)

    by_check = findings_by_check(findings)
    assert set(by_check) == {"size", "permission", "shell-globals", "global", "mount"}
    assert by_check["shell-globals"] == {
        "check": "shell-globals",
        "severity": "info",
        "message": "The bundle reads none of the shell's globals.",
        "detail": {"shellGlobals": [], "unprovided": []},
    }
    assert by_check["size"]["severity"] == "info"
    assert by_check["size"]["detail"] == {"bytes": len(PLAIN_WINDOW)}
    assert by_check["global"]["severity"] == "info"
    assert by_check["mount"]["severity"] == "info"
    assert by_check["permission"]["message"] == "The manifest asks for no permissions."
    for finding in findings:
        assert set(finding) == {"check", "severity", "message", "detail"}
        assert finding["message"][0].isupper() and finding["message"].endswith(".")


def test_scan_warns_about_eval_and_new_function() -> None:
    bundle = PLAIN_WINDOW.decode() + " eval(code); eval (x); var f = new Function('a', 'b');"

    by_check = findings_by_check(scan_bundle(bundle, package_name="my-wallet", manifest=MINIMAL))

    assert by_check["eval"]["severity"] == "warning"
    assert by_check["eval"]["detail"] == {"count": 2}
    assert by_check["new-function"]["severity"] == "warning"
    assert by_check["new-function"]["detail"] == {"count": 1}


def test_scan_ignores_eval_inside_comments_and_longer_names() -> None:
    bundle = PLAIN_WINDOW.decode() + " // eval(x)\n/* new Function() */ safeEval(y);"

    by_check = findings_by_check(scan_bundle(bundle, package_name="my-wallet", manifest=MINIMAL))

    assert "eval" not in by_check
    assert "new-function" not in by_check


def test_scan_lists_external_hosts_once_and_names_undeclared_ones() -> None:
    bundle = PLAIN_WINDOW.decode() + (
        ' fetch("https://api.example.com/v1/gateways");'
        ' fetch("https://api.example.com/v1/other");'
        " new WebSocket('wss://stream.tracker.io:8443/live');"
        ' const ns = "http://www.w3.org/2000/svg";'
        " /*! see https://license.example.org */"
        " // https://in-a-comment.example.net\n"
        " var u = `https://${host}/x`;"
    )

    by_check = findings_by_check(
        scan_bundle(bundle, package_name="my-wallet", manifest=GATEWAY_MANAGER)
    )

    finding = by_check["external-url"]
    assert finding["severity"] == "warning"
    assert finding["detail"] == {
        "hosts": ["api.example.com", "stream.tracker.io"],
        "undeclared": ["stream.tracker.io"],
    }
    assert "stream.tracker.io" in finding["message"]


def test_scan_lists_the_permissions_the_manifest_asks_for() -> None:
    findings = scan_bundle(
        PLAIN_WINDOW.decode(), package_name="my-wallet", manifest=GATEWAY_MANAGER
    )

    finding = findings_by_check(findings)["permission"]
    assert finding["severity"] == "info"
    assert finding["detail"] == GATEWAY_MANAGER["permissions"]
    assert "browser: clipboard" in finding["message"]


def test_scan_reports_missing_global_and_mount_as_errors() -> None:
    findings = scan_bundle("console.log(1)", package_name="my-wallet", manifest=MINIMAL)

    by_check = findings_by_check(findings)
    assert by_check["global"]["severity"] == "error"
    assert "NaapPluginMyWallet" in by_check["global"]["message"]
    assert by_check["mount"]["severity"] == "error"


def test_scan_warns_when_the_bundle_is_large() -> None:
    bundle = PLAIN_WINDOW.decode() + " " * (1024 * 1024)

    finding = findings_by_check(scan_bundle(bundle, package_name="my-wallet", manifest=MINIMAL))[
        "size"
    ]

    assert finding["severity"] == "warning"


def test_scan_tolerates_a_manifest_with_odd_permissions() -> None:
    findings = scan_bundle(
        PLAIN_WINDOW.decode(), package_name="my-wallet", manifest={"permissions": ["x"]}
    )

    assert findings_by_check(findings)["permission"]["detail"] == {}


UMD_READING = (
    "(function(g,f){{f(g.NaapPluginMyWallet={{}},{globals})}})(this,function(e){{"
    "e.mount=function(){{}}}});"
)


def test_scan_says_which_shell_globals_the_umd_wrapper_reads() -> None:
    bundle = UMD_READING.format(globals="g.React,g.ReactDOM")

    by_check = findings_by_check(scan_bundle(bundle, package_name="my-wallet", manifest=MINIMAL))

    assert by_check["shell-globals"]["severity"] == "info"
    assert by_check["shell-globals"]["message"] == (
        "The bundle uses the shell's React and ReactDOM, loaded before it runs."
    )
    assert by_check["shell-globals"]["detail"]["shellGlobals"] == ["React", "ReactDOM"]


def test_scan_warns_about_globals_the_shell_does_not_provide() -> None:
    bundle = UMD_READING.format(globals="g.React,g.ethers,g['d3']")

    by_check = findings_by_check(scan_bundle(bundle, package_name="my-wallet", manifest=MINIMAL))

    finding = by_check["shell-globals"]
    assert finding["severity"] == "warning"
    assert (
        "reads the page globals ethers, d3, which the shell does not provide"
        in (finding["message"])
    )
    assert finding["detail"] == {"shellGlobals": ["React"], "unprovided": ["ethers", "d3"]}
