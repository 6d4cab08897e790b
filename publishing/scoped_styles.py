"""A plugin's stylesheet scoped to the plugin's host: what the shell loads so that one plugin's
CSS (a Tailwind reset, say) styles that plugin only (docs/shell-runtime.md, "Styles").

Every style rule's selector is rewritten, with a CSS parser (tinycss2), so that what it styles
(its subject, the last compound of the selector) is the element carrying
`data-naap-scope="<name>"` (the plugin's container, or a portal the shell tagged) or inside it:

    .btn:hover           ->  .btn:hover:where([data-naap-scope="x"], [data-naap-scope="x"] *)
    .dark .card::before  ->  .dark .card:where([…], […] *)::before
    html, :root, body    ->  html :where([data-naap-scope="x"]), …   (the host stands for them)

`:where()` adds no specificity, so the plugin's rules keep their order among themselves, and
compounds before the subject still match the real page (`.dark` on <html> keeps working).
Rules nested in a style rule (CSS nesting: `&:hover`, `& ~ *`, `> p`, `@media` inside a rule)
get the same on their subject, at every depth, so `:root { & ~ * {…} }` cannot reach the host's
siblings; the rule's declarations are kept as they are.
At-rules that hold style rules (@media, @supports, @layer, @container, @scope, @document,
@starting-style) are scoped inside; those that hold none (@keyframes, @font-face, @property,
@charset, @page, …) are kept as they are. `@import` is dropped: a relative URL could load
another plugin's global stylesheet from the CDN. So is any at-rule this module does not know,
which might hold style rules it would leave unscoped, and a rule whose selector is not one (a
stray `}` or a number in it), as a browser drops it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import tinycss2
from tinycss2 import ast

from publishing.validation.stylesheet import normalise_newlines

# The attribute the shell sets on a plugin's container and on the portals it opens.
SCOPE_ATTRIBUTE = "data-naap-scope"
# At-rules whose block holds style rules (scoped inside); every other at-rule is kept as is.
_GROUPING_AT_RULES = {
    "media",
    "supports",
    "layer",
    "container",
    "scope",
    "document",
    "starting-style",
}
# At-rules that hold no style rules: kept as they are.
_KEPT_AT_RULES = {
    "charset",
    "namespace",
    "layer",  # the statement form, `@layer a, b;`
    "keyframes",
    "font-face",
    "property",
    "counter-style",
    "font-feature-values",
    "font-palette-values",
    "page",
    "view-transition",
    "position-try",
    "color-profile",
}
# A vendor prefix (`@-webkit-keyframes`, `@-moz-document`) names the same at-rule.
_VENDOR_PREFIX = re.compile(r"^-[a-z]+-")
# Compounds standing for the document itself: the host takes their place.
_ROOT_TYPES = {"html", "body"}
_ROOT_PSEUDO_CLASSES = {"root", "host"}
# Theme classes NaaP's shell (and Tailwind's class dark mode) put on <html>: a rule on the class
# alone (`.dark { --bg: … }`) reaches the host below <html> as well as elements inside it.
_ROOT_THEME_CLASSES = {"dark", "light"}
# Pseudo-elements CSS 2 wrote with one colon, which browsers still accept so.
_LEGACY_PSEUDO_ELEMENTS = {"before", "after", "first-line", "first-letter"}
_COMBINATORS = {">", "+", "~"}
# Grouping at-rules nested deeper than this are dropped (a browser's own limit is far lower
# than Python's recursion limit, and no real stylesheet comes near).
MAX_NESTING = 32
# The scoped text grows by about 70 bytes per selector (2.5 times for Tailwind's output); a
# stylesheet of nothing but tiny selectors would grow without bound, so its UTF-8 size is capped.
MAX_SCOPED_BYTES = 4 * 1024 * 1024


class ScopeError(ValueError):
    """A stylesheet that cannot be scoped; the message says where and why."""


class ScopedTooLarge(ScopeError):
    """The scoped stylesheet would pass MAX_SCOPED_BYTES."""


@dataclass(frozen=True)
class ScopedStylesheet:
    """The scoped text and how many rules were dropped because their selector is invalid."""

    text: str
    dropped: int


def scope_stylesheet(
    text: str, *, name: str, max_bytes: int = MAX_SCOPED_BYTES
) -> ScopedStylesheet:
    """The stylesheet with every style rule scoped to the host of plugin `name`.

    Raises ScopeError for text that is not a stylesheet the shell could load (one ending
    inside a selector, a sign it was cut short), ScopedTooLarge once the scoped text passes
    max_bytes bytes (UTF-8, as it is stored).
    """
    scope = _Scope(name, max_bytes=max_bytes)
    nodes = tinycss2.parse_stylesheet(
        normalise_newlines(text.removeprefix("\ufeff")), skip_comments=False
    )
    out = scope.rules(nodes, depth=0)
    return ScopedStylesheet(text="".join(out), dropped=scope.dropped)


class _Scope:
    def __init__(self, name: str, *, max_bytes: int) -> None:
        attribute = f'[{SCOPE_ATTRIBUTE}="{name}"]'
        # Appended to a subject compound: it is the host or inside it.
        self.inside = _tokens(f":where({attribute}, {attribute} *)")
        # Put after a compound standing for the document: the host stands for it.
        self.host = _tokens(f" :where({attribute})")
        self.dropped = 0
        self.size = 0
        self.max_bytes = max_bytes

    def emit(self, out: list[str], text: str) -> None:
        self.size += _utf8_length(text)
        if self.size > self.max_bytes:
            raise self.too_large()
        out.append(text)

    def too_large(self) -> ScopedTooLarge:
        return ScopedTooLarge(
            f"scoped to the plugin, the stylesheet would pass {self.max_bytes} bytes "
            "(each selector gains the plugin's scope); use fewer selectors"
        )

    def rules(self, nodes: list, *, depth: int, nested: bool = False) -> list[str]:
        """The scoped text of a list of rules: a stylesheet's or a grouping at-rule's
        (`nested` false), or a style rule's block (`nested`: declarations and nested rules)."""
        out = []
        for node in nodes:
            if node.type == "error" and depth:
                self.dropped += 1  # junk inside a block (`@media x { .a }`): browsers skip it
                continue
            if node.type == "error":
                raise ScopeError(
                    f"line {node.source_line}, column {node.source_column}: {node.message} "
                    "(the stylesheet ends inside a selector: is it cut short?)"
                )
            if node.type == "qualified-rule":
                prelude = self.selector_list(node.prelude, nested=nested)
                if prelude is None or depth >= MAX_NESTING:
                    self.dropped += 1
                    continue
                self.emit(out, f"{prelude}{{")
                out.extend(self.block(node.content, depth=depth + 1))
                self.emit(out, "}")
            elif node.type == "at-rule" and not self.is_known(node):
                self.dropped += 1
            elif node.type == "at-rule" and self.is_grouping(node):
                if depth >= MAX_NESTING:
                    self.dropped += 1
                    continue
                if nested:  # inside a style rule, its block holds declarations too
                    inner = tinycss2.parse_blocks_contents(node.content, skip_comments=False)
                else:
                    inner = tinycss2.parse_rule_list(node.content, skip_comments=False)
                self.emit(out, f"@{node.at_keyword}{tinycss2.serialize(node.prelude)}{{")
                out.extend(self.rules(inner, depth=depth + 1, nested=nested))
                self.emit(out, "}")
            else:  # declarations, other at-rules, comments and whitespace, as they are
                self.emit(out, tinycss2.serialize([node]))
        return out

    def block(self, content: list, *, depth: int) -> list[str]:
        """A style rule's block: its declarations as they are, and the rules nested in it (CSS
        nesting) scoped as top-level ones are, so that `& ~ *` cannot reach past the host."""
        nodes = tinycss2.parse_blocks_contents(content, skip_comments=False)
        if all(node.type in ("declaration", "whitespace", "comment") for node in nodes):
            out: list[str] = []
            self.emit(out, tinycss2.serialize(content))  # declarations only: the text unchanged
            return out
        return self.rules(nodes, depth=depth, nested=True)

    @staticmethod
    def is_grouping(rule: ast.AtRule) -> bool:
        # `@layer a, b;` (no block) only orders layers: kept as it is.
        return _at_keyword(rule) in _GROUPING_AT_RULES and rule.content is not None

    @staticmethod
    def is_known(rule: ast.AtRule) -> bool:
        return _at_keyword(rule) in _GROUPING_AT_RULES | _KEPT_AT_RULES

    def selector_list(self, prelude: list, *, nested: bool = False) -> str | None:
        """The scoped selector list, or None when it is not a valid one."""
        scoped = []
        length = self.size
        for selector in _split_top_level_commas(prelude):
            text = self.selector(selector, nested=nested)
            if text is None:
                return None  # one invalid selector invalidates the whole list, as in browsers
            scoped.append(text)
            length += _utf8_length(text) + 2
            if length > self.max_bytes:
                raise self.too_large()
        return ", ".join(scoped)

    def selector(self, tokens: list, *, nested: bool = False) -> str | None:
        """One selector scoped: its subject is the host or inside it. A nested one (relative
        to its parent rule's, `& ~ *`, `> p`) gets the same on its subject, and no document
        selector stands for the host there (`& :root` matches nothing anyway)."""
        tokens = _strip(tokens)
        if not tokens or not all(_is_selector_token(token) for token in tokens):
            return None
        start = _subject_start(tokens)
        if start is None:
            return None
        subject = tokens[start:]
        cut = _pseudo_element_start(subject)
        before, pseudo = subject[:cut], subject[cut:]
        if nested:
            return tinycss2.serialize(tokens[:start] + before + self.inside + pseudo)
        if _is_root_compound(before):
            # The document (or its body) itself: the host takes its place below it.
            return tinycss2.serialize(tokens[:start] + before + self.host + pseudo)
        scoped = tinycss2.serialize(tokens[:start] + before + self.inside + pseudo)
        if start == 0 and not pseudo and _is_theme_class(before):
            return f"{scoped}, {tinycss2.serialize(before + self.host)}"
        return scoped


def _utf8_length(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def _at_keyword(rule: ast.AtRule) -> str:
    return _VENDOR_PREFIX.sub("", rule.lower_at_keyword)


def _tokens(css: str) -> list:
    return tinycss2.parse_component_value_list(css)


def _strip(tokens: list) -> list:
    tokens = [token for token in tokens if token.type != "comment"]
    while tokens and tokens[0].type == "whitespace":
        tokens = tokens[1:]
    while tokens and tokens[-1].type == "whitespace":
        tokens = tokens[:-1]
    return tokens


def _split_top_level_commas(prelude: list) -> list[list]:
    """Selectors of a list: commas inside :is(), :not() and [] are inside their block token,
    so only the list's own commas are literal tokens here."""
    selectors: list[list] = [[]]
    for token in prelude:
        if token.type == "literal" and token.value == ",":
            selectors.append([])
        else:
            selectors[-1].append(token)
    return selectors


def _is_selector_token(token) -> bool:
    if token.type in ("ident", "hash", "whitespace", "function", "[] block"):
        return True
    return token.type == "literal" and token.value in {".", ":", "*", "|", "&", *_COMBINATORS}


def _subject_start(tokens: list) -> int | None:
    """Where the last compound starts: after the last combinator (whitespace, >, +, ~)."""
    start = 0
    for index, token in enumerate(tokens):
        if token.type == "whitespace" or (token.type == "literal" and token.value in _COMBINATORS):
            start = index + 1
    # `a >` or a lone combinator: a selector cannot end in one.
    return start if start < len(tokens) else None


def _pseudo_element_start(compound: list) -> int:
    """Where the compound's pseudo-element (::before, :after, ::-webkit-scrollbar) begins, or
    its length when it has none."""
    for index, token in enumerate(compound):
        if token.type != "literal" or token.value != ":":
            continue
        following = compound[index + 1] if index + 1 < len(compound) else None
        if following is None:
            continue
        if following.type == "literal" and following.value == ":":
            return index
        if following.type == "ident" and following.lower_value in _LEGACY_PSEUDO_ELEMENTS:
            return index
    return len(compound)


def _is_theme_class(compound: list) -> bool:
    """Whether the compound is one theme class alone (`.dark`)."""
    return (
        len(compound) == 2
        and compound[0].type == "literal"
        and compound[0].value == "."
        and compound[1].type == "ident"
        and compound[1].value in _ROOT_THEME_CLASSES
    )


def _is_root_compound(compound: list) -> bool:
    """Whether the compound names the document: `html`, `body`, `:root`, `:host` (alone or
    with classes and attributes, such as `:root.dark` or `html[data-theme]`)."""
    if not compound:
        return False
    first = compound[0]
    if first.type == "ident" and first.lower_value in _ROOT_TYPES:
        return True
    for index, token in enumerate(compound[:-1]):
        if token.type == "literal" and token.value == ":":
            following = compound[index + 1]
            if following.type == "ident" and following.lower_value in _ROOT_PSEUDO_CLASSES:
                return True
            if following.type == "function" and following.lower_name in {"host", "host-context"}:
                return True
    return False
