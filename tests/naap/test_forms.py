"""naap.forms.attach_errors: a service's refusal shown on a server-rendered form."""

from django import forms

from naap.errors import Conflict, ValidationFailed
from naap.forms import attach_errors


class NameForm(forms.Form):
    display_name = forms.CharField(required=False)


def bound() -> NameForm:
    form = NameForm({"display_name": "x"})
    assert form.is_valid()
    return form


def test_a_problem_goes_next_to_the_field_it_names():
    form = bound()
    error = ValidationFailed("Invalid.", fields={"displayName": "Too short."})
    attach_errors(form, error, field_for=lambda path: {"displayName": "display_name"}[path])
    assert form.errors == {"display_name": ["Too short."]}


def test_a_problem_naming_no_field_of_the_form_shows_the_whole_message_on_top():
    form = bound()
    error = ValidationFailed("Invalid: email is taken.", fields={"email": "is taken"})
    attach_errors(form, error)
    assert form.non_field_errors() == ["Invalid: email is taken."]


def test_a_refusal_without_fields_shows_its_message_on_top():
    form = bound()
    attach_errors(form, Conflict("The name is taken."))
    assert form.non_field_errors() == ["The name is taken."]


def test_placed_problems_stay_by_their_fields_and_the_rest_show_in_the_message_on_top():
    form = bound()
    error = ValidationFailed(
        "Invalid: too short; email is taken.",
        fields={"displayName": "Too short.", "email": "is taken"},
    )
    attach_errors(
        form, error, field_for=lambda path: {"displayName": "display_name"}.get(path, path)
    )
    assert form.errors["display_name"] == ["Too short."]
    assert form.non_field_errors() == ["Invalid: too short; email is taken."]
