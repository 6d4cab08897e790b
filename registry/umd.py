"""Which of the shell's globals a plugin bundle reads, found by parsing its JavaScript.

A UMD bundle is one call: a small wrapper function, called with the global object and the
plugin's factory, hands the factory what it needs. Vite (NaaP's own `@naap/plugin-build`)
writes, minified:

    (function (C, x) { typeof exports == "object" ... ? x(exports, require("react")) : ...
      : (C = typeof globalThis < "u" ? globalThis : C || self,
         x(C.NaapPluginX = {}, C.React, C.ReactDOM, C.React)) })(this, function (C, e, q, t) { … })

The factory's arguments in the branch that reads the global object (`C.React`, webpack's
`root["React"]`) are the globals the bundle needs; the assignment among them is where the
plugin's exports go, not something it reads. Bundles built by `naap-plugin build` are IIFEs
whose React shims read `window.React` / `window.ReactDOM` (publishing/cli/esbuild.py); those
member reads count too, wherever they are. Strings and comments never do: the source is
parsed (tree-sitter's JavaScript grammar), not searched for bytes.

Pure Python with no Django: the CLI (publishing/cli) uses it as the registry does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tree_sitter

# What the shell provides, in the order it loads them: react-dom's UMD build reads
# window.React, so React always comes first.
SHELL_GLOBALS = ("React", "ReactDOM")
# Names under which a script reaches the global object without a wrapper.
GLOBAL_OBJECTS = frozenset({"window", "globalThis", "self"})

_FUNCTIONS = frozenset({"function_expression", "function", "arrow_function"})
# Where a shell global's name occurs; the parse tree then says whether it is a read.
_SHELL_GLOBAL_NAME = re.compile(
    rb"(?<![\w$])(?:" + b"|".join(n.encode() for n in SHELL_GLOBALS) + rb")(?![\w$])"
)


@dataclass(frozen=True)
class BundleGlobals:
    """The page globals a bundle reads: through its UMD wrapper, and directly."""

    # The factory's global arguments, in order, once each (empty without a UMD wrapper).
    factory: tuple[str, ...] = ()
    # Shell globals the code reads as window.X, globalThis.X or self.X (the CLI's shims).
    direct: tuple[str, ...] = ()
    has_wrapper: bool = False

    @property
    def shell_globals(self) -> list[str]:
        """What the shell must load before the bundle runs, in load order: React and
        ReactDOM as the bundle reads them (ReactDOM needs React, so React comes with it)."""
        read = set(self.factory) | set(self.direct)
        if "ReactDOM" in read:
            read.add("React")
        return [name for name in SHELL_GLOBALS if name in read]

    @property
    def unprovided(self) -> tuple[str, ...]:
        """Globals the wrapper hands the factory that the shell does not provide."""
        return tuple(name for name in self.factory if name not in SHELL_GLOBALS)


@cache
def _language() -> tree_sitter.Language:
    # Imported at first use: the CLI's commands that never read a bundle start sooner.
    import tree_sitter
    import tree_sitter_javascript

    return tree_sitter.Language(tree_sitter_javascript.language())


def _parse(source: bytes) -> tree_sitter.Tree:
    import tree_sitter

    return tree_sitter.Parser(_language()).parse(source)


def _unwrap(node: tree_sitter.Node | None) -> tree_sitter.Node | None:
    """The expression inside parentheses and a leading `!` or `void` (`!function(){}()`)."""
    while node is not None:
        if node.type == "parenthesized_expression":
            node = node.named_children[0] if node.named_children else None
        elif node.type == "unary_expression" and node.child_by_field_name("operator").type in {
            "!",
            "void",
        }:
            node = node.child_by_field_name("argument")
        else:
            return node
    return None


def _text(node: tree_sitter.Node) -> str:
    return node.text.decode("utf-8", errors="replace")


def _first_statement(root: tree_sitter.Node) -> tree_sitter.Node | None:
    """The program's first statement that is not a comment or a directive ("use strict")."""
    for child in root.named_children:
        if child.type in {"comment", "hash_bang_line"}:
            continue
        if child.type == "expression_statement" and child.named_children[0].type == "string":
            continue
        return child
    return None


def _parameter_names(function: tree_sitter.Node) -> list[str | None]:
    parameters = function.child_by_field_name("parameters")
    if parameters is None:  # an arrow function with one bare parameter
        single = function.child_by_field_name("parameter")
        return [_text(single)] if single is not None else []
    return [
        _text(parameter) if parameter.type == "identifier" else None
        for parameter in parameters.named_children
        if parameter.type != "comment"
    ]


@dataclass(frozen=True)
class _Wrapper:
    body: tree_sitter.Node
    factory: str
    roots: frozenset[str]


def _umd_wrapper(root: tree_sitter.Node) -> _Wrapper | None:
    """The wrapper of a UMD bundle: a function called at the top level with a function among
    its arguments (the factory) and the global object or `this` among the others."""
    statement = _first_statement(root)
    if statement is None or statement.type != "expression_statement":
        return None
    call = _unwrap(statement.named_children[0])
    if call is None or call.type != "call_expression":
        return None
    wrapper = _unwrap(call.child_by_field_name("function"))
    arguments = call.child_by_field_name("arguments")
    if wrapper is None or wrapper.type not in _FUNCTIONS or arguments is None:
        return None
    values = [_unwrap(node) for node in arguments.named_children if node.type != "comment"]
    names = _parameter_names(wrapper)
    factory = None
    roots = set(GLOBAL_OBJECTS)
    for name, value in zip(names, values, strict=False):
        if name is None or value is None:
            continue
        if value.type in _FUNCTIONS:
            factory = name
        else:
            roots.add(name)  # `this`, `self`, `typeof self !== "undefined" ? self : this`, …
    body = wrapper.child_by_field_name("body")
    if factory is None or body is None:
        return None
    return _Wrapper(body=body, factory=factory, roots=frozenset(roots))


def _descendants(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.named_children))


def _global_read(node: tree_sitter.Node, roots: frozenset[str]) -> str | None:
    """X when the node reads `root.X` or `root["X"]` for one of the global object's names."""
    node = _unwrap(node)
    if node is None:
        return None
    if node.type == "member_expression":
        target = node.child_by_field_name("object")
        name = node.child_by_field_name("property")
        if target.type == "identifier" and _text(target) in roots:
            return _text(name)
    elif node.type == "subscript_expression":
        target = node.child_by_field_name("object")
        index = node.child_by_field_name("index")
        if (
            target.type == "identifier"
            and _text(target) in roots
            and index.type == "string"
            and len(index.named_children) == 1
            and index.named_children[0].type == "string_fragment"
        ):
            return _text(index.named_children[0])
    return None


def _factory_globals(wrapper: _Wrapper) -> tuple[str, ...]:
    """The globals the wrapper passes to the factory, in order, once each."""
    found: list[str] = []
    for node in _descendants(wrapper.body):
        if node.type != "call_expression":
            continue
        callee = _unwrap(node.child_by_field_name("function"))
        if callee is None or callee.type != "identifier" or _text(callee) != wrapper.factory:
            continue
        arguments = node.child_by_field_name("arguments")
        for argument in arguments.named_children if arguments is not None else []:
            # `C.NaapPluginX = {}` is where the exports go, not a global the bundle reads.
            name = _global_read(argument, wrapper.roots)
            if name is not None and name not in found:
                found.append(name)
    return tuple(found)


def _is_assigned(node: tree_sitter.Node) -> bool:
    parent = node.parent
    return (
        parent is not None
        and parent.type in {"assignment_expression", "augmented_assignment_expression"}
        and parent.child_by_field_name("left") == node
    )


def _direct_shell_reads(root: tree_sitter.Node, data: bytes) -> tuple[str, ...]:
    """Shell globals read as window.X / globalThis.X / self.X (or ["X"]) anywhere.

    Only the places where such a name occurs are looked at: walking every node of a
    megabyte-sized bundle from Python would take seconds.
    """
    found = set()
    for match in _SHELL_GLOBAL_NAME.finditer(data):
        node = root.named_descendant_for_byte_range(match.start(), match.end())
        if node is None or node.start_byte != match.start() or node.end_byte != match.end():
            continue
        if node.type == "string_fragment" and node.parent is not None:
            read = node.parent.parent  # string_fragment → string → subscript_expression
        elif node.type == "property_identifier":
            read = node.parent
        else:
            continue
        if read is None or read.type not in {"member_expression", "subscript_expression"}:
            continue
        # window.React = … provides React; it does not need it.
        if _global_read(read, GLOBAL_OBJECTS) is not None and not _is_assigned(read):
            found.add(match.group().decode())
    return tuple(name for name in SHELL_GLOBALS if name in found)


def read_bundle_globals(source: bytes | str) -> BundleGlobals:
    """Parse a bundle and say which page globals it reads (see the module's docstring)."""
    data = source.encode("utf-8") if isinstance(source, str) else source
    data = data.removeprefix(b"\xef\xbb\xbf")
    root = _parse(data).root_node
    wrapper = _umd_wrapper(root)
    return BundleGlobals(
        factory=_factory_globals(wrapper) if wrapper is not None else (),
        direct=_direct_shell_reads(root, data),
        has_wrapper=wrapper is not None,
    )


def shell_globals_of_bundle(source: bytes | str) -> list[str]:
    """The shell globals (React, ReactDOM) the shell must load before this bundle runs."""
    return read_bundle_globals(source).shell_globals
