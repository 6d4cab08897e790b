"""Forms of the publisher and token pages; they only parse, the services decide."""

from __future__ import annotations

from django import forms

from publishing.models import TOKEN_SCOPES


class PublisherForm(forms.Form):
    name = forms.CharField(
        max_length=64, help_text="Lowercase letters, digits and '-', e.g. acme-tools."
    )
    display_name = forms.CharField(label="Display name", max_length=100)
    email = forms.EmailField(required=False)
    website = forms.URLField(required=False, assume_scheme="https")


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What it is for, e.g. 'github-actions'.")
    publisher = forms.ChoiceField()
    scopes = forms.MultipleChoiceField(
        choices=[(scope, scope) for scope in TOKEN_SCOPES],
        widget=forms.CheckboxSelectMultiple,
        initial=["publish"],
    )
    packages = forms.CharField(
        required=False,
        help_text="Optional: comma-separated package names this token is limited to.",
    )
    expires_at = forms.DateTimeField(
        label="Expires",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Optional; leave empty for a token that does not expire.",
    )

    def __init__(self, *args, publishers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["publisher"].choices = [(p.name, p.display_name) for p in publishers]

    def package_names(self) -> list[str]:
        raw = self.cleaned_data.get("packages") or ""
        return [name.strip() for name in raw.split(",") if name.strip()]
