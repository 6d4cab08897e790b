"""Reading a stylesheet's @import rules with tinycss2: what is remote, and removing it."""

from __future__ import annotations

import pytest

from publishing.validation.stylesheet import (
    RemoteImport,
    find_remote_imports,
    is_remote_url,
    remove_remote_imports,
)

GOOGLE_FONTS = "https://fonts.googleapis.com/css2?family=Outfit:wght@300;400&display=swap"


@pytest.mark.parametrize(
    ("url", "remote"),
    [
        ("https://fonts.googleapis.com/css", True),
        ("http://example.com/a.css", True),
        ("//cdn.example.com/a.css", True),
        ("HTTPS://EXAMPLE.COM/A.CSS", True),
        ("ftp://example.com/a.css", True),
        ("local.css", False),
        ("./theme/base.css", False),
        ("../x.css", False),
        ("/static/x.css", False),
        ("data:text/css,a{}", False),
    ],
)
def test_which_import_urls_are_remote(url, remote):
    assert is_remote_url(url) is remote


def test_every_form_of_a_remote_import_is_found_with_its_position():
    css = (
        "/* fonts */\n"
        f"@import url('{GOOGLE_FONTS}');\n"
        '@import "https://a.example/x.css" screen;\n'
        "  @import url(//b.example/y.css);@import 'local.css';\n"
    )
    assert find_remote_imports(css) == [
        RemoteImport(url=GOOGLE_FONTS, line=2, column=1),
        RemoteImport(url="https://a.example/x.css", line=3, column=1),
        RemoteImport(url="//b.example/y.css", line=4, column=3),
    ]


def test_removing_remote_imports_keeps_everything_else_character_for_character():
    rest = (
        "@import 'local.css';\n"
        "@tailwind base;\n"
        ":root { --bg-primary: #ffffff; }\n"
        ".a::before { content: '@import url(https://x.example/y)'; }\n"
        "/* @import url(https://in-a-comment.example/z); */\n"
    )
    css = f"@import url('{GOOGLE_FONTS}');\n" + rest
    kept, removed = remove_remote_imports(css)
    assert kept == rest
    assert removed == [RemoteImport(url=GOOGLE_FONTS, line=1, column=1)]


def test_removing_from_minified_css_cuts_only_the_rule():
    css = '@import"https://a.example/x.css";@import url(//b.example/y.css);*,:before{--tw-x:0}'
    kept, removed = remove_remote_imports(css)
    assert kept == "*,:before{--tw-x:0}"
    assert [item.url for item in removed] == ["https://a.example/x.css", "//b.example/y.css"]


def test_a_stylesheet_without_remote_imports_is_returned_as_it_was():
    css = "@import 'local.css';\n.a { color: red }\n"
    assert remove_remote_imports(css) == (css, [])


def test_windows_line_breaks_give_the_same_lines():
    css = f"/* a */\r\n.a{{}}\r\n@import url({GOOGLE_FONTS});\r\n.b{{}}"
    kept, removed = remove_remote_imports(css)
    assert kept == "/* a */\n.a{}\n.b{}"
    assert removed[0].line == 3
