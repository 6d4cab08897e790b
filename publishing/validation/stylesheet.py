"""Reading a stylesheet's `@import` rules with a CSS parser (tinycss2), for the registry's
check and for the build that removes the ones the shell would refuse.

A remote `@import` (Google Fonts, a CDN) loads a stylesheet from another origin, which the
shell's Content-Security-Policy (`style-src` self and the registry's CDN) refuses: the browser
blocks it and the plugin's styles, or its mount, fail. Only top-level `@import` rules load
anything (the CSS grammar allows them nowhere else), so only those are read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import tinycss2
from tinycss2 import ast

# A URL with a scheme (https:, http:, ftp:) or a protocol-relative one (//host/path).
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass(frozen=True)
class RemoteImport:
    """One `@import` of another origin's stylesheet, where it starts in the text."""

    url: str
    line: int
    column: int

    def describe(self) -> str:
        return f"@import of {self.url} (line {self.line})"


def normalise_newlines(text: str) -> str:
    """CSS's own preprocessing of line breaks (CR LF, CR, FF -> LF), so positions agree."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")


def _import_url(rule: ast.AtRule) -> str | None:
    """The URL an `@import` rule names: `"x"`, `url(x)` or `url("x")`."""
    for token in rule.prelude:
        if token.type in ("whitespace", "comment"):
            continue
        if token.type in ("string", "url"):
            return token.value
        if token.type == "function" and token.lower_name == "url":
            for argument in token.arguments:
                if argument.type == "string":
                    return argument.value
        return None
    return None


def is_remote_url(url: str) -> bool:
    """Whether an `@import` URL leaves the stylesheet's own origin (data: URLs stay)."""
    url = url.strip()
    if url.startswith("//"):
        return True
    return bool(_SCHEME.match(url)) and not url.lower().startswith("data:")


def _top_level_nodes(text: str) -> list:
    return tinycss2.parse_stylesheet(text, skip_comments=False, skip_whitespace=False)


def _remote_import_url(node) -> str | None:
    if node.type != "at-rule" or node.lower_at_keyword != "import":
        return None
    url = _import_url(node)
    return url if url is not None and is_remote_url(url) else None


def find_remote_imports(text: str) -> list[RemoteImport]:
    """Every top-level `@import` of a remote stylesheet, in the order they appear."""
    found = []
    for node in _top_level_nodes(normalise_newlines(text)):
        url = _remote_import_url(node)
        if url is not None:
            found.append(RemoteImport(url=url, line=node.source_line, column=node.source_column))
    return found


def remove_remote_imports(text: str) -> tuple[str, list[RemoteImport]]:
    """The stylesheet without its remote `@import` rules, and the rules removed.

    Everything else is kept character for character (newlines normalised): each top-level
    node is cut out of the original text from where it starts to where the next one starts,
    so no rule is re-serialised.
    """
    text = normalise_newlines(text)
    nodes = _top_level_nodes(text)
    removed = [
        (index, RemoteImport(url=url, line=node.source_line, column=node.source_column))
        for index, node in enumerate(nodes)
        if (url := _remote_import_url(node)) is not None
    ]
    if not removed:
        return text, []
    line_starts = [0]
    for position, character in enumerate(text):
        if character == "\n":
            line_starts.append(position + 1)

    def offset(node) -> int:
        return line_starts[node.source_line - 1] + node.source_column - 1

    pieces = []
    kept_from = 0
    for index, _ in removed:
        start = offset(nodes[index])
        end = offset(nodes[index + 1]) if index + 1 < len(nodes) else len(text)
        following = nodes[index + 1] if index + 1 < len(nodes) else None
        if following is not None and following.type == "whitespace":
            # The line break after the rule goes with it.
            end = offset(nodes[index + 2]) if index + 2 < len(nodes) else len(text)
        pieces.append(text[kept_from:start])
        kept_from = end
    pieces.append(text[kept_from:])
    return "".join(pieces), [remote for _, remote in removed]
