"""Filtering and ordering of the catalog: one FilterSet for the API and the browse page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

import django_filters
from django import forms
from django.conf import settings
from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    TrigramWordSimilarity,
)
from django.db import connection, transaction
from django.db.models import F, FloatField, Q, QuerySet, Value
from django.db.models.functions import Greatest

from registry import ranked_statements, selectors, semver
from registry.models import PluginPackage

SORT_CHOICES = [
    ("relevance", "Relevance"),
    ("downloads", "Most downloaded"),
    ("newest", "Newest"),
    ("name", "Name"),
    ("rating", "Top rated"),
]
MAX_SEARCH_LENGTH = 100
# What the search's tier question leaves out (PackageFilterSet._without_category).
EVERY_CATEGORY = ("category", "search")
# Word similarity from which a name counts as a typo of the query ("walet" ~ "my-wallet").
# PostgreSQL's `%>` reads it from `pg_trgm.word_similarity_threshold` (search_settings).
TRIGRAM_THRESHOLD = 0.4


@contextmanager
def search_settings() -> Iterator[None]:
    """A transaction in which a catalog search finds its matches through the indexes.

    `%>` takes its threshold from a setting, not from the query. And the planner prices
    word_similarity and the full-text match as cheap as `=`: it would rather run them on every
    package, in a sequential scan or along an index that gives the sort order, than read the
    matches from the GIN indexes. So sequential and plain index scans are off: the packages
    are then read only through bitmap index scans (the page's rows, read by id afterwards,
    are not searched). The flags add a cost, they never make a query fail.

    The settings are made with `set_config(..., true)`: they end with this transaction, or the
    request's under ATOMIC_REQUESTS, and never reach another request on the same connection
    (CONN_MAX_AGE, or a pooler in transaction mode).
    """
    if connection.vendor != "postgresql":
        yield
        return
    # Inside a caller's transaction the settings would outlive the search: put them back.
    outer = connection.in_atomic_block
    with transaction.atomic(savepoint=False):  # inside another block, its transaction will do
        with connection.cursor() as cursor:
            cursor.execute(
                # missing_ok: pg_trgm's setting exists once the module is loaded in a session.
                "SELECT current_setting('pg_trgm.word_similarity_threshold', true),"
                " current_setting('enable_seqscan'), current_setting('enable_indexscan'),"
                " set_config('pg_trgm.word_similarity_threshold', %s, true),"
                " set_config('enable_seqscan', 'off', true),"
                " set_config('enable_indexscan', 'off', true)",
                [str(TRIGRAM_THRESHOLD)],
            )
            previous = cursor.fetchone()[:3]
        try:
            yield
        finally:
            if outer:
                with connection.cursor() as cursor:
                    cursor.execute(  # pg_trgm's default threshold is 0.6
                        "SELECT set_config('pg_trgm.word_similarity_threshold',"
                        " coalesce(%s, '0.6'), true),"
                        " set_config('enable_seqscan', %s, true),"
                        " set_config('enable_indexscan', %s, true)",
                        list(previous),
                    )


def text_query(value: str) -> SearchQuery:
    """The full-text query of a search: its words as typed and as English stems."""
    return SearchQuery(value, config="simple", search_type="websearch") | SearchQuery(
        value, config=settings.SEARCH_CONFIG, search_type="websearch"
    )


class PackageFilterForm(forms.Form):
    def clean_shellVersion(self) -> str:
        value = (self.cleaned_data.get("shellVersion") or "").strip()
        if value and not semver.is_valid(value):
            raise forms.ValidationError(f"'{value}' is not a Semantic Version such as 1.2.0.")
        return value


class PackageFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", max_length=MAX_SEARCH_LENGTH)
    category = django_filters.CharFilter(field_name="category")
    shellVersion = django_filters.CharFilter(method="filter_shell_version")
    sort = django_filters.ChoiceFilter(choices=SORT_CHOICES, method="order_by", empty_label=None)
    includeDeprecated = django_filters.BooleanFilter(method="keep_deprecated")

    def keep_deprecated(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        return queryset  # deprecated packages are dropped in `qs` unless this is true

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # the search is applied in `qs`, after every other filter has run

    def _searched(self, queryset: QuerySet, value: str) -> QuerySet:
        """The listing's packages matching `value`, with their relevance.

        On PostgreSQL, in two tiers (docs/decisions.md, "Search"): the packages whose words
        match (the full-text vector, one GIN index), ranked by text rank; and only when no
        listed package's words match (in any category), the forgiving tier: names and
        display names a typo away (trigram word similarity) or containing the query, ranked
        by that similarity.
        Ranking every one of a common word's matches by similarity as well cost ~20 ms on
        the bench catalog (a quarter of 10,000 packages say "gateway"); the exact tier reads
        one index and scores each match with the text rank alone.
        """
        if connection.vendor != "postgresql":
            return queryset.filter(
                Q(name__icontains=value)
                | Q(display_name__icontains=value)
                | Q(description__icontains=value)
                | Q(keywords__icontains=value)
            ).annotate(relevance=Value(0.0, output_field=FloatField()))
        query = text_query(value)
        if self._exact_tier is None:
            self._exact_tier = self._words_match_anywhere(query)
        if self._exact_tier:
            return queryset.filter(search_vector=query).annotate(
                relevance=SearchRank(F("search_vector"), query)
            )
        # Each branch is served by a trigram GIN index, so the OR is a BitmapOr of index
        # scans and the similarity is computed only for the rows found: `%>` (word similarity
        # from the threshold) and LIKE (names are lowercase: LIKE on the lowercased query is
        # ILIKE).
        matches = (
            Q(name__trigram_word_similar=value)
            | Q(display_name__trigram_word_similar=value)
            | Q(name__contains=value.lower())
        )
        return queryset.filter(matches).annotate(
            relevance=Greatest(
                TrigramWordSimilarity(value, "name"),
                TrigramWordSimilarity(value, "display_name"),
            )
        )

    def filter_shell_version(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not value:
            return queryset
        key = self.shell_key(value)
        return queryset.filter(Q(shell_min_key="") | Q(shell_min_key__lte=key)).filter(
            Q(shell_max_key="") | Q(shell_max_key__gte=key)
        )

    def order_by(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # ordering is applied in `qs`, after every filter has run

    @property
    def qs(self) -> QuerySet:
        queryset = super().qs
        data = self.form.cleaned_data if self.form.is_valid() else {}
        if not data.get("includeDeprecated"):
            queryset = queryset.filter(deprecated=False)
        if search := (data.get("search") or "").strip():
            queryset = self._searched(queryset, search)
        orderings = {
            "relevance": ["-relevance", "-downloads", "name"],
            "downloads": ["-downloads", "name"],
            "newest": ["-latest_published_at", "name"],
            "name": ["name"],
            # Unrated packages last; ties by how many rated, then by name.
            "rating": [F("rating_average").desc(nulls_last=True), "-rating_count", "name"],
        }
        return queryset.order_by(*orderings[self._sort])

    def get_form_class(self) -> type[forms.Form]:
        """The form of the declared filters, built once per class: its fields depend on the
        declarations only, and building them (labels and all) cost ~0.2 ms a request."""
        form_class = type(self).__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            type(self)._form_class = form_class
        return form_class

    @property
    def _sort(self) -> str:
        data = self.form.cleaned_data if self.form.is_valid() else {}
        sort = data.get("sort") or ("relevance" if data.get("search") else "downloads")
        return "downloads" if sort == "relevance" and not data.get("search") else sort

    def page(self, *, offset: int, limit: int) -> list[PluginPackage]:
        """`limit` packages from `offset` in the FilterSet's order.

        The page's ids are found first, in a narrow query, and only then are their rows read
        with their publisher, deployment and versions: joined before the ORDER BY, the wide
        rows (manifests included) of every listed package went through the sort (`sort=newest`
        page 3 spent ~420 ms in SQL at 10,000 packages).
        """
        with self._search_settings():
            ids = list(self.qs.values_list("pk", flat=True)[offset : offset + limit])
        return self._packages_in_order(ids)

    def page_and_total(
        self, *, offset: int, limit: int, values: tuple[str, ...] = ()
    ) -> tuple[list, int]:
        """`limit` packages from `offset` in the FilterSet's order, and how many match in all.

        The page's ids and the total come from one query (a window over the one scan that
        orders the matches: a search must rank every match anyway, and most sorts read every
        listed package), and only the page's rows are then joined to their publisher,
        deployment and versions. With `values` (field names, "id" among them) the rows are
        dicts of those fields instead of packages: no model instances.
        """
        with self._search_settings():
            found = self._ranked_page(offset, limit)
            if not found:  # no row carries the window: nothing matched, or the page is too far
                return [], self.qs.count() if offset else 0
        return self._packages_in_order([pk for pk, _ in found], values), found[0][1]

    def _ranked_page(self, offset: int, limit: int) -> list[tuple[int, int]]:
        """(id, total) of the page's packages, in order.

        A search whose tier is not known yet is first answered in the word tier, without
        asking whether the words match anywhere: a match on the page is the answer. Only an
        empty page asks: none on the first page of every category means no listed package
        has the words (the forgiving tier answers); otherwise the tier question decides.
        """
        guessing = (
            self._exact_tier is None and self._searching and connection.vendor == "postgresql"
        )
        if guessing:
            self._exact_tier = True
        found = self._ranked_ids(offset, limit)
        if guessing and not found:
            if offset or self.form.cleaned_data.get("category"):
                search = self.form.cleaned_data["search"].strip()
                self._exact_tier = self._words_match_anywhere(text_query(search))
            else:
                self._exact_tier = False
            if not self._exact_tier:
                found = self._ranked_ids(offset, limit)
        return found

    def _ranked_ids(self, offset: int, limit: int) -> list[tuple[int, int]]:
        if self._of_listing:  # the statement's text compiled once per shape
            return ranked_statements.ranked_ids(self, offset, limit)
        return list(self.ranked_queryset()[offset : offset + limit])

    @classmethod
    def of_listing(cls, data) -> PackageFilterSet:
        """The FilterSet over the listed packages (selectors.listed_packages), whose ranked
        page runs a statement compiled once per shape (registry.ranked_statements)."""
        filterset = cls(data, queryset=selectors.listed_packages())
        filterset._of_listing = True
        return filterset

    def ranked_queryset(self) -> QuerySet:
        """(id, total) rows in the FilterSet's order."""
        return ranked_statements.ranked(self.qs)

    def shell_key(self, version: str) -> str:
        """The sort key of a shell version (a template's marker as it is)."""
        return version if self._marked else semver.parse(version).sort_key()

    def use_markers(self, original: PackageFilterSet) -> None:
        """Make this FilterSet a template of `original`'s statement: its form's values are
        markers (registry.ranked_statements), its search tier is `original`'s."""
        self._marked = True
        self._exact_tier = original._exact_tier

    def tier_for_template(self) -> bool | None:
        return self._exact_tier if self._searching else None

    def tier_settled(self) -> bool:
        """Whether `qs` would answer without asking the tier question."""
        searching = self._searching and connection.vendor == "postgresql"
        return not searching or self._exact_tier is not None

    def category_facets(self) -> list[tuple[str, int]]:
        """(category, count) pairs of the filtered catalog, largest first."""
        with self._search_settings():
            return selectors.category_facets(self.qs)

    def _words_match_anywhere(self, query: SearchQuery) -> bool:
        """The tier question: whether any listed package has the words, in any category, so
        the browse page's facets, each category's page and the API agree on the tier."""
        return self._without_category().filter(search_vector=query).exists()

    def _without_category(self) -> QuerySet:
        """The listing under every filter but the category and the search: the same FilterSet
        without those two, so a filter added later applies here too."""
        params = {key: value for key, value in self.data.items() if key not in EVERY_CATEGORY}
        return type(self)(params, queryset=self.queryset).qs

    @property
    def _searching(self) -> bool:
        return self.is_valid() and bool(self.form.cleaned_data.get("search", "").strip())

    def _search_settings(self) -> AbstractContextManager[None]:
        """search_settings when searching (the settings hold for `qs`'s tier question too)."""
        if not self._searching:
            return nullcontext()
        return search_settings()

    def _packages_in_order(self, ids: list[int], values: tuple[str, ...] = ()) -> list:
        if not ids:
            return []
        found = self.queryset.filter(pk__in=ids).order_by()
        if values and self._of_listing:  # the statement compiled once per number of ids
            by_id = {
                row["id"]: row for row in ranked_statements.page_rows(self.queryset, ids, values)
            }
        elif values:
            by_id = {row["id"]: row for row in found.values(*values)}
        else:
            by_id = {package.pk: package for package in found}
        return [by_id[pk] for pk in ids if pk in by_id]

    # Whether a search's words match a listed package (the exact tier), asked once per
    # FilterSet: its page, total and facets then come from the same tier.
    _exact_tier: bool | None = None
    _of_listing = False  # made by of_listing()
    _marked = False  # a template's FilterSet (use_markers)

    class Meta:
        model = PluginPackage
        fields: list[str] = []
        form = PackageFilterForm
