"""The statements of a listing's page, compiled once per shape: the one that ranks it (ids and
total) and the one that reads the page's rows.

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
    template = None
    if filterset.tier_settled():
        if key not in _templates and len(_templates) < MAX_TEMPLATES:
            sql, params = _compiled(filterset.ranked_queryset())
            made = _template(filterset, values)
            _templates[key] = made if _filled(made, values) == (sql, params) else None
        template = _templates.get(key)
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


# (vendor, fields, number of ids) -> (SQL, where each id goes, the parameters, the query, its
# columns, their names), or None for a shape the ORM compiles each time.
_row_templates: dict[tuple, tuple | None] = {}


def page_rows(queryset: QuerySet, ids: list[int], values: tuple[str, ...]) -> list[dict]:
    """The rows of `queryset.filter(pk__in=ids).order_by().values(*values)`, as the ORM reads
    them, from a statement compiled once per number of ids. `queryset` must be the same
    listing every time (the caller's promise: PackageFilterSet.of_listing)."""
    key = (connection.vendor, values, len(ids))
    if key not in _row_templates:
        rows = list(_rows_queryset(queryset, ids, values))
        if len(_row_templates) < MAX_TEMPLATES:
            # Kept only if it reads these very rows as the ORM just did.
            template = _row_template(queryset, ids, values)
            if template is not None and _by_id(_read(template, ids)) != _by_id(rows):
                template = None
            _row_templates[key] = template
        return rows
    template = _row_templates[key]
    if template is None:
        return list(_rows_queryset(queryset, ids, values))
    return _read(template, ids)


def _read(template: tuple, ids: list[int]) -> list[dict]:
    sql, positions, params, query, columns, names = template
    with connection.cursor() as cursor:
        cursor.execute(sql, _with_ids(params, positions, ids))
        rows = cursor.fetchall()
    # The fields' own conversions from what the database returns (JSON text, dates…), as
    # the ORM applies them, with this thread's connection.
    compiler = query.get_compiler(connection=connection)
    if converters := compiler.get_converters(columns):
        rows = compiler.apply_converters(rows, converters)
    return [dict(zip(names, row, strict=True)) for row in rows]


def _rows_queryset(queryset: QuerySet, ids: list[int], values: tuple[str, ...]) -> QuerySet:
    return queryset.filter(pk__in=ids).order_by().values(*values)


def _row_template(queryset: QuerySet, ids: list[int], values: tuple[str, ...]) -> tuple | None:
    """The template of the rows statement, if it gives the ORM's statement for these ids."""
    markers = [-(index + 1) for index in range(len(ids))]  # no package has a negative id
    marked = _rows_queryset(queryset, markers, values)
    compiler = marked.query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    params = list(params)
    positions = [params.index(marker) for marker in markers if marker in params]
    if len(positions) != len(markers):
        return None
    if (sql, _with_ids(params, positions, ids)) != _compiled(_rows_queryset(queryset, ids, values)):
        return None
    query = marked.query
    # The columns' names as QuerySet.values() gives them (its ValuesIterable).
    if query.selected:
        names = list(query.selected)
    else:
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
    columns = [column[0] for column in compiler.select[: compiler.col_count]]
    return sql, positions, params, query, columns, names


def _with_ids(params: list, positions: list[int], ids: list[int]) -> list:
    """The rows statement's parameters with the page's ids where its markers stood."""
    filled = list(params)
    for index, position in enumerate(positions):
        filled[position] = ids[index]
    return filled


def _by_id(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda row: row["id"])  # the statement has no ORDER BY
