"""Forms of the install pages: a plugin's config form is generated from its config.schema."""

from __future__ import annotations

from typing import Any

from django import forms

FIELD_PREFIX = "config__"


def config_form_fields(schema: dict | None) -> dict[str, forms.Field]:
    """Django form fields for the properties of a manifest's `config.schema`."""
    if not isinstance(schema, dict):
        return {}
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    fields: dict[str, forms.Field] = {}
    for name, spec in properties.items():
        if not isinstance(spec, dict):
            continue
        options: dict[str, Any] = {
            "label": spec.get("title") or name,
            "required": name in required and spec.get("type") != "boolean",
            "help_text": spec.get("description", ""),
            "initial": spec.get("default"),
        }
        kind = spec.get("type")
        if "enum" in spec:
            choices = [(value, str(value)) for value in spec["enum"]]
            field: forms.Field = forms.TypedChoiceField(
                choices=([] if options["required"] else [("", "—")]) + choices,
                coerce=_coerce_for(kind),
                empty_value=None,
                **options,
            )
        elif kind == "integer":
            field = forms.IntegerField(
                min_value=spec.get("minimum"), max_value=spec.get("maximum"), **options
            )
        elif kind == "number":
            field = forms.FloatField(
                min_value=spec.get("minimum"), max_value=spec.get("maximum"), **options
            )
        elif kind == "boolean":
            field = forms.BooleanField(**options)
        elif kind == "string":
            field = forms.CharField(
                min_length=spec.get("minLength"), max_length=spec.get("maxLength"), **options
            )
        else:
            # Arrays and objects are edited as JSON text.
            field = forms.JSONField(**options)
        fields[FIELD_PREFIX + name] = field
    return fields


def _coerce_for(kind: str | None):
    return {"integer": int, "number": float}.get(kind or "", str)


def config_from_cleaned(cleaned: dict) -> dict:
    """The config object from a bound form's cleaned data (unset optional values left out)."""
    return {
        key.removeprefix(FIELD_PREFIX): value
        for key, value in cleaned.items()
        if key.startswith(FIELD_PREFIX) and value not in (None, "")
    }


class ConfigForm(forms.Form):
    """An installation's config, with the fields its schema generates."""

    def __init__(self, *args, fields=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(fields or {})

    def config(self) -> dict:
        return config_from_cleaned(self.cleaned_data)


class InstallForm(forms.Form):
    """Where to install (me or a team I administer) and the plugin's config."""

    target = forms.ChoiceField(label="Install for", widget=forms.RadioSelect)

    def __init__(self, *args, teams=(), schema=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [("me", "Me")] + [
            (f"team:{team.pk}", f"Team {team.display_name}") for team in teams
        ]
        self.fields["target"].initial = "me"
        self.fields.update(config_form_fields(schema))

    def team_id(self) -> int | None:
        target = self.cleaned_data.get("target", "me")
        return int(target.split(":", 1)[1]) if target.startswith("team:") else None

    def config(self) -> dict:
        return config_from_cleaned(self.cleaned_data)
