"""How big and how deep a JSON value is, measured without recursion.

Pure Python (no Django): the manifest checker that the CLI runs uses it too. Parsed JSON can be
nested almost as deep as Python's recursion limit; any recursive walk of it afterwards (a copy,
a schema check, the database driver) would then raise RecursionError, so depth is checked with
an explicit stack before anything else looks at the value.
"""

from __future__ import annotations

import json
from typing import Any


def json_size(value: Any) -> int:
    """The size in bytes of a value as compact UTF-8 JSON (how it is stored)."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def nesting_exceeds(value: Any, limit: int) -> bool:
    """Whether lists and objects inside the value nest more than `limit` levels deep
    (a scalar is 0 levels, `[]` and `{}` are 1)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, dict):
            children = current.values()
        elif isinstance(current, list):
            children = current
        else:
            continue
        if depth + 1 > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def nul_path(value: Any) -> str | None:
    """The path (`a.b[2]`) of the first string or key holding a NUL character, or None.

    PostgreSQL's text and JSON columns cannot store NUL, so a value that holds one is refused
    before it reaches the database (SQLite would keep it, and the two must agree).
    """
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, current = stack.pop()
        if isinstance(current, str):
            if "\x00" in current:
                return path or "(the value)"
        elif isinstance(current, dict):
            for key, child in current.items():
                child_path = f"{path}.{key}" if path else str(key)
                if "\x00" in key:
                    return child_path
                stack.append((child_path, child))
        elif isinstance(current, list):
            stack.extend((f"{path}[{index}]", child) for index, child in enumerate(current))
    return None
