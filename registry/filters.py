"""Filtering and ordering of the catalog: one FilterSet for the API and the browse page."""

from __future__ import annotations

import django_filters
from django import forms
from django.conf import settings
from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    TrigramWordSimilarity,
)
from django.db import connection
from django.db.models import F, FloatField, Q, QuerySet, Value
from django.db.models.functions import Greatest

from registry import semver
from registry.models import PluginPackage

SORT_CHOICES = [
    ("relevance", "Relevance"),
    ("downloads", "Most downloaded"),
    ("newest", "Newest"),
    ("name", "Name"),
]
MAX_SEARCH_LENGTH = 100
# Word similarity above which a name counts as a typo of the query ("walet" ~ "my-wallet").
TRIGRAM_THRESHOLD = 0.4


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
        value = value.strip()
        if not value:
            return queryset
        if connection.vendor != "postgresql":
            return queryset.filter(
                Q(name__icontains=value)
                | Q(display_name__icontains=value)
                | Q(description__icontains=value)
                | Q(keywords__icontains=value)
            ).annotate(relevance=Value(0.0, output_field=FloatField()))
        query = SearchQuery(value, config="simple", search_type="websearch") | SearchQuery(
            value, config=settings.SEARCH_CONFIG, search_type="websearch"
        )
        return queryset.annotate(
            text_rank=SearchRank(F("search_vector"), query),
            typo_score=Greatest(
                TrigramWordSimilarity(value, "name"),
                TrigramWordSimilarity(value, "display_name"),
            ),
            relevance=F("text_rank") + F("typo_score"),
        ).filter(
            Q(search_vector=query) | Q(typo_score__gt=TRIGRAM_THRESHOLD) | Q(name__icontains=value)
        )

    def filter_shell_version(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not value:
            return queryset
        key = semver.parse(value).sort_key()
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
        sort = data.get("sort") or ("relevance" if data.get("search") else "downloads")
        if sort == "relevance" and not data.get("search"):
            sort = "downloads"
        orderings = {
            "relevance": ["-relevance", "-downloads", "name"],
            "downloads": ["-downloads", "name"],
            "newest": [F("latest_published_at").desc(nulls_last=True), "name"],
            "name": ["name"],
        }
        return queryset.order_by(*orderings[sort])

    class Meta:
        model = PluginPackage
        fields: list[str] = []
        form = PackageFilterForm
