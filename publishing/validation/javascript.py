"""What a bundle's JavaScript says: its code without comments, its plugin global, its mount."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Strings are matched so that "//" inside them is not mistaken for a comment; every
# alternative may end at the end of its line or text, so the scan is linear even on
# malformed input. Regular-expression literals are not understood, which only ever makes
# the scan see a little more or a little less text than a real parser would.
_JS_STRING = (
    r"\"[^\"\\\n]*(?:\\.[^\"\\\n]*)*(?:\"|$)"
    r"|'[^'\\\n]*(?:\\.[^'\\\n]*)*(?:'|$)"
    r"|`[^`\\]*(?:\\[\s\S][^`\\]*)*(?:`|\Z)"
)
# One match per comment: the code before it (strings whole; a quote that opens no string is
# one character of code), then the comment, or the end of the text after the last one. The
# engine walks over the code itself, so Python runs once per comment, not once per string;
# the code part stops only where a comment starts, so it never needs to backtrack.
_CODE_THEN_COMMENT = re.compile(
    r"((?:[^\"'`/]+|" + _JS_STRING + r"|[\"'`]|/(?![/*]))*+)(//[^\n]*|/\*[\s\S]*?(?:\*/|\Z)|\Z)",
    re.MULTILINE,
)

# Patterns scanned over whole bundles start with their literal word and check what precedes
# it with a look-behind that repeats the word: the regex engine then jumps between
# occurrences of the word instead of trying the look-behind at every character.
_MOUNT_DEFINITION = re.compile(
    r"mount(?:"
    r"(?<![\w$]mount)\s*(?:\(|:|=(?![=>]))"  # mount(...){, mount: fn, exports.mount = fn
    r"|(?<=[\"'`]mount)[\"'`]"  # "mount" as a key or export name
    r"|(?P<shorthand>\s*[,}])"  # { mount, unmount } shorthand, if { or , comes before it
    r")"
)
_ANY_PLUGIN_GLOBAL = re.compile(r"NaapPlugin(?<![\w$]NaapPlugin)[A-Za-z0-9_$]*")
_LEXICAL_PREFIX = re.compile(r"(?<![\w$])(?:const|let)\s+$")


def without_comments(code: str) -> str:
    """The JavaScript source with comments blanked out and strings kept."""
    return _CODE_THEN_COMMENT.sub(lambda match: match[1] + " " if match[2] else match[1], code)


@dataclass
class GlobalSearch:
    """Whether a bundle assigns its plugin global, and what it does instead when it does not."""

    found: bool
    # Declared with const/let only: a script-level binding that never becomes window[name].
    lexical_only: bool = False
    other_globals: tuple[str, ...] = ()


def find_global(code: str, global_name: str) -> GlobalSearch:
    """Look for an assignment of window[global_name] in the forms bundlers emit."""
    name = re.escape(global_name)
    end = r"(?![\w$])"
    direct_patterns = (
        rf"\.\s*{name}{end}\s*=(?![=>])",  # window.X =, globalThis.X =, root.X = (UMD)
        rf"\[\s*([\"'`]){name}\1\s*\]\s*=(?![=>])",  # root["X"] = (webpack UMD)
        rf"var(?<![\w$.]var)\s+{name}{end}",  # var X = (() => {...})() (esbuild IIFE)
        rf"defineProperty\s*\(\s*[\w$.]+\s*,\s*([\"'`]){name}\1",
    )
    if any(re.search(pattern, code) for pattern in direct_patterns):
        return GlobalSearch(found=True)
    lexical = False
    for match in re.finditer(rf"{name}(?<![\w$.]{name})\s*=(?![=>])", code):
        # A bare top-level `X = ...` creates the global; `const X = ...` does not.
        if _LEXICAL_PREFIX.search(code, max(0, match.start() - 16), match.start()):
            lexical = True
            continue
        return GlobalSearch(found=True)
    others = sorted({m.group() for m in _ANY_PLUGIN_GLOBAL.finditer(code)} - {global_name})
    return GlobalSearch(found=False, lexical_only=lexical, other_globals=tuple(others[:5]))


def has_mount(code: str) -> bool:
    """Whether the code defines a mount function in one of the forms bundlers emit."""
    for match in _MOUNT_DEFINITION.finditer(code):
        if match["shorthand"] is None:
            return True
        before = match.start() - 1
        while before >= 0 and code[before].isspace():
            before -= 1
        if before >= 0 and code[before] in "{,":
            return True
    return False


# A classic script never has top-level import/export statements; an ES module does. Searched
# in "\n" + text, so that each line start is a newline the regex engine can jump to (a pattern
# that starts with ^ is tried at every character).
_ES_MODULE_STATEMENT = re.compile(
    # "import x", "import {", "import *", 'import "m"' and "export x", "export {", "export *";
    # not "import(" (a dynamic import runs in classic scripts) nor "exports." (CommonJS, UMD).
    r"\n[ \t]*(?:import(?:\s+[\w$*{\"']|\s*[{*\"'])|export(?:\s+[\w$*{]|\s*[{*]))"
)


def has_module_statement(code: str) -> bool:
    """Whether the code has a line starting with an import or export statement: an ES
    module, which the shell cannot load as a classic script."""
    return _ES_MODULE_STATEMENT.search("\n" + code) is not None
