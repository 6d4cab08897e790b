"""Scoping a plugin's stylesheet to its host with tinycss2: every selector's subject inside
[data-naap-scope="<name>"], the document's own selectors standing for the host, at-rules that
hold no style rules untouched."""

from __future__ import annotations

import pytest
import tinycss2

from publishing.scoped_styles import (
    MAX_NESTING,
    ScopedTooLarge,
    ScopeError,
    scope_stylesheet,
)
from tests.upstream import upstream_path

IN = ':where([data-naap-scope="demo"], [data-naap-scope="demo"] *)'
HOST = ' :where([data-naap-scope="demo"])'


def scoped(css: str) -> str:
    return scope_stylesheet(css, name="demo").text


def selectors_of(css: str) -> list[str]:
    """Each selector of each style rule, at any depth of grouping at-rules."""
    found = []

    def grouping(rule) -> bool:
        return rule.lower_at_keyword in {"media", "supports", "layer", "container"}

    def walk(nodes):
        for node in nodes:
            if node.type == "qualified-rule":
                selector = []
                for token in [*node.prelude, tinycss2.ast.LiteralToken(0, 0, ",")]:
                    if token.type == "literal" and token.value == ",":
                        found.append(tinycss2.serialize(selector).strip())
                        selector = []
                    else:
                        selector.append(token)
            elif node.type == "at-rule" and node.content is not None and grouping(node):
                walk(tinycss2.parse_rule_list(node.content))

    walk(tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True))
    return found


def test_a_class_selector_gets_the_scope_on_its_subject_with_no_added_specificity():
    assert scoped(".card{color:red}") == f".card{IN}{{color:red}}"


def test_the_documents_own_selectors_stand_for_the_host():
    assert scoped("html{line-height:1.5}") == f"html{HOST}{{line-height:1.5}}"
    assert scoped("body{margin:0}") == f"body{HOST}{{margin:0}}"
    assert scoped(":root{--bg:#fff}") == f":root{HOST}{{--bg:#fff}}"
    assert scoped("html,:host{tab-size:4}") == f"html{HOST}, :host{HOST}{{tab-size:4}}"
    # A theme class on <html> keeps its meaning: the host is below the document it names.
    assert scoped(":root.dark{--bg:#000}") == f":root.dark{HOST}{{--bg:#000}}"
    assert scoped("html body{margin:0}") == f"html body{HOST}{{margin:0}}"
    assert scoped("HTML[data-theme=dark]{x:y}") == f"HTML[data-theme=dark]{HOST}{{x:y}}"


def test_ancestors_before_the_subject_still_match_the_page():
    # Tailwind's class-based dark mode: `.dark` on <html>, the element inside the plugin.
    assert scoped(".dark .dark\\:bg-gray-800{x:y}") == f".dark .dark\\:bg-gray-800{IN}{{x:y}}"
    assert scoped("ul > li + li ~ li{x:y}") == f"ul > li + li ~ li{IN}{{x:y}}"
    assert scoped("html .x{x:y}") == f"html .x{IN}{{x:y}}"


def test_the_universal_selector_and_pseudo_elements_stay_inside_the_host():
    out = scoped("*,:before,::after,::backdrop{box-sizing:border-box}")
    assert out == (f"*{IN}, {IN}:before, {IN}::after, {IN}::backdrop{{box-sizing:border-box}}")
    # The scope goes before the pseudo-element, pseudo-classes after one stay where they are.
    assert scoped(".x::-webkit-scrollbar-thumb:hover{a:b}") == (
        f".x{IN}::-webkit-scrollbar-thumb:hover{{a:b}}"
    )
    assert scoped("p:first-line{a:b}") == f"p{IN}:first-line{{a:b}}"
    assert scoped("input::placeholder{a:b}") == f"input{IN}::placeholder{{a:b}}"


def test_selector_lists_split_only_on_their_own_commas():
    out = scoped(":is(.a, .b) > p:not(.c, .d), [data-x='1,2'] {a:b}")
    assert out == f':is(.a, .b) > p:not(.c, .d){IN}, [data-x="1,2"]{IN}{{a:b}}'
    assert scoped(":where(html, body) .x{a:b}") == f":where(html, body) .x{IN}{{a:b}}"


def test_escapes_in_class_names_survive():
    css = ".hover\\:bg-blue-500:hover{a:b}.w-1\\/2{c:d}.\\31 0{e:f}.space-y-0\\.5{g:h}"
    out = scoped(css)
    assert ".hover\\:bg-blue-500:hover" + IN in out
    assert ".w-1\\/2" + IN in out
    assert ".\\31 0" + IN in out
    assert ".space-y-0\\.5" + IN in out
    # Parsed again, the class names are the same idents.
    before = tinycss2.parse_component_value_list(css)
    after = tinycss2.parse_component_value_list(out)
    idents = {token.value for token in before if token.type == "ident"}
    assert idents <= {token.value for token in after if token.type == "ident"}


def test_grouping_at_rules_are_scoped_inside_and_the_others_are_kept_as_they_are():
    css = (
        "@keyframes spin{from{transform:rotate(0)}to{transform:rotate(360deg)}}"
        '@font-face{font-family:X;src:url(x.woff2)}@property --p{syntax:"<length>";inherits:false}'
        "@media (min-width:640px){.sm\\:flex{display:flex}@supports (display:grid){html{a:b}}}"
        "@layer base, components;@layer base{h1{font-size:inherit}}"
        "@container card (min-width:20rem){.t{a:b}}"
    )
    out = scoped(css)
    assert out.startswith(
        "@keyframes spin{from{transform:rotate(0)}to{transform:rotate(360deg)}}"
        '@font-face{font-family:X;src:url(x.woff2)}@property --p{syntax:"<length>";inherits:false}'
    )
    assert f"@media (min-width:640px){{.sm\\:flex{IN}{{display:flex}}" in out
    assert f"@supports (display:grid){{html{HOST}{{a:b}}}}" in out
    assert "@layer base, components;" in out
    assert f"@layer base{{h1{IN}{{font-size:inherit}}}}" in out
    assert f"@container card (min-width:20rem){{.t{IN}{{a:b}}}}" in out


def test_comments_and_charset_are_kept_and_declarations_are_untouched():
    css = '@charset "utf-8";/*! tailwindcss | MIT */.a/* x */{content:"a, b { }";--v: ;}'
    out = scoped(css)
    assert out.startswith('@charset "utf-8";/*! tailwindcss | MIT */')
    assert f'.a{IN}{{content:"a, b {{ }}";--v: ;}}' in out


def test_tailwinds_preflight_from_a_real_naap_plugin_is_scoped_everywhere():
    css = upstream_path("prebuilt/my-dashboard/my-dashboard-frontend.css").read_text()
    result = scope_stylesheet(css, name="demo")
    assert result.dropped == 0
    before, after = selectors_of(css), selectors_of(result.text)
    # `.dark` alone gets a second selector, for the host below a dark <html>.
    assert len(after) == len(before) + before.count(".dark") > 100
    assert f".dark{HOST}" in after
    for selector in after:
        assert IN in selector or HOST in selector, selector
    # The preflight's reset of html and body lands on the host.
    assert any(item.startswith("html" + HOST) for item in after)
    assert f"body{HOST}" in after
    # Keyframes kept as they were.
    assert result.text.count("@keyframes") == css.count("@keyframes")


def test_a_rule_whose_selector_is_invalid_is_dropped_as_a_browser_drops_it():
    result = scope_stylesheet(".ok{a:b} 12px{c:d} .a}.b{e:f} a >{g:h} .also-ok{i:j}", name="demo")
    assert result.dropped == 3
    assert selectors_of(result.text) == [f".ok{IN}", f".also-ok{IN}"]


def test_nesting_beyond_the_limit_is_dropped():
    deep = "@media all{" * (MAX_NESTING + 2) + ".x{a:b}" + "}" * (MAX_NESTING + 2)
    result = scope_stylesheet(deep, name="demo")
    assert ".x" not in result.text
    assert result.dropped == 1


def test_a_stylesheet_cut_short_inside_a_selector_is_refused_saying_where():
    with pytest.raises(ScopeError, match=r"line 2, column 2: .*cut short"):
        scope_stylesheet(".a{b:c}\n.d", name="demo")


def test_the_scoped_text_is_capped():
    with pytest.raises(ScopedTooLarge, match="would pass 1000 bytes"):
        scope_stylesheet("a," * 200 + "b{}", name="demo", max_bytes=1000)
    with pytest.raises(ScopedTooLarge):
        scope_stylesheet("a{}" * 200, name="demo", max_bytes=1000)


def test_the_cap_counts_utf8_bytes_as_the_file_is_stored():
    css = ".a{content:'" + "é" * 100 + "'}"
    text = scoped(css)
    assert len(text) < len(text.encode()) == len(text) + 100
    assert scope_stylesheet(css, name="demo", max_bytes=len(text.encode())).text == text
    with pytest.raises(ScopedTooLarge, match="bytes"):
        scope_stylesheet(css, name="demo", max_bytes=len(text) + 50)


def test_a_byte_order_mark_and_crlf_line_ends_are_read_as_css_reads_them():
    assert scoped("\ufeff.a{b:c}\r\n") == f".a{IN}{{b:c}}\n"


def test_imports_and_unknown_at_rules_are_dropped_and_vendor_prefixed_ones_known():
    css = (
        '@import "../../other-plugin/1.0.0/styles.0123abcd.css";'
        "@-webkit-keyframes pulse{50%{opacity:.5}}"
        "@-moz-document url-prefix(){.a{b:c}}"
        "@scope (.card){h1{a:b}}"
        "@future-rule{.a{b:c}}"
        "@page{margin:1cm}"
    )
    result = scope_stylesheet(css, name="demo")

    assert result.dropped == 2
    assert "@import" not in result.text
    assert "@future-rule" not in result.text
    assert "@-webkit-keyframes pulse{50%{opacity:.5}}" in result.text
    assert f"@-moz-document url-prefix(){{.a{IN}{{b:c}}}}" in result.text
    assert f"@scope (.card){{h1{IN}{{a:b}}}}" in result.text
    assert "@page{margin:1cm}" in result.text


def test_junk_inside_a_grouping_rule_is_dropped_not_refused():
    result = scope_stylesheet("@media print{.a{b:c} .junk}.d{e:f}", name="demo")
    assert result.dropped == 1
    assert result.text == f"@media print{{.a{IN}{{b:c}} }}.d{IN}{{e:f}}"


def test_a_theme_class_alone_also_reaches_the_host_below_the_root_that_carries_it():
    # NaaP's my-dashboard: `:root{--bg:…}` and `.dark{--bg:…}`, with `.dark` on <html>.
    assert scoped(".dark{--bg:#000}") == f".dark{IN}, .dark{HOST}{{--bg:#000}}"
    # Anything more than the class alone is scoped as any selector.
    assert scoped(".dark .card{a:b}") == f".dark .card{IN}{{a:b}}"
    assert scoped(".dark.card{a:b}") == f".dark.card{IN}{{a:b}}"
    assert scoped(".darker{a:b}") == f".darker{IN}{{a:b}}"


def test_a_nested_rule_cannot_reach_the_hosts_siblings():
    # `& ~ *` under `:root` would hide every sibling of the host if its block were copied.
    out = scoped(":root { & ~ * { display:none } }")
    assert out == f":root{HOST}{{ & ~ *{IN}{{ display:none }} }}"
    # Relative nested selectors and `&` anywhere: the subject carries the scope.
    assert scoped(".a{ > p{x:y} + .b{x:y} .c &{x:y} }") == (
        f".a{IN}{{ > p{IN}{{x:y}} + .b{IN}{{x:y}} .c &{IN}{{x:y}} }}"
    )
    # No document selector stands for the host inside a rule: its subject is scoped as any.
    assert scoped("html{ & + body{x:y} }") == f"html{HOST}{{ & + body{IN}{{x:y}} }}"


def test_rules_nested_at_any_depth_and_in_nested_at_rules_are_scoped():
    css = ":root{@media (min-width:1px){ color:red; & ~ *{a:b} @supports (x:y){ .d ~ &{e:f} } }}"
    assert scoped(css) == (
        f":root{HOST}{{@media (min-width:1px){{ color:red; & ~ *{IN}{{a:b}} "
        f"@supports (x:y){{ .d ~ &{IN}{{e:f}} }} }}}}"
    )
    assert scoped(".a{ .b{ .c{ &::before{x:y} } } }") == (
        f".a{IN}{{ .b{IN}{{ .c{IN}{{ &{IN}::before{{x:y}} }} }} }}"
    )


def test_nested_at_rules_are_kept_or_dropped_as_at_the_top():
    result = scope_stylesheet(
        '.a{ color:red; @import "x.css"; @future{ & ~ *{a:b} } @layer x; .b }', name="demo"
    )
    assert result.dropped == 3  # the import, the unknown at-rule, the junk
    assert result.text == f".a{IN}{{ color:red;   @layer x; }}"


def test_a_rule_with_declarations_only_is_copied_as_it_was():
    assert scoped(".a{ color : red !important ; --x:{a:b} }") == (
        f".a{IN}{{ color : red !important ; --x:{{a:b}} }}"
    )


def test_tailwind_4_nested_variants_keep_working_inside_the_plugin():
    # Tailwind 4 writes its variants as nested rules and at-rules.
    css = (
        ".hover\\:bg-blue-500{&:hover{@media (hover:hover){background-color:var(--b)}}}"
        ".md\\:flex{@media (width>=48rem){display:flex}}"
        ".peer-checked\\:block{&:is(:where(.peer):checked ~ *){display:block}}"
        ".space-y-2{:where(&>:not(:last-child)){margin-block-end:.5rem}}"
    )
    assert scoped(css) == (
        f".hover\\:bg-blue-500{IN}{{&:hover{IN}{{@media (hover:hover){{"
        "background-color:var(--b);}}}"
        f".md\\:flex{IN}{{@media (width>=48rem){{display:flex;}}}}"
        f".peer-checked\\:block{IN}{{&:is(:where(.peer):checked ~ *){IN}{{display:block}}}}"
        f".space-y-2{IN}{{:where(&>:not(:last-child)){IN}{{margin-block-end:.5rem}}}}"
    )


def test_nested_style_rules_beyond_the_limit_are_dropped():
    deep = ".x{" * (MAX_NESTING + 2) + "a:b" + "}" * (MAX_NESTING + 2)
    result = scope_stylesheet(deep, name="demo")
    assert result.dropped == 1
    assert result.text.count(".x") == MAX_NESTING
