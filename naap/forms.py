"""What the server-rendered pages share about forms."""

from __future__ import annotations

from collections.abc import Callable

from django import forms

from naap.errors import NaapError


def attach_errors(
    form: forms.Form, error: NaapError, *, field_for: Callable[[str], str] = str
) -> None:
    """Show a service's refusal on the form: each problem next to the field it names
    (`field_for` turns the API's field path into the form's field name), and the whole
    message on top when any problem names no field of the form."""
    problems = error.details.get("fields") or {}
    placed = 0
    for path, message in problems.items():
        name = field_for(path)
        if name in form.fields:
            form.add_error(name, message)
            placed += 1
    if placed < len(problems) or not problems:
        form.add_error(None, error.message)
