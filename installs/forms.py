"""Forms of the install pages: a plugin's config form is generated from its config.schema."""

from __future__ import annotations

from typing import Any

from django import forms

from registry.config_schema import (
    ConfigSchemaError,
    compile_config_schema,
    declared_types,
    is_secret,
    json_text,
)

FIELD_PREFIX = "config__"
SECRET_HELP = "Stored encrypted and never shown; leave blank to keep the current value."


def config_form_fields(schema: dict | None) -> dict[str, forms.Field]:
    """Django form fields for the settings of a manifest's `config.schema`; ConfigSchemaError
    when the schema checker refuses the schema (every schema it accepts renders)."""
    compiled = compile_config_schema(schema)
    required = set(compiled.get("required", []))
    fields: dict[str, forms.Field] = {}
    for name, spec in compiled["properties"].items():
        kind = _field_kind(spec)
        options: dict[str, Any] = {
            "label": spec.get("title") or name,
            "required": name in required and kind != "boolean",
            "help_text": spec.get("description", ""),
            "initial": spec.get("default"),
        }
        if "enum" in spec:
            field: forms.Field = _choice_field(spec["enum"], options)
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
        elif kind == "string" and is_secret(spec):
            # Never shown, never prefilled: blank keeps the stored value (the service keeps a
            # secret a config leaves out), so it is never required here.
            options.update(required=False, initial=None)
            options["help_text"] = " ".join(
                part for part in (options["help_text"], SECRET_HELP) if part
            )
            field = forms.CharField(
                min_length=spec.get("minLength"),
                max_length=spec.get("maxLength"),
                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
                **options,
            )
        elif kind == "string":
            field = forms.CharField(
                min_length=spec.get("minLength"), max_length=spec.get("maxLength"), **options
            )
        else:
            # Arrays, objects and settings of several types are edited as JSON text.
            field = forms.JSONField(**options)
        fields[FIELD_PREFIX + name] = field
    return fields


def _field_kind(spec: dict) -> str | None:
    """The one type a setting's field edits (null aside), or None for JSON text."""
    types = [type_name for type_name in declared_types(spec) if type_name != "null"]
    return types[0] if len(types) == 1 else None


def _choice_field(values: list, options: dict[str, Any]) -> forms.Field:
    """A select of a setting's enum. Strings are sent as they are, other values as their JSON
    text (all of them as JSON text when that would confuse "1" with 1), and read back as the
    JSON value they stand for."""
    by_text = {value if isinstance(value, str) else json_text(value): value for value in values}
    if len(by_text) < len(values):
        by_text = {json_text(value): value for value in values}
    text_of = {json_text(value): text for text, value in by_text.items()}
    if options["initial"] is not None:
        options["initial"] = text_of.get(json_text(options["initial"]))
    return forms.TypedChoiceField(
        choices=([] if options["required"] else [("", "—")]) + [(text, text) for text in by_text],
        coerce=by_text.__getitem__,
        empty_value=None,
        **options,
    )


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
        # A stored schema the checker refuses: the plugin installs without settings, and the
        # page says why instead of failing.
        self.schema_problems: dict[str, str] = {}
        try:
            self.fields.update(config_form_fields(schema))
        except ConfigSchemaError as error:
            self.schema_problems = error.problems

    def team_id(self) -> int | None:
        target = self.cleaned_data.get("target", "me")
        return int(target.split(":", 1)[1]) if target.startswith("team:") else None

    def config(self) -> dict:
        return config_from_cleaned(self.cleaned_data)
