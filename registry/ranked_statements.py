"""The statement that ranks a listing's page (ids and total), compiled once per shape.

Building the FilterSet's queryset and compiling it took ~1.5 ms of a ~9 ms uncached search
(docs/PERFORMANCE.md), more than some of its SQL. The statement's text depends only on the
listing's shape (which filters are set, the sort, the search's tier); the values a person
typed are parameters. So the ORM compiles each shape once, with markers in place of the
values, and later requests of that shape run the kept text with their own values.

Every template is checked against the ORM when it is made: the request that makes it is
also compiled the ordinary way, and the template, filled with that request's values, must
give the same text and parameters. A shape that does not (a filter whose text depends on its
value, a parameter derived from a value in a way the markers cannot follow) is never
templated: its requests are compiled by the ORM, as before.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.db.models import Count, QuerySet, Window

# Markers of the values a person sets, as parameters of a compiled template (no request
# carries a NUL: naap.middleware.RefuseNulMiddleware). Mixed case, so that a lowercased or
# uppercased value is told from the value itself; free of LIKE's special characters.
SEARCH = "\x00NaaP-Search\x00"
CATEGORY = "\x00NaaP-Category\x00"
SHELL_KEY = "\x00NaaP-Shell-Key\x00"

# shape -> (SQL, parameters with markers), or None for a shape the ORM compiles each time.
# The shapes are few (each sort, with or without deprecated packages, which values are set,
# the tier); a filter with free values added later without a marker would make one per value,
# so past MAX_TEMPLATES new shapes are compiled each time instead of kept.
_templates: dict[tuple, tuple[str, list] | None] = {}
MAX_TEMPLATES = 1000


def ranked_ids(filterset, offset: int, limit: int) -> list[tuple[int, int]]:
    """(id, total) of the filterset's page, in its order: `filterset.ranked_queryset()`'s
    rows `offset` to `offset + limit`. A search's tier must be settled first (the template's
    FilterSet must not ask the tier question with a marker): else the ORM compiles it."""
    values = _values(filterset)
    key = _shape(filterset, values)
    if not filterset.tier_settled() or (key not in _templates and len(_templates) >= MAX_TEMPLATES):
        return list(filterset.ranked_queryset()[offset : offset + limit])
    if key not in _templates:
        sql, params = _compiled(filterset.ranked_queryset())
        template = _template(filterset, values)
        _templates[key] = template if _filled(template, values) == (sql, params) else None
    template = _templates[key]
    if template is None:
        return list(filterset.ranked_queryset()[offset : offset + limit])
    sql, params = _filled(template, values)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} LIMIT %s OFFSET %s", [*params, limit, offset])
        return [tuple(row) for row in cursor.fetchall()]


def ranked(queryset: QuerySet) -> QuerySet:
    """The (id, total) rows of an ordered listing: the total of every match on each row."""
    return queryset.annotate(total=Window(Count("pk"))).values_list("pk", "total")


def _values(filterset) -> dict[str, str]:
    data = filterset.form.cleaned_data
    values = {}
    if search := (data.get("search") or "").strip():
        values[SEARCH] = search
    if category := data.get("category"):
        values[CATEGORY] = category
    if shell := data.get("shellVersion"):
        values[SHELL_KEY] = filterset.shell_key(shell)
    return values


def _shape(filterset, values: dict[str, str]) -> tuple:
    """What the statement's text depends on: every other form value verbatim (the sort, the
    deprecated switch, a field added later), which markers stand in, and the search's tier."""
    data = filterset.form.cleaned_data
    named = {"search", "category", "shellVersion"}
    others = tuple(sorted((name, repr(data[name])) for name in data if name not in named))
    return (
        type(filterset),
        connection.vendor,
        settings.SEARCH_CONFIG,
        others,
        tuple(sorted(values)),
        filterset.tier_for_template(),
    )


def _template(filterset, values: dict[str, str]) -> tuple[str, list]:
    marked = type(filterset)(filterset.data, queryset=filterset.queryset)
    if not marked.is_valid():  # as `filterset` is valid, never; no template then
        return "", []
    cleaned = marked.form.cleaned_data
    for name, marker in (("search", SEARCH), ("category", CATEGORY), ("shellVersion", SHELL_KEY)):
        if marker in values:
            cleaned[name] = marker
    marked.use_markers(filterset)
    return _compiled(marked.ranked_queryset())


def _compiled(queryset: QuerySet) -> tuple[str, list]:
    sql, params = queryset.query.get_compiler(connection=connection).as_sql()
    return sql, list(params)


def _filled(template: tuple[str, list], values: dict[str, str]) -> tuple[str, list]:
    sql, params = template
    return sql, [_fill(param, values) for param in params]


def _fill(param, values: dict[str, str]):
    """The parameter with the request's value for a marker, in the forms the search makes of
    its value: itself, and as a LIKE substring pattern of itself or of its lowercase."""
    if not isinstance(param, str) or "\x00" not in param:
        return param
    if param in values:
        return values[param]
    if SEARCH in values:
        search = values[SEARCH]
        for marker, value in [(SEARCH, search), (SEARCH.lower(), search.lower())]:
            if param == f"%{marker}%":
                return f"%{connection.ops.prep_for_like_query(value)}%"
    return param  # a form the markers cannot follow: the check against the ORM fails
